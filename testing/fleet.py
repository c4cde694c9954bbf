"""Helpers for the fleet tests: a webhook catcher, heartbeat bodies, and an operator's browser session.

The hall itself is started by testing.hall.Hall (a real `kiosk hall` process); requests are
signed by its Sign, written from docs/hall-api.md.
"""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from testing.hall import Client, Hall, Sign  # noqa: F401 (the fleet tests' hall and client)

TERMINALS = {f"fl-{n:02d}": f"fleet-secret-{n:02d}" for n in range(1, 11)}
OPERATOR = ("ops", "correct horse battery")
OFFLINE_AFTER = 3  # seconds (kiosk hall --offline-after), short so that tests see terminals go offline


class Webhook:
    """A small HTTP server that records every JSON alert POSTed to it."""

    def __init__(self):
        events, lock = [], threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    events.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_):
                pass

        self.events, self._lock = events, lock
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, event, terminal_id):
        with self._lock:
            return [e for e in self.events if e["event"] == event and e["terminal_id"] == terminal_id]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def beat(printer="ok", paper="ok", errors=(), outbox=0, **extra):
    body = {"app_version": "1.4.2", "uptime_s": 3600, "cpu_percent": 12.5, "memory_mb": 210.0,
            "disk_free_mb": 20_000.0, "outbox_depth": outbox, "outbox_oldest_s": 30.0 if outbox else None,
            "transactions_today": {"apply": 3, "guide_print": 9},
            "devices": {"idcard": {"health": "ok", "reason": ""},
                        "printer": {"health": printer, "reason": "" if printer == "ok" else "no answer on tcp 9100",
                                    "paper": paper}},
            "last_errors": list(errors), "screen": "home"}
    body.update(extra)
    return body


def terminal(hall, terminal_id):
    return Client(hall.base, Sign(terminal_id, TERMINALS[terminal_id]))


class Operator:
    """A browser-like session of a console operator (cookies kept, CSRF tokens read from pages)."""

    def __init__(self, base, name=OPERATOR[0], password=OPERATOR[1]):
        self.base, self.http = base, requests.Session()
        page = self.http.get(base + "/console/login", timeout=30)
        self.answer = self.http.post(base + "/console/login", data={
            "name": name, "password": password, "csrf": csrf_of(page.text)}, timeout=30, allow_redirects=False)

    def get(self, path, **kw):
        return self.http.get(self.base + path, timeout=30, **kw)

    def post_form(self, path, data, from_page):
        data = {"csrf": csrf_of(self.get(from_page).text), **data}
        return self.http.post(self.base + path, data=data, timeout=30, allow_redirects=False)


def csrf_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]
