"""Document camera (高拍仪): a driver on OpenCV's VideoCapture, page processing and an emulator.

Device URLs:
- ``v4l2:///dev/video0`` a USB (UVC) camera; ``?width=2592&height=1944&fps=15`` is what
  is asked of it by default (MJPG; the camera answers with the nearest it offers);
- ``http://HOST:PORT/PATH`` an MJPEG-over-HTTP stream (an IP document camera);
- ``sim:`` the emulator (hardware.camera.emulator) in-process on 127.0.0.1, opened as a
  stream by the same driver; ``sim:?page=2`` starts with another page (1-5 or its key),
  ``size=1920x1440``, ``fps=15`` and ``font=PATH`` (a Simplified Chinese face for its
  pages; else fontconfig's) change it;
- ``none:`` no camera (the DeviceHub never opens it).
"""

from __future__ import annotations

from argparse import ArgumentTypeError

from hardware.camera.driver import (NO_PAGE, TOO_DARK, CameraError, CameraOffline, DocumentCamera, NoFrames,
                                    NoPage, PreviewFrame, Source, TooDark)
from hardware.camera.page import Page
from hardware.urls import DeviceKind, DeviceUrl, DeviceUrlError, open_device, register

__all__ = ["from_url", "DocumentCamera", "PreviewFrame", "Page", "Source", "CameraError", "CameraOffline",
           "NoFrames", "TooDark", "NoPage", "TOO_DARK", "NO_PAGE"]


def from_url(url: str, font: str | None = None) -> DocumentCamera:
    """`open_device("camera", url)`; `font` is the sim: camera's page font (a caller's, e.g. the app's)."""
    return open_device("camera", url, **({"font": font} if font else {}))


def _within(url: DeviceUrl, name: str, default: float, low: float, high: float) -> float:
    try:
        value = float(url.query.get(name, default))
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise DeviceUrlError(f"{url.text}: {name} must be a number from {low:g} to {high:g}")
    return value


def _v4l2(url: DeviceUrl, font: str | None = None) -> DocumentCamera:
    if not url.path:
        raise DeviceUrlError(f"{url.text}: a V4L2 camera URL names its device, e.g. v4l2:///dev/video0")
    return DocumentCamera(url.text, Source.v4l2(
        url.path, int(_within(url, "width", 2592, 160, 8192)), int(_within(url, "height", 1944, 120, 8192)),
        _within(url, "fps", 15, 1, 60)))


def _stream(url: DeviceUrl, font: str | None = None) -> DocumentCamera:
    if not url.host:
        raise DeviceUrlError(f"{url.text}: an MJPEG stream URL needs a host")
    return DocumentCamera(url.text, Source.stream(url.text))


def _sim(url: DeviceUrl, font: str | None = None) -> DocumentCamera:
    from hardware.camera.emulator import SIZE, CameraEmulator, parse_size
    try:
        size = parse_size(url.query["size"]) if "size" in url.query else SIZE
        emulator = CameraEmulator(font or url.query.get("font"), size=size, page=url.query.get("page", "1"),
                                  fps=_within(url, "fps", 15, 1, 60)).start()
    except (OSError, ValueError, ArgumentTypeError) as e:
        raise CameraError(f"the sim: camera cannot start: {e}") from None
    return DocumentCamera(url.text, Source.stream(emulator.url), emulator=emulator)


register(DeviceKind("camera", "document camera", CameraError,
                    ("v4l2:///dev/video0", "http://HOST:PORT/PATH", "https://HOST:PORT/PATH", "sim:")),
         {"v4l2": _v4l2, "http": _stream, "https": _stream, "sim": _sim})
