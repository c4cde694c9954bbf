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
from urllib.parse import parse_qsl, urlsplit

from hardware.camera.driver import (NO_PAGE, TOO_DARK, CameraError, CameraOffline, DocumentCamera, NoFrames,
                                    NoPage, PreviewFrame, Source, TooDark)
from hardware.camera.page import Page

__all__ = ["from_url", "DocumentCamera", "PreviewFrame", "Page", "Source", "CameraError", "CameraOffline",
           "NoFrames", "TooDark", "NoPage", "TOO_DARK", "NO_PAGE"]


def _number(query: dict[str, str], name: str, default: float, url: str, low: float, high: float) -> float:
    try:
        value = float(query.get(name, default))
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise CameraError(f"{url}: {name} must be a number from {low:g} to {high:g}")
    return value


def from_url(url: str, font: str | None = None) -> DocumentCamera:
    """The driver for a camera URL; `font` is the sim: camera's page font (a caller's, e.g. the app's)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if parts.scheme == "none":
        raise CameraError(f"no document camera is configured ([devices] camera = \"{url}\")")
    if parts.scheme == "v4l2" and parts.path:
        return DocumentCamera(url, Source.v4l2(
            parts.path, int(_number(query, "width", 2592, url, 160, 8192)),
            int(_number(query, "height", 1944, url, 120, 8192)), _number(query, "fps", 15, url, 1, 60)))
    if parts.scheme in ("http", "https") and parts.hostname:
        return DocumentCamera(url, Source.stream(url))
    if parts.scheme == "sim":
        from hardware.camera.emulator import SIZE, CameraEmulator, parse_size
        try:
            size = parse_size(query["size"]) if "size" in query else SIZE
            emulator = CameraEmulator(font or query.get("font"), size=size, page=query.get("page", "1"),
                                      fps=_number(query, "fps", 15, url, 1, 60)).start()
        except (OSError, ValueError, ArgumentTypeError) as e:
            raise CameraError(f"the sim: camera cannot start: {e}") from None
        return DocumentCamera(url, Source.stream(emulator.url), emulator=emulator)
    raise CameraError(f"unsupported camera URL {url!r}: use v4l2:///dev/video0, http://HOST:PORT/PATH "
                      "(an MJPEG stream), sim: or none:")
