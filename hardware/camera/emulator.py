"""A document camera emulator: an MJPEG-over-HTTP stream on 127.0.0.1, as IP cameras send.

Product code (`sim:`, `kiosk emulate camera`, the demo, the self-test, the tests). It
streams `multipart/x-mixed-replace` JPEG frames of a known document photographed on a
desk (hardware.camera.scene) at `fps`, and the driver opens it with the same
cv2.VideoCapture code as a real camera. Each scene is rendered once, with a few noise
variants encoded up front, so streaming costs almost nothing. Faults switch while it
runs, from Python or from stdin lines under `kiosk emulate camera`: another page, no
page (an empty desk), dark, unplug (streams cut, new ones refused) and freeze (streams
stay open, no frames).
"""

from __future__ import annotations

import argparse
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2

from hardware.camera import heap, scene

STREAM_PATH = "/stream.mjpg"
BOUNDARY = "frame"
SIZE = (2592, 1944)  # 5 megapixels, 4:3, as the common 高拍仪 heads
VARIANTS = 4         # frames with different noise, sent in turn
JPEG_QUALITY = 85


class CameraEmulator:
    def __init__(self, font: str | Path | None = None, font_index: int = 0, size: tuple[int, int] = SIZE,
                 fps: float = 15.0, page: int | str = 1) -> None:
        if not 0 < fps <= 60:
            raise ValueError("fps must be a number from 0 to 60")
        self.font, self.font_index = (str(font), font_index) if font else (None, 0)
        self.size, self.fps = size, fps
        self.document: scene.Document | None = self._document(page)
        self.dark = self.unplugged = self.frozen = False
        self.frames_sent = 0
        self.streams = 0           # open connections
        self.host, self.port = "", 0
        self._frames: list[bytes] = []
        self._cache: dict[tuple[str, bool], list[bytes]] = {}
        self._plugs = 0            # bumped on unplug: streams from before end
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{STREAM_PATH}"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> "CameraEmulator":
        self._render()
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.emulator = self
        self.host, self.port = host, self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                         name="camera-emulator", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # what the camera sees, and its faults ----------------------------------------
    def show(self, page: int | str | None) -> None:
        """Put document `page` (1-based number or key) under the camera; None: take it away."""
        self.document = self._document(page)
        self._render()

    def set_dark(self, on: bool = True) -> None:
        self.dark = on
        self._render()

    def unplug(self) -> None:
        with self._lock:
            self.unplugged = True
            self._plugs += 1

    def plug(self) -> None:
        self.unplugged = False

    def freeze(self, on: bool = True) -> None:
        self.frozen = on

    def clear(self) -> None:
        self.frozen = self.unplugged = False
        self.set_dark(False)

    def state(self) -> str:
        what = f"page {DOCUMENT_KEYS.index(self.document.key) + 1} ({self.document.key})" if self.document \
            else "no page"
        faults = [name for name, on in (("dark", self.dark), ("unplugged", self.unplugged),
                                        ("frozen", self.frozen)) if on]
        return f"{what}; faults: {', '.join(faults) or 'none'}; streams: {self.streams}; frames sent: " \
               f"{self.frames_sent}"

    @staticmethod
    def _document(page: int | str | None) -> scene.Document | None:
        if page is None:
            return None
        if isinstance(page, str) and not page.isdigit():
            if page not in DOCUMENT_KEYS:
                raise ValueError(f"no page {page!r} (pages: {', '.join(DOCUMENT_KEYS)})")
            return scene.DOCUMENTS[DOCUMENT_KEYS.index(page)]
        if not 1 <= int(page) <= len(scene.DOCUMENTS):
            raise ValueError(f"pages are numbered 1 to {len(scene.DOCUMENTS)}")
        return scene.DOCUMENTS[int(page) - 1]

    def _render(self) -> None:
        key = (self.document.key if self.document else "", self.dark)
        frames = self._cache.get(key)
        if frames is None:
            if self.document is not None and self.font is None:
                self.font, self.font_index = scene.system_font()
            picture = scene.photograph(self.document, self.size, self.font or "", self.font_index, self.dark)
            frames = [cv2.imencode(".jpg", scene.with_noise(picture, seed),
                                   [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1].tobytes()
                      for seed in range(VARIANTS)]
            self._cache[key] = frames
            del picture
            heap.trim()
        self._frames = frames

    # streaming, on the server's threads ------------------------------------------
    def stream(self, write) -> None:
        """Send frames with `write` at `fps` until unplugged, stopped or the client goes."""
        plugs, n = self._plugs, 0
        next_at = time.monotonic()
        with self._lock:
            self.streams += 1
        try:
            while not self._stop.is_set() and self._plugs == plugs:
                if self.frozen:
                    self._stop.wait(0.05)
                    next_at = time.monotonic()
                    continue
                frame = self._frames[n % len(self._frames)]
                write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame)}\r\n\r\n"
                      .encode() + frame + b"\r\n")
                n += 1
                self.frames_sent += 1  # one writer at a time in practice (the driver): not locked
                next_at = max(next_at + 1 / self.fps, time.monotonic() - 1)
                self._stop.wait(max(0.0, next_at - time.monotonic()))
        except OSError:
            pass  # the client went away
        finally:
            with self._lock:
                self.streams -= 1


DOCUMENT_KEYS = [d.key for d in scene.DOCUMENTS]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "kiosk-camera-emulator"

    def do_GET(self) -> None:
        emulator: CameraEmulator = self.server.emulator
        if self.path.split("?")[0] != STREAM_PATH:
            self.send_error(404, f"the stream is at {STREAM_PATH}")
            return
        if emulator.unplugged:
            self.send_error(503, "camera unplugged")
            return
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        emulator.stream(self.wfile.write)

    def log_message(self, *args) -> None:
        pass


# `kiosk emulate camera` ------------------------------------------------------------------
HELP = ("commands: page N (1-{n}: {pages}), no page, dark [on|off], unplug, plug, freeze [on|off], "
        "clear, status, help, quit").format(n=len(DOCUMENT_KEYS), pages=", ".join(DOCUMENT_KEYS))


def command(emulator: CameraEmulator, line: str) -> str:
    """One stdin command; returns the reply."""
    words = line.lower().split()
    switch = len(words) == 1 or (len(words) == 2 and words[1] in ("on", "off"))
    on = len(words) == 1 or words[-1] == "on"
    if not words:
        return ""
    if words[0] == "page" and len(words) == 2:
        try:
            emulator.show(words[1])
        except ValueError as e:
            return f"error: {e}"
    elif words in (["no", "page"], ["empty"]):
        emulator.show(None)
    elif words[0] == "dark" and switch:
        emulator.set_dark(on)
    elif words[0] == "freeze" and switch:
        emulator.freeze(on)
    elif words == ["unplug"]:
        emulator.unplug()
    elif words == ["plug"]:
        emulator.plug()
    elif words == ["clear"]:
        emulator.clear()
    elif words != ["status"]:
        return HELP
    return emulator.state()


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit() and 640 <= int(width) <= 8192 and 480 <= int(height) <= 8192):
        raise argparse.ArgumentTypeError("must be WIDTHxHEIGHT, from 640x480 to 8192x8192")
    return int(width), int(height)
