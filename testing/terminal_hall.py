"""A `kiosk hall` with the project's seed for the terminal side (outbox, catalogue, GUI flows),
the terminal it knows, and fictional applicants."""

import http.server
import os
import signal
import sqlite3
import subprocess
import sys
import time

import requests

from kiosk import hall_api, paths
from testing.processes import free_port, kiosk_env

TERMINAL_ID, TERMINAL_SECRET = "test-term-01", "test-secret-0123"
SEED_DIR = paths.SEED


class HallProcess:
    """Start, stop and restart one hall; the database file outlives restarts."""

    def __init__(self, db_path, port=None, log_path=None, env=None, args=(), stdin=""):
        """`env`: more environment for the hall (HALL_MATERIALS_DIR, …); `args`: more options;
        `stdin`: what it reads on standard input (staff passwords, one line per --staff)."""
        self.db_path, self.db_url = db_path, f"sqlite:///{db_path}"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env, self.args, self.stdin = dict(env or {}), list(args), stdin
        self.proc = None

    def start(self, timeout=30):
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "hall", "--host", "127.0.0.1", "--port", str(self.port),
             "--db", self.db_url, "--seed", str(SEED_DIR), "--terminal", f"{TERMINAL_ID}:{TERMINAL_SECRET}",
             *self.args], stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env=kiosk_env(**self.env))
        self.proc.stdin.write(self.stdin.encode())
        self.proc.stdin.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kiosk hall exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("kiosk hall did not answer /api/v1/health in time")

    def count(self, table: str, **where) -> int:
        """Rows of one of the hall's tables (hall/db.py) with these column values, read from its
        database file."""
        sql = f"SELECT COUNT(*) FROM {table}" + (" WHERE " + " AND ".join(f"{c} = ?" for c in where) if where else "")
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as db:
            return db.execute(sql, tuple(where.values())).fetchone()[0]

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def id_number(body17: str) -> str:
    """A fictional 18-character ID number with a correct ISO 7064 MOD 11-2 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body17, weights))
    return body17 + "10X98765432"[total % 11]


RESIDENT = {"name": "测试居民", "phone": "13800138000"}  # fictional


def online_item_code(client) -> str:
    """The code of a catalogue item the hall accepts online applications for."""
    return next(i["code"] for i in hall_api.catalog_export(client).items if i["online"])


def application(item_code: str, id_no: str, marker: str) -> dict:
    return {"item_code": item_code, "applicant": {**RESIDENT, "id_number": id_no},
            "form": {"note": marker}, "channel": "kiosk"}


def with_materials(payload: dict, pages: list[bytes], signature: bytes | None = None) -> tuple[dict, dict]:
    """An application as the apply screens queue it: material m1 photographed (`pages`), the
    signature, each {"file": name} in the payload and the bytes by name (for Outbox.submit)."""
    files = {f"m1-{i + 1}": page for i, page in enumerate(pages)}
    payload = {**payload, "materials": [{"key": "m1", "how": "camera", "pages": [{"file": n} for n in files]}]}
    if signature is not None:
        files["signature"] = signature
        payload["signature"] = {"file": "signature"}
    return payload, files


def applications_of(client, id_no: str) -> list[dict]:
    return hall_api.applications_of(client, id_no)


class StubHall(http.server.BaseHTTPRequestHandler):
    """Answers every request with the class's canned status/body and records the headers."""

    answer = (503, b"")
    seen: list = []

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        type(self).seen.append((self.command, self.path, dict(self.headers), body))
        status, payload = self.answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _handle

    def log_message(self, *args):
        pass
