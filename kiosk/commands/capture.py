"""`kiosk capture`: take one page with the document camera and write it as a JPEG.

The page is cropped to the sheet, deskewed to A4, flattened and sized as the app
sends it. The file holds a picture of someone's document: it is written mode 0600.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from kiosk.errors import KioskError


class CaptureFailed(KioskError):
    exit_code = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", metavar="URL",
                        help="camera URL (default: [devices] camera from the settings), e.g. "
                             "v4l2:///dev/video0, http://HOST:PORT/stream.mjpg, sim:?page=2")
    parser.add_argument("--out", required=True, metavar="JPG", help="where to write the page")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="seconds the camera may take to deliver a picture (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from hardware.camera import from_url
    from hardware.model import DeviceError
    from kiosk import config

    if not 0 < args.timeout <= 120:
        raise CaptureFailed("--timeout: must be a number of seconds from 0 to 120")
    settings = config.load(args.config)
    url = args.device or settings.devices.camera
    font = None
    if url.startswith("sim:"):  # the emulated camera's pages in the app's own Chinese face
        from kiosk.fonts import find_cjk_font
        font = str(find_cjk_font(settings.ui.font).regular)
    camera = None
    try:
        camera = from_url(url, font=font)
        camera.enable()
        began = time.monotonic()
        page = camera.capture(timeout=args.timeout)
        took = time.monotonic() - began
    except DeviceError as e:
        raise CaptureFailed(f"{url}: {e}") from None
    finally:
        if camera is not None:
            camera.close()
    try:
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(page.jpeg)
    except OSError as e:
        raise CaptureFailed(f"cannot write {args.out}: {e.strerror or e}") from None
    facts = {"out": args.out, "width": page.width, "height": page.height, "dpi": page.dpi,
             "bytes": len(page.jpeg), "quality": page.quality, "seconds": round(took, 2)}
    page.wipe()
    if args.json:
        print(json.dumps(facts))
    else:
        print(f"{args.out}: {page.width}x{page.height} px ({page.dpi} dpi, A4), {facts['bytes'] // 1000} KB "
              f"(JPEG quality {page.quality}), taken in {took:.1f} s")
    return 0
