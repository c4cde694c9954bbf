"""`kiosk run` on a real X server (Xvfb): full screen, Escape ignored, no user Kivy config read."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time

import pytest
from testing.processes import kiosk_env

from testing import xserver as xserver_module

pytestmark = pytest.mark.gui


@pytest.fixture
def xserver():
    if not xserver_module.available() or not shutil.which("xdotool"):
        pytest.skip("Xvfb and xdotool are installed by scripts/dev; not here")
    with xserver_module.xvfb() as display:
        yield display


def _wait_for(path, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text())
        if process.poll() is not None:
            raise AssertionError(f"kiosk run exited early: {process.stderr.read()}")
        time.sleep(0.1)
    raise AssertionError("no first frame")


def test_kiosk_run_is_full_screen_and_ignores_escape_and_user_config(xserver, tmp_path, write_config):
    home = tmp_path / "home"
    (home / ".kivy").mkdir(parents=True)
    # A user's Kivy config that would make Escape quit and the window small: it must be ignored.
    (home / ".kivy" / "config.ini").write_text(
        "[kivy]\nexit_on_escape = 1\n[graphics]\nfullscreen = 0\nwidth = 300\nheight = 200\n")
    settings = write_config('[terminal]\nname = "锁定测试终端"\n[ui]\nwindow_size = "800x600"\n'
                            '[devices]\ncard = "none:"\n')  # vpcd's one slot is the card tests'
    ready = tmp_path / "ready.json"
    env = kiosk_env(DISPLAY=xserver, HOME=str(home), KIOSK_READY_FILE=str(ready))
    process = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--config", str(settings)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        report = _wait_for(ready, process)
        assert report["screen"] == "attract"
        found = subprocess.run(["xdotool", "search", "--sync", "--pid", str(process.pid)],
                               env=env, capture_output=True, text=True, timeout=10)
        window = found.stdout.split()
        assert window, f"no X window for kiosk run: {found.stderr}"
        geometry = subprocess.run(["xdotool", "getwindowgeometry", window[-1]], env=env,
                                  capture_output=True, text=True).stdout
        assert "1080x1920" in geometry, geometry  # the whole screen, not 800x600 or 300x200
        for keys in (["Escape"], ["Escape", "Escape"], ["alt+F4"]):
            subprocess.run(["xdotool", "mousemove", "540", "960", "key", *keys], env=env, check=True)
            time.sleep(0.7)
            assert process.poll() is None, f"kiosk run left after {keys}"
        process.send_signal(signal.SIGTERM)  # systemctl stop: a clean stop, not a wait for SIGKILL
        assert process.wait(20) == 0
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
