"""`kiosk capture` and `kiosk emulate camera` as subprocesses."""

import json
import queue
import stat
import subprocess
import sys
import threading

import cv2
import numpy as np
import pytest

from hardware.camera import NoPage, from_url
from testing.processes import kiosk_env, run_kiosk


def test_capture_writes_one_page_private_and_readable(tmp_path):
    out = tmp_path / "page.jpg"
    proc = run_kiosk("capture", "--device", "sim:?page=marriage", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    facts = json.loads(proc.stdout)
    data = out.read_bytes()
    assert facts == {**facts, "out": str(out), "width": 1654, "height": 2339, "dpi": 200, "bytes": len(data)}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # a picture of someone's document
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (2339, 1654, 3)
    text = run_kiosk("capture", "--device", "sim:", "--out", str(out))
    assert text.returncode == 0 and text.stdout.startswith(f"{out}: 1654x2339 px (200 dpi, A4), ")


@pytest.mark.parametrize("url, message", [
    ("sim:?page=9", "sim:?page=9: the sim: camera cannot start: pages are numbered 1 to 5"),
    ("v4l2:///dev/no-such-camera", "v4l2:///dev/no-such-camera: no camera at /dev/no-such-camera: "
                                   "check its USB cable"),
    ("none:", 'none:: no document camera is configured ([devices] camera = "none:")'),
])
def test_capture_failures_are_one_line(tmp_path, url, message):
    proc = run_kiosk("capture", "--device", url, "--out", str(tmp_path / "page.jpg"), "--timeout", "3")
    assert proc.returncode == 5
    assert proc.stderr.strip() == f"kiosk capture: {message}"
    assert not (tmp_path / "page.jpg").exists()


def test_capture_uses_the_configured_camera(tmp_path, write_config):
    path = write_config('[devices]\ncamera = "sim:?page=3"\n')
    proc = run_kiosk("--config", str(path), "capture", "--out", str(tmp_path / "p.jpg"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["width"] == 1654


def test_emulate_camera_streams_to_the_driver_and_takes_fault_commands():
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "emulate", "camera", "--port", "0", "--page", "2"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=kiosk_env())
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.rstrip("\n")) for line in proc.stdout], daemon=True).start()

    def say(command):
        proc.stdin.write(command + "\n")
        proc.stdin.flush()
        return lines.get(timeout=10)

    camera = None
    try:
        first = lines.get(timeout=30)
        assert first.startswith("camera emulator: http://127.0.0.1:") and first.endswith("/stream.mjpg")
        assert lines.get(timeout=5).startswith("commands: page N (1-5: hukou, marriage, application")
        camera = from_url(first.split(": ", 1)[1])
        camera.enable()
        assert camera.capture().width == 1654
        assert say("no page").startswith("no page; faults: none")
        with pytest.raises(NoPage):
            camera.capture()
        assert say("dark").startswith("no page; faults: dark")
        assert say("page 5").startswith("page 5 (lease-2); faults: dark")
        assert say("unplug").startswith("page 5 (lease-2); faults: dark, unplugged")
        assert say("freeze on").startswith("page 5 (lease-2); faults: dark, unplugged, frozen")
        assert say("clear").startswith("page 5 (lease-2); faults: none")
        assert say("page 7") == "error: pages are numbered 1 to 5"
        assert say("what").startswith("commands: ")
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=10) == 0
    finally:
        if camera is not None:
            camera.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in proc.stderr.read()


def test_emulate_camera_on_a_busy_port_says_so():
    with subprocess.Popen([sys.executable, "-m", "kiosk.cli", "emulate", "camera", "--port", "0"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=kiosk_env()) as first:
        try:
            port = first.stdout.readline().rsplit(":", 1)[1].split("/")[0]
            proc = run_kiosk("emulate", "camera", "--port", port)
            assert proc.returncode == 1 and "Address already in use" in proc.stderr
        finally:
            first.kill()
