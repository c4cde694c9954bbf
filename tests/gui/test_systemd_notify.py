"""Under systemd: READY=1 once the first frame is up, then WATCHDOG=1 from the UI thread's clock."""

import signal
import socket
import subprocess
import sys
import time

import pytest

from testing.processes import kiosk_env

pytestmark = pytest.mark.gui


def test_ready_after_first_frame_then_watchdog_pings(tmp_path, write_config):
    address = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(address)
    listener.settimeout(1.0)
    settings = write_config('[devices]\nidcard = "none:"\ncard = "none:"\nprinter = "none:"\nscanner = "none:"\n')
    ready_file = tmp_path / "ready.json"
    env = kiosk_env(SDL_VIDEODRIVER="offscreen", NOTIFY_SOCKET=address, WATCHDOG_USEC="600000",
                    KIOSK_READY_FILE=str(ready_file))
    app = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--config", str(settings)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    messages = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and messages.count("WATCHDOG=1") < 3:
            try:
                messages.append(listener.recv(256).decode())
            except socket.timeout:
                assert app.poll() is None, app.stderr.read()
        assert messages[0] == "READY=1", messages
        assert ready_file.exists(), "READY=1 must come after the first frame"
        assert messages.count("WATCHDOG=1") >= 3
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(10)
        except subprocess.TimeoutExpired:
            app.kill()
        listener.close()
