"""Fixtures for the DeviceHub and `kiosk devices` / `kiosk selftest`: pcscd, a printer
emulator with a fault, a running `kiosk hall`, and the seed's personal numbers."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from testing.processes import kiosk_env

SEED = Path(__file__).resolve().parents[2] / "assets" / "seed"
TERMINAL_ID, TERMINAL_SECRET = "devices-test-01", "devices-secret-01"


@pytest.fixture
def paper_out_printer():
    """The printer emulator on a TCP port with no paper; `.url` is the driver URL."""
    from hardware.printer.emulator import PrinterEmulator
    emulator = PrinterEmulator(width=80)
    emulator.set_fault("paper-out")
    emulator.start_tcp()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def running_hall(tmp_path_factory):
    """A real `kiosk hall` on a free port with the seed data and this suite's terminal; stopped by pid.

    Yields {"url", "terminal_id", "secret"}."""
    folder = tmp_path_factory.mktemp("hall")
    log_path = folder / "hall.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "hall", "--host", "127.0.0.1", "--port", "0",
             "--db", str(folder / "hall.sqlite3"), "--seed", str(SEED),
             "--terminal", f"{TERMINAL_ID}:{TERMINAL_SECRET}"],
            stdout=log, stderr=subprocess.STDOUT, env=kiosk_env(PYTHONUNBUFFERED="1"))
    url, deadline = None, time.monotonic() + 60
    while url is None and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
        match = re.search(r"serving (http://[\d.]+:\d+)/api/v1", log_path.read_text(errors="replace"))
        url = match[1] if match else None
    try:
        if url is None:
            raise RuntimeError(f"kiosk hall did not start: {log_path.read_text(errors='replace')}")
        yield {"url": url, "terminal_id": TERMINAL_ID, "secret": TERMINAL_SECRET}
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(5)


@pytest.fixture(scope="session")
def seed_numbers():
    """Every ID / social security number of the emulators' demo cards: none may be printed unmasked."""
    idcards = json.loads((SEED / "idcards.json").read_text(encoding="utf-8"))
    sscards = json.loads((SEED / "sscards.json").read_text(encoding="utf-8"))["cards"]
    numbers = [c["id_number"] for c in idcards if c.get("id_number")]
    numbers += [c["ssn"] for c in sscards if c.get("ssn")]
    assert numbers
    return numbers
