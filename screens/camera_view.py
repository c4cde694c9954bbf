"""The document camera on screen: the live preview with the sheet's outline, and page thumbnails.

The camera's own thread grabs frames and makes the small previews (hardware.camera.driver); this
widget only polls the newest one (`DocumentCamera.preview`, which never blocks) and blits it into
a texture, so the UI thread does no image work beyond the copy. Thumbnails of captured pages are
decoded on a worker.
"""

from __future__ import annotations

import io
import time
from collections import deque

from kivy.clock import Clock
from kivy.graphics import Color, Line, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.widget import Widget

from screens.widgets import app

POLL = 1 / 30  # the screen asks twice per camera frame, so a new frame waits at most ~33 ms
NO_PICTURE_AFTER = 3.0  # seconds without a new frame before the preview says so
THUMB_WIDTH = 240

# what the preview and a capture say (message ids)
OFFLINE = "The document camera is not connected. You can bring this paper to the service window instead."
NO_PICTURE = "The document camera shows no picture. Please try again, or bring this paper to the service window."
DARK = "The picture is too dark. Please switch on the camera light and try again."
NO_PAGE = "No page found. Please place the paper flat inside the frame and try again."
CAPTURE_FAILED = "The photo could not be taken. Please try again, or bring this paper to the service window."


screenshot_camera = None  # `kiosk screenshot` runs without the DeviceHub: its own sim: camera


def camera():
    """The open document camera, or None (not fitted, not open yet, or gone)."""
    if screenshot_camera is not None:
        return screenshot_camera
    hub = getattr(app().services, "devices", None)
    if hub is None or not hub.configured("camera"):
        return None
    return hub.device("camera")


def capture_page(timeout: float = 15.0):
    """Blocking (run it through app.background): a page (hardware.camera.Page) taken now, on the
    camera's thread; raises the camera's errors (see fault_message)."""
    from hardware.model import DeviceError
    hub = getattr(app().services, "devices", None)
    if hub is None or not hub.configured("camera") or hub.device("camera") is None:
        raise DeviceError("no camera")
    return hub.call("camera", lambda device: device.capture(), timeout=timeout)


def fault_message(error: BaseException) -> str:
    """A camera fault as a message id the resident can act on."""
    from hardware.camera import CameraOffline, NoFrames, NoPage, TooDark
    for kind, message in ((CameraOffline, OFFLINE), (NoFrames, NO_PICTURE), (TooDark, DARK), (NoPage, NO_PAGE)):
        if isinstance(error, kind):
            return message
    return OFFLINE if "no camera" in str(error) or "not open" in str(error) else CAPTURE_FAILED


class CameraPreview(Widget):
    """The live picture, fitted in the widget, with the page's outline when the camera finds one."""

    problem = StringProperty("")         # message id, "" while a page is in view
    found = BooleanProperty(False)       # the outline is drawn
    shown = NumericProperty(0)           # frames shown since start (the bench counts them)
    running = BooleanProperty(False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._texture = None
        self._frame_id = 0
        self._last_new = 0.0
        self._event = None
        self._outline = None
        self.times: deque[float] = deque(maxlen=60)   # when frames were shown (fps)
        with self.canvas:
            Color(0.15, 0.15, 0.15, 1)
            self._back = Rectangle(pos=self.pos, size=self.size)
            self._colour = Color(1, 1, 1, 1)
            self._picture = Rectangle(pos=self.pos, size=(0, 0))
            Color(0.1, 0.85, 0.3, 1)
            self._line = Line(points=[], width=3, close=True)
        self.bind(pos=self._layout, size=self._layout)

    def start(self) -> None:
        if self._event is None:
            self._last_new = time.monotonic()
            self._event = Clock.schedule_interval(self._tick, POLL)
            self.running = True

    def stop(self) -> None:
        """Stop polling and forget the picture (nothing of a page stays on screen)."""
        if self._event is not None:
            self._event.cancel()
            self._event = None
        self.running = False
        self._texture, self._outline, self._frame_id = None, None, 0
        self._picture.texture, self._picture.size, self._line.points = None, (0, 0), []
        self.found, self.problem = False, ""

    def fps(self) -> float:
        if len(self.times) < 2:
            return 0.0
        return (len(self.times) - 1) / max(1e-6, self.times[-1] - self.times[0])

    def _tick(self, _dt) -> None:
        device = camera()
        frame = device.preview(self._frame_id) if device is not None else None
        now = time.monotonic()
        if frame is None:
            if device is None:
                self.problem = OFFLINE
            elif now - self._last_new > NO_PICTURE_AFTER:
                health = getattr(getattr(device.status, "health", None), "value", "")
                self.problem = OFFLINE if health in ("offline", "absent") else NO_PICTURE
            return
        self._frame_id, self._last_new = frame.frame_id, now
        texture = self._texture
        if texture is None or texture.size != (frame.width, frame.height):
            texture = self._texture = Texture.create(size=(frame.width, frame.height), colorfmt="rgb")
            texture.flip_vertical()  # the frame's first row is its top
        texture.blit_buffer(frame.rgb, colorfmt="rgb", bufferfmt="ubyte")
        self._picture.texture = texture
        self._outline = frame.outline
        self.found = frame.outline is not None
        self.problem = "" if not frame.problem else (DARK if "dark" in frame.problem else NO_PAGE)
        self.shown += 1
        self.times.append(now)
        self._layout()
        self.canvas.ask_update()

    def _layout(self, *_) -> None:
        self._back.pos, self._back.size = self.pos, self.size
        texture = self._texture
        if texture is None:
            self._line.points = []
            return
        width, height = texture.size
        scale = min(self.width / width, self.height / height)
        x0, y0 = self.x + (self.width - width * scale) / 2, self.y + (self.height - height * scale) / 2
        self._picture.pos, self._picture.size = (x0, y0), (width * scale, height * scale)
        if self._outline is None:
            self._line.points = []
        else:  # the outline's origin is the frame's top left
            self._line.points = [v for x, y in self._outline for v in (x0 + x * scale, y0 + (height - y) * scale)]


def thumbnail(jpeg: bytes | bytearray) -> tuple[int, int, bytes]:
    """Blocking (a worker): a small RGB picture of a page, top row first."""
    from PIL import Image
    with Image.open(io.BytesIO(bytes(jpeg))) as image:
        image.draft("RGB", (THUMB_WIDTH, THUMB_WIDTH * 2))  # JPEG: decode at a reduced size
        image = image.convert("RGB")
        image.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 2))
        return image.width, image.height, image.tobytes()


class PageThumb(Widget):
    """A page's small picture (set `picture` to thumbnail()'s answer), fitted in the widget."""

    picture = ObjectProperty(None, allownone=True)
    number = NumericProperty(0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.canvas:
            Color(0.85, 0.85, 0.85, 1)
            self._back = Rectangle()
            Color(1, 1, 1, 1)
            self._rect = Rectangle(size=(0, 0))
        self.bind(pos=self._layout, size=self._layout, picture=self._show)

    def _show(self, *_) -> None:
        if self.picture is None:
            self._rect.texture, self._rect.size = None, (0, 0)
            return
        width, height, rgb = self.picture
        texture = Texture.create(size=(width, height), colorfmt="rgb")
        texture.flip_vertical()
        texture.blit_buffer(rgb, colorfmt="rgb", bufferfmt="ubyte")
        self._rect.texture = texture
        self._layout()

    def _layout(self, *_) -> None:
        self._back.pos, self._back.size = self.pos, self.size
        texture = self._rect.texture
        if texture is None:
            return
        width, height = texture.size
        scale = min(self.width / width, self.height / height)
        self._rect.size = (width * scale, height * scale)
        self._rect.pos = (self.x + (self.width - width * scale) / 2, self.y + (self.height - height * scale) / 2)
