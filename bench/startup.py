"""Cold start of `kiosk demo` to the first frame of the attract screen, and peak memory.

Runs the real command under Xvfb (started here) a few times and prints, per run and as
medians: seconds from process start to the first frame (reported by the app itself via
KIOSK_READY_FILE) and the app process's peak RSS (VmHWM) a few seconds after.
Targets on the 2-core reference machine: first frame under 2 s, RSS under 200 MB.

    .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from testing.xserver import xvfb


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_run(display: str, state: Path) -> tuple[float, float]:
    ready = state / "ready.json"
    ready.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIVY_", "SDL_"))}
    env.update(DISPLAY=display, KIOSK_READY_FILE=str(ready), KIOSK_STATE_DIR=str(state))
    app = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "demo"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            if app.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("kiosk demo did not reach its first frame")
            time.sleep(0.02)
        first_frame = json.loads(ready.read_text())["first_frame_s"]
        time.sleep(3)  # let the idle clock, notices and devices settle before reading the peak
        return first_frame, peak_rss_mb(app.pid)
    finally:
        app.terminate()  # SDL turns SIGTERM into a quit: the app closes its devices first
        try:
            app.wait(30)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with xvfb() as display, tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        one_run(display, state)  # warm the embedded hall's database and the OS file cache once
        from kiosk import ime
        ime.ensure_cache(state)  # first start only: the Chinese input dictionary is built once
        results = [one_run(display, state) for _ in range(args.runs)]
    for i, (frame, rss) in enumerate(results, 1):
        print(f"run {i}: first frame {frame:.2f} s, peak RSS {rss:.0f} MB")
    frames, rsses = zip(*results)
    print(f"median: first frame {statistics.median(frames):.2f} s (target < 2 s), "
          f"peak RSS {statistics.median(rsses):.0f} MB (target < 200 MB)")


if __name__ == "__main__":
    main()
