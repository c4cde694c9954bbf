"""Document camera: preview rate and cost, capture time, and what OpenCV costs in memory.

    .venv/bin/python bench/camera.py [--seconds 10] [--rounds 10]

The camera is `kiosk emulate camera` in its own process (2592x1944 MJPEG at 15 fps over
HTTP on 127.0.0.1), so this process holds only what the app would hold with a real
camera: the driver (cv2.VideoCapture reading the stream), the previews and the pages.
Prints:
- the process's PSS (/proc/self/smaps_rollup) before and after importing numpy and cv2,
  with the camera open and idle, and while previewing;
- preview frames a second as a screen polling preview() gets them, the grab thread's CPU
  (share of one core), and the time one preview takes to make (JPEG decoded at 1/4 size,
  outline found, RGB bytes) on frames from the stream;
- capture() to a cropped, flattened A4 JPEG, and the page processing alone.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def memory_mb() -> tuple[float, float, float]:
    """Pss, Pss_Anon and Rss of this process, in MB."""
    fields = dict(line.split(":") for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:])
    return tuple(int(fields[name].split()[0]) / 1024 for name in ("Pss", "Pss_Anon", "Rss"))


def figures(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    print(f"{name:<44} p50 {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   (n={len(ms)})")


def start_emulator() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "emulate", "camera", "--port", "0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    first = proc.stdout.readline().strip()
    if not first.startswith("camera emulator: "):
        proc.kill()
        raise SystemExit(f"the emulator did not start: {first!r}")
    return proc, first.split(": ", 1)[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to preview")
    parser.add_argument("--rounds", type=int, default=10, help="captures to time")
    parser.add_argument("--sim-memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sim_memory:
        return sim_memory()

    memory = [("start (python, no numpy or cv2)", memory_mb())]
    import numpy  # noqa: F401
    memory.append(("import numpy", memory_mb()))
    import cv2
    memory.append(("import cv2", memory_mb()))
    from hardware.camera import from_url, page as pages
    memory.append(("import hardware.camera", memory_mb()))

    emulator, url = start_emulator()
    camera = from_url(url)
    try:
        camera.enable()
        memory.append(("camera open, enabled, idle (stream closed)", memory_mb()))

        # preview, as a screen polls it
        first = camera.next_preview(0, timeout=10)
        began, cpu_began, frames, latest = time.monotonic(), time.process_time(), 0, first
        while time.monotonic() - began < args.seconds:
            frame = camera.preview(latest.frame_id)
            if frame is None:
                time.sleep(1 / 60)  # a 60 Hz UI clock
                continue
            latest, frames = frame, frames + 1
        wall, cpu = time.monotonic() - began, time.process_time() - cpu_began
        memory.append(("previewing", memory_mb()))
        outlines = "outline found" if latest.outline else "NO OUTLINE"
        print(f"preview: {frames / wall:.1f} frames/s at {latest.width}x{latest.height} ({outlines}); "
              f"the process used {100 * cpu / wall:.0f} % of one core (grab thread, decoding, outline)")

        # one preview's making, on frames from the stream, once the grab thread has stopped
        raw = [camera._fresh_frame(None) for _ in range(10)]
        time.sleep(camera.keep_streaming + 1.5)
        make, make_cpu = [], []
        for i in range(100):
            started, cpu_started = time.perf_counter(), time.thread_time()
            small = camera._small(raw[i % len(raw)])
            grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
            pages.find_page(grey)
            cv2.cvtColor(small, cv2.COLOR_BGR2RGB).tobytes()
            make.append(time.perf_counter() - started)
            make_cpu.append(time.thread_time() - cpu_started)
        figures("one preview (decode 1/4, outline, RGB)", make)
        figures("  its CPU time (this thread)", make_cpu)
        print(f"  frames from the stream: {raw[0].size // 1000} KB JPEG each, "
              f"{camera.frame_size[0]}x{camera.frame_size[1]}")

        # capture
        captures, processing, sizes = [], [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            page = camera.capture()
            captures.append(time.perf_counter() - started)
            sizes.append(len(page.jpeg))
            page.wipe()
        memory.append((f"after {args.rounds} captures (pages wiped)", memory_mb()))
        for i in range(args.rounds):
            started = time.perf_counter()
            image = cv2.imdecode(raw[i % len(raw)], cv2.IMREAD_COLOR)
            corners = pages.find_page(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), 1296)
            pages.make_page(image, corners).wipe()
            processing.append(time.perf_counter() - started)
        del image
        figures("capture() -> cropped A4 JPEG", captures)
        figures("  of which processing (decode, find, warp, JPEG)", processing)
        print(f"  pages: {min(sizes) // 1000}-{max(sizes) // 1000} KB, 1654x2339 px (200 dpi)")
    finally:
        camera.close()
        emulator.stdin.write("quit\n")
        emulator.stdin.close()
        emulator.wait(10)

    print("memory of this process (MB; while the emulator process ran it shared cv2's and numpy's "
          "library pages, which lowers Pss: Rss and Pss_Anon are the figures to read there):")
    print(f"  {'':<48} {'Pss':>7} {'Pss_Anon':>9} {'Rss':>7}")
    for name, (pss, anon, rss) in memory:
        print(f"  {name:<48} {pss:7.1f} {anon:9.1f} {rss:7.1f}")
    start, previewing = memory[0][1], next(m for n, m in memory if n == "previewing")
    print(f"  OpenCV's cost (numpy, cv2, the camera previewing): Rss +{previewing[2] - start[2]:.1f} MB, "
          f"of it anonymous (heap, frames, buffers) +{previewing[1] - start[1]:.1f} MB")
    print("the demo's sim: camera, emulator in-process, in a fresh process (Pss / Pss_Anon / Rss):")
    sim = subprocess.run([sys.executable, __file__, "--sim-memory"], capture_output=True, text=True, cwd=ROOT)
    print("  " + (sim.stdout.strip() or sim.stderr.strip()))
    return 0


def sim_memory() -> int:
    """Memory of a process holding only the sim: camera (driver and emulator), previewing."""
    before = memory_mb()
    from hardware.camera import from_url
    camera = from_url("sim:")
    try:
        camera.enable()
        camera.next_preview(0, timeout=10)
        time.sleep(2)
        after = memory_mb()
    finally:
        camera.close()
    print(f"previewing: {after[0]:.1f} / {after[1]:.1f} / {after[2]:.1f} MB "
          f"(the bare interpreter: {before[0]:.1f} / {before[1]:.1f} / {before[2]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
