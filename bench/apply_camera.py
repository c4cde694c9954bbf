"""The camera screen of an application (screens/apply.py ApplyCameraScreen) in the real app.

    .venv/bin/python bench/apply_camera.py [--seconds 10] [--rounds 5]

The app runs in a window on Xvfb (bench/ui_support.py), its document camera pointed at
`kiosk emulate camera` in another process (2592x1944 MJPEG at 15 fps over HTTP), as a real
camera would be outside the app. Prints:
- preview frames a second drawn on the screen, and the UI thread's frame gaps while previewing
  (p50, p99, longest): the camera's own thread grabs and shrinks frames, the screen only blits;
- Take photo -> the page's thumbnail on screen (capture, crop, deskew, flatten, JPEG, thumbnail);
- the app's PSS (/proc/self/smaps_rollup) with the camera closed (the screen not shown, the
  stream stopped) and open (previewing).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from camera import memory_mb, start_emulator  # noqa: E402
from ui_support import FrameClock, percentile, settings_for, start_app, start_hall, stop, temp_folder  # noqa: E402

ITEM = "GF00208001"  # 就业登记: its employment contract is photographed


def open_camera_screen(ui) -> None:
    from screens.flow import flow_data
    from screens.identify import ResidentIdentity
    ui.wait(lambda: ui.app.services.catalog.version is not None, timeout=60, what="the catalogue")
    item = ui.app.services.catalog.item(ITEM)
    ui.app.session.data["identity"] = ResidentIdentity("张晓明", "430102199003075518", "idcard", "演示地址")
    flow_data("apply").update(item={"code": ITEM, "name": item["name"], "limit": 0, "form": item["form"]},
                              form={}, camera_for="m2", materials={"m2": "camera"})
    ui.app.show("apply.camera")
    preview = ui.app.screen("apply.camera").ids.preview
    ui.wait(lambda: preview.found, timeout=30, what="the page outline")


def closed(ui, seconds: float) -> None:
    """Leave the camera screen and wait until the camera's stream has stopped (keep_streaming)."""
    ui.app.show("home")
    camera = ui.app.services.devices.device("camera")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ui.frames(1)
    assert not camera._streaming(), "the camera still streams"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to preview")
    parser.add_argument("--rounds", type=int, default=5, help="photos to time")
    args = parser.parse_args()
    folder = temp_folder()
    hall, url = start_hall(folder)
    emulator, stream = start_emulator()
    try:
        ui = start_app(settings_for(url, camera=stream), folder)
        open_camera_screen(ui)
        closed(ui, 7)
        pss_closed = memory_mb()[0]
        open_camera_screen(ui)
        screen = ui.app.screen("apply.camera")
        preview = screen.ids.preview
        clock = FrameClock().start()
        shown, began = preview.shown, time.perf_counter()
        while time.perf_counter() - began < args.seconds:
            ui.frames(1)
        elapsed = time.perf_counter() - began
        gaps = clock.stop()
        fps = (preview.shown - shown) / elapsed
        pss_open = memory_mb()[0]
        print(f"preview on the screen: {fps:.1f} frames/s over {elapsed:.0f} s (target >= 10)")
        print(f"UI frames while previewing: p50 {percentile(gaps, 50) * 1000:.1f} ms, "
              f"p99 {percentile(gaps, 99) * 1000:.1f} ms, longest {max(gaps) * 1000:.1f} ms (n={len(gaps)})")
        takes = []
        from screens.apply import application_files
        for _ in range(args.rounds):
            before = len(screen.ids.thumbs.children)
            began = time.perf_counter()
            screen.take()
            ui.wait(lambda: not screen.busy and all(c.ids.thumb.picture is not None
                                                    for c in screen.ids.thumbs.children)
                    and len(screen.ids.thumbs.children) == before + 1, timeout=60, what="the page")
            takes.append(time.perf_counter() - began)
        sizes = [len(p.jpeg) // 1000 for p in application_files().of("m2")]
        takes.sort()
        print(f"Take photo -> thumbnail on screen: p50 {percentile(takes, 50) * 1000:.0f} ms, "
              f"longest {takes[-1] * 1000:.0f} ms (n={len(takes)}); pages {min(sizes)}-{max(sizes)} KB")
        print(f"app PSS: camera closed {pss_closed:.0f} MB, previewing {pss_open:.0f} MB "
              f"(+{pss_open - pss_closed:.0f} MB)")
        ui.app.end_session("bench done")
        ui.app.stop()
    finally:
        emulator.kill()
        stop(hall)
    return 0


if __name__ == "__main__":
    sys.exit(main())
