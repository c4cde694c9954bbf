"""The hall `kiosk demo` runs beside the app: `kiosk hall` in its own process.

A separate process keeps the hall's work off the app's interpreter (no GIL
contention with the UI thread); it is stopped by its process id on exit.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from kiosk.hall_client import EMBEDDED_URL


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class EmbeddedHall:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        """Start the hall unless one already answers on the embedded port; returns its URL.

        Does not wait for it: the terminal serves from its local copy until the hall answers.
        """
        url = urlsplit(EMBEDDED_URL)
        if not _answers(url.hostname, url.port):
            self.state_dir.mkdir(parents=True, exist_ok=True)
            with open(self.state_dir / "demo-hall.log", "ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "kiosk.cli", "hall", "--host", url.hostname,
                     "--port", str(url.port), "--db", str(self.state_dir / "demo-hall.db"), "--demo"],
                    stdout=subprocess.DEVNULL, stderr=log)
        return EMBEDDED_URL

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
