"""A real `kiosk hall` on a fixed port (so it can be stopped and started again), its
database read directly, and an operator session that queues commands through the console."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests

from testing.hall import SEED
from testing.processes import free_port, kiosk_env

TERMINAL = ("tm-tele-01", "tele-secret-01")
OPERATOR = ("ops", "telemetry-ops-pw")


class Hall:
    """`kiosk hall` heartbeating every second; the SQLite file outlives stop/start."""

    def __init__(self, folder: Path):
        self.db, self.log = folder / "hall.sqlite3", folder / "hall.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self, timeout=30):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kiosk.cli", "hall", "--port", str(self.port), "--db", str(self.db),
                 "--seed", str(SEED), "--terminal", ":".join(TERMINAL), "--operator", ":".join(OPERATOR),
                 "--heartbeat-interval", "1"],
                stdout=log, stderr=subprocess.STDOUT, env=kiosk_env(PYTHONUNBUFFERED="1"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"kiosk hall did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    # what the hall stored, read from its database file
    def query(self, sql, *params):
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30) as db:
            return db.execute(sql, params).fetchall()

    def snapshot(self, terminal_id=TERMINAL[0]):
        rows = self.query("SELECT data, state, reason FROM fleet_snapshots WHERE terminal_id = ?", terminal_id)
        return (json.loads(rows[0][0]), rows[0][1], rows[0][2]) if rows else (None, None, None)

    def command(self, command_id):
        [(status, detail)] = self.query("SELECT status, detail FROM fleet_commands WHERE id = ?", command_id)
        return status, detail

    def screenshot(self, command_id):
        rows = self.query("SELECT png FROM fleet_screenshots WHERE command_id = ?", command_id)
        return rows[0][0] if rows else None


class Operator:
    """A console operator: logs in, queues commands with the console's own form."""

    def __init__(self, hall: Hall):
        self.hall, self.http = hall, requests.Session()
        page = self.http.get(hall.url + "/console/login", timeout=30)
        answer = self.http.post(hall.url + "/console/login", data={
            "name": OPERATOR[0], "password": OPERATOR[1], "csrf": _csrf(page.text)},
            timeout=30, allow_redirects=False)
        assert answer.status_code == 303, answer.text

    def queue(self, kind, terminal_id=TERMINAL[0], **form) -> int:
        page = f"{self.hall.url}/console/terminals/{terminal_id}"
        csrf = _csrf(self.http.get(page, timeout=30).text)
        answer = self.http.post(page + "/commands", data={"csrf": csrf, "kind": kind, **form},
                                timeout=30, allow_redirects=False)
        assert answer.status_code == 303, answer.text
        [(command_id,)] = self.hall.query(
            "SELECT max(id) FROM fleet_commands WHERE terminal_id = ? AND kind = ?", terminal_id, kind)
        return command_id


def _csrf(html):
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]
