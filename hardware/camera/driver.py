"""Document camera (高拍仪) driver on OpenCV's cv2.VideoCapture.

A V4L2 camera is asked for MJPG at 2592x1944 and 15 fps (what 5-megapixel document
cameras offer; it answers with the nearest it has) and for JPEG frames as they come
(CAP_PROP_CONVERT_RGB off); an MJPEG-over-HTTP stream (IP cameras, the `sim:`
emulator) is read by FFmpeg in raw mode, one JPEG a frame. Frames are decoded here:
at 1/2, 1/4 or 1/8 size for the preview (libjpeg scales while decoding, so a 5 MP
frame costs a few ms), in full only for a capture. A camera without MJPG at that size
(YUYV only) and backends that decode anyway hand out BGR frames: those work too.

Threads: the device's own grab thread reads the stream while someone wants it (a
preview asked for in the last `keep_streaming` seconds, a capture or a health check
waiting) and closes it otherwise, so an idle kiosk neither decodes nor keeps the
camera's lamp on (an unplugged V4L2 camera is still noticed: its device node goes).
While a preview is wanted it also makes the preview: the newest frame scaled to at
most PREVIEW_WIDTH, as RGB bytes, with the sheet's outline.
`capture()` and `check_health()` run on the caller's thread (the DeviceHub's worker
for this device), never on the grab thread. Pictures of documents are personal data:
frames and previews are dropped when the stream closes, and never logged.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

# OpenCV and FFmpeg warn on stderr about every refused or cut stream; the status says it plainly
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

import cv2  # noqa: E402  (after the log levels: OpenCV reads them once)
import numpy as np

cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # if cv2 was imported before us

from hardware.camera import heap
from hardware.camera import page as pages
from hardware.model import Device, DeviceError, Health, Lifecycle, Status

PREVIEW_WIDTH = 640
CAPTURE_DETECT_WIDTH = 1296  # the outline of a capture is found at this width (preview: 640)
TOO_DARK = "too dark — switch on the camera light / place the page"
NO_PAGE = "no page found — place the page flat inside the frame"
REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
           8: cv2.IMREAD_REDUCED_COLOR_8}


class CameraError(DeviceError):
    """A camera failure; `health` is what it leaves the device's status at."""

    health = Health.ERROR


class CameraOffline(CameraError):
    health = Health.OFFLINE


class NoFrames(CameraError):
    health = Health.ERROR


class TooDark(CameraError):
    health = Health.WARNING


class NoPage(CameraError):
    health = Health.OK  # the camera works; the page is not (yet) where it should be


@dataclass(frozen=True)
class Source:
    """Where the frames come from and how cv2.VideoCapture opens it."""

    target: str                 # /dev/video0, or the stream's http:// URL
    api: int                    # cv2.CAP_V4L2 or cv2.CAP_FFMPEG
    width: int = 2592           # asked of a V4L2 camera
    height: int = 1944
    fps: float = 15.0
    warmup: float = 0.0         # seconds of frames to drop after opening (exposure settling)

    @classmethod
    def v4l2(cls, path: str, width: int = 2592, height: int = 1944, fps: float = 15.0) -> Source:
        return cls(path, cv2.CAP_V4L2, width, height, fps, warmup=0.5)

    @classmethod
    def stream(cls, url: str) -> Source:
        return cls(url, cv2.CAP_FFMPEG)

    def open(self, timeout: float) -> cv2.VideoCapture | None:
        """An opened capture, or None when there is nothing to open (within `timeout`)."""
        ms = int(timeout * 1000)
        if self.api == cv2.CAP_V4L2:
            if not os.path.exists(self.target):
                return None
            cap = cv2.VideoCapture(self.target, cv2.CAP_V4L2)
            if cap.isOpened():
                # order matters: the pixel format first, then a size it offers, then the rate
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
                cap.set(cv2.CAP_PROP_FPS, self.fps)
                cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)      # the newest frame, not one from a queue
                cap.set(cv2.CAP_PROP_CONVERT_RGB, 0)     # JPEG bytes as they came
                if int(cap.get(cv2.CAP_PROP_FOURCC)) != cv2.VideoWriter_fourcc(*"MJPG"):
                    cap.set(cv2.CAP_PROP_CONVERT_RGB, 1)  # no MJPG at this size (YUYV): OpenCV converts
                cap.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms)
        else:
            cap = cv2.VideoCapture(self.target, cv2.CAP_FFMPEG, [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms,
                cv2.CAP_PROP_FORMAT, -1])                # raw: each frame's JPEG, undecoded
        if not cap.isOpened():
            cap.release()
            return None
        return cap

    def present(self) -> bool | None:
        """Whether the camera is there without opening it (V4L2: its device node); None: cannot tell."""
        return os.path.exists(self.target) if self.api == cv2.CAP_V4L2 else None


@dataclass(frozen=True)
class PreviewFrame:
    """The newest frame, small, for a screen to show.

    `rgb` is width*height*3 bytes, top row first (a Kivy texture takes it with
    blit_buffer(rgb, colorfmt="rgb") once flipped vertically). `outline` is the sheet's
    corners, top-left, top-right, bottom-right, bottom-left, in these pixels (origin top
    left), or None; `problem` is "" or what to tell the resident (TOO_DARK, NO_PAGE).
    """

    frame_id: int
    width: int
    height: int
    rgb: bytes
    outline: tuple[tuple[int, int], ...] | None
    problem: str
    at: float


def _is_jpeg(frame: np.ndarray) -> bool:
    return frame.ndim == 1 or (frame.ndim == 2 and frame.shape[0] == 1)


class DocumentCamera(Device):
    kind = "camera"

    def __init__(self, url: str, source: Source, frame_timeout: float = 3.0, retry_interval: float = 0.5,
                 keep_streaming: float = 5.0, emulator: Any = None) -> None:
        super().__init__(url)
        self.source = source
        self.frame_timeout, self.retry_interval, self.keep_streaming = frame_timeout, retry_interval, keep_streaming
        self.emulator = emulator        # the sim: emulator, stopped on close
        self.frame_size: tuple[int, int] | None = None
        self._changed = threading.Condition()
        self._wake = threading.Event()  # the grab thread is wanted (it may be idle)
        _LIVE.add(self)
        self._stream_until = self._preview_until = 0.0
        self._frame: np.ndarray | None = None
        self._frame_id = 0
        self._preview: PreviewFrame | None = None
        self._failure: tuple[float, CameraError] | None = None  # the stream's last failure, and when
        self._stream_ok = False         # the last open/read worked
        self._connected_at = 0.0
        self._absent_when_idle = False

    # lifecycle -------------------------------------------------------------------
    def _open(self) -> None:
        # a camera that is not there yet is not an error to open: its status says so, and
        # the grab thread connects when it arrives and someone wants a picture
        try:
            self._one_frame()
        except CameraError:
            pass

    def _enable(self) -> None:
        self._start_watcher(self._grab_loop, "camera-grab")

    def _disable(self) -> None:
        self._wake.set()
        self._stop_watcher(timeout=self.frame_timeout + 2)

    def _close(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()

    # what screens and services call ---------------------------------------------
    def preview(self, after: int = 0) -> PreviewFrame | None:
        """The newest preview if it is newer than frame `after`, else None. Never blocks: call it
        from the UI thread at the screen's rate; calls keep the camera streaming."""
        self._want(preview=True)
        latest = self._preview
        return latest if latest is not None and latest.frame_id > after else None

    def next_preview(self, after: int = 0, timeout: float = 5.0) -> PreviewFrame | None:
        """Wait (not on a UI thread) for a preview newer than `after`; None on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while (latest := self.preview(after)) is None and time.monotonic() < deadline:
                self._changed.wait(min(0.5, max(0.0, deadline - time.monotonic())))
        return latest

    def capture(self, timeout: float | None = None) -> pages.Page:
        """A full-resolution frame taken now, made into a page (cropped, deskewed, flattened JPEG).

        Raises CameraOffline, NoFrames, TooDark or NoPage, each with a plain message.
        """
        frame = self._fresh_frame(timeout)
        image = frame if not _is_jpeg(frame) else cv2.imdecode(frame, cv2.IMREAD_COLOR)
        if image is None:
            raise self._failed(NoFrames("the camera sent a broken picture: take it again"))
        self.frame_size = (image.shape[1], image.shape[0])
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        if pages.brightness(grey) < pages.DARK:
            raise self._failed(TooDark(TOO_DARK), stream=False)
        self._light_ok()
        corners = pages.find_page(grey, CAPTURE_DETECT_WIDTH)
        if corners is None:
            raise NoPage(NO_PAGE)
        page = pages.make_page(image, corners)
        del image, grey
        heap.trim()
        self.count("captures")
        self.emit("captured", {"width": page.width, "height": page.height, "bytes": len(page.jpeg)})
        return page

    def check_health(self) -> Status:
        """A frame arrives in time and is not dark: ok; otherwise why not."""
        try:
            small = self._small(self._fresh_frame(None))
            if small is None:
                raise self._failed(NoFrames("the camera sends broken pictures: unplug it and plug it in again"))
            if pages.brightness(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)) < pages.DARK:
                self._failed(TooDark(TOO_DARK), stream=False)
            else:
                self._light_ok()
        except CameraError:
            pass  # the status says what
        return self.status

    def self_test(self) -> str:
        """Capture one page (the sim: camera's, or a test sheet under a real one) and say its size."""
        page = self.capture()
        summary = (f"captured a page: {page.width}x{page.height} px ({page.dpi} dpi), "
                   f"{len(page.jpeg) // 1000} KB JPEG")
        page.wipe()
        return summary

    # frames ----------------------------------------------------------------------
    def _want(self, preview: bool = False) -> None:
        until = time.monotonic() + self.keep_streaming
        self._stream_until = until
        if preview:
            self._preview_until = until
        self._wake.set()

    def _streaming(self) -> bool:
        return time.monotonic() < self._stream_until

    def _fresh_frame(self, timeout: float | None) -> np.ndarray:
        """A frame taken after this call began: from the grab thread, or read here when not enabled."""
        if self.lifecycle is not Lifecycle.ENABLED:
            return self._one_frame()
        timeout = 2 * self.frame_timeout + self.source.warmup if timeout is None else timeout
        began = time.monotonic()
        with self._changed:
            seen = self._frame_id
            self._want()
            while True:
                if self._frame_id > seen and self._frame is not None:
                    return self._frame
                failure = self._failure
                if failure is not None and failure[0] >= began:
                    raise failure[1]
                left = began + timeout - time.monotonic()
                if left <= 0:
                    raise self._failed(NoFrames(f"the camera sends no picture (none for {timeout:.0f} s): "
                                                "unplug it and plug it in again"))
                self._changed.wait(min(left, 0.5))

    def _one_frame(self) -> np.ndarray:
        """Open, read one frame after the warm-up, close (when the grab thread does not run)."""
        cap = self._connect()
        try:
            while True:
                frame = self._read(cap)
                if time.monotonic() >= self._connected_at + self.source.warmup:
                    return frame
        finally:
            cap.release()

    def _connect(self) -> cv2.VideoCapture:
        began = time.monotonic()
        cap = self.source.open(self.frame_timeout)
        if cap is None:
            # still gone after a loss: keep saying it went away rather than "no camera"
            gone = self.status.reason if self.status.health is Health.OFFLINE else self._absent()
            raise self._failed(self._no_picture(began) or CameraOffline(gone))
        self._connected_at = time.monotonic()
        return cap

    def _read(self, cap: cv2.VideoCapture) -> np.ndarray:
        began = time.monotonic()
        ok, frame = cap.read()
        if not ok or frame is None or frame.size == 0:
            raise self._failed(self._no_picture(began) or CameraOffline(
                "the camera went away (unplugged?): check its cable; reconnecting"))
        self.count("frames")
        if self.frame_size is None:  # once: a frame's full size (the preview's decoding scale follows)
            full = frame if not _is_jpeg(frame) else cv2.imdecode(frame, cv2.IMREAD_COLOR)
            if full is not None:
                self.frame_size = (full.shape[1], full.shape[0])
        if not self._stream_ok:
            self._stream_ok = True
            self.set_status(self._ready())
        return frame

    def _no_picture(self, began: float) -> NoFrames | None:
        waited = time.monotonic() - began
        if waited < 0.9 * self.frame_timeout:
            return None
        return NoFrames(f"the camera sends no picture (none for {waited:.0f} s): unplug it and plug it in again")

    def _absent(self) -> str:
        if self.source.api == cv2.CAP_V4L2:
            return f"no camera at {self.source.target}: check its USB cable"
        return f"no camera stream at {self.source.target}: check the camera and its cable"

    def _ready(self) -> Status:
        size = f" ({self.frame_size[0]}x{self.frame_size[1]})" if self.frame_size else ""
        return Status(Health.OK, f"ready{size}")

    def _failed(self, error: CameraError, stream: bool = True) -> CameraError:
        """Record a fault (counted once until the status changes); `stream`: the stream failed."""
        status = Status(error.health, str(error))
        if status != self.status:
            self.count("errors")
        self.set_status(status)
        if stream:
            self._stream_ok = False
            with self._changed:
                self._failure = (time.monotonic(), error)
                self._changed.notify_all()
        return error

    def _light_ok(self) -> None:
        """A frame bright enough came: a "too dark" status is over."""
        if self.status.reason == TOO_DARK:
            self.set_status(self._ready())

    def _small(self, frame: np.ndarray) -> np.ndarray | None:
        """The frame as BGR at most PREVIEW_WIDTH wide (JPEG frames decoded at a reduced size);
        None if it does not decode."""
        if _is_jpeg(frame):
            width = self.frame_size[0] if self.frame_size else PREVIEW_WIDTH
            frame = cv2.imdecode(frame, REDUCED[max(f for f in REDUCED if f == 1 or width / f >= PREVIEW_WIDTH)])
            if frame is None:
                return None
        height, width = frame.shape[:2]
        if width > PREVIEW_WIDTH:
            frame = cv2.resize(frame, (PREVIEW_WIDTH, round(height * PREVIEW_WIDTH / width)),
                               interpolation=cv2.INTER_AREA)
        return frame

    def _make_preview(self, frame: np.ndarray, frame_id: int) -> None:
        small = self._small(frame)
        if small is None:
            return  # a broken frame (the stream cut mid-picture): the next one will do
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        level = pages.brightness(grey)
        corners = pages.find_page(grey) if level >= pages.DARK else None
        outline = None if corners is None else tuple((round(float(x)), round(float(y))) for x, y in corners)
        problem = TOO_DARK if level < pages.DARK else NO_PAGE if outline is None else ""
        preview = PreviewFrame(frame_id, small.shape[1], small.shape[0],
                               cv2.cvtColor(small, cv2.COLOR_BGR2RGB).tobytes(), outline, problem,
                               time.monotonic())
        with self._changed:
            self._preview = preview
            self._changed.notify_all()
        if level < pages.DARK:
            self._failed(TooDark(TOO_DARK), stream=False)
        else:
            self._light_ok()

    # the grab thread -------------------------------------------------------------
    def _grab_loop(self) -> None:
        cap = None
        try:
            while not self._stop.is_set():
                if not self._streaming():
                    self._drop(cap)
                    cap = None
                    self._idle()
                    continue
                try:
                    if cap is None:
                        cap = self._connect()
                    frame = self._read(cap)
                except CameraError:
                    self._drop(cap)
                    cap = None
                    self._stop.wait(self.retry_interval)
                    continue
                if time.monotonic() < self._connected_at + self.source.warmup:
                    continue
                with self._changed:
                    self._frame_id += 1
                    self._frame, frame_id = frame, self._frame_id
                    self._changed.notify_all()
                if time.monotonic() < self._preview_until:
                    self._make_preview(frame, frame_id)
        finally:
            self._drop(cap)

    def _drop(self, cap: cv2.VideoCapture | None) -> None:
        """Close the stream (if open) and forget its pictures."""
        if cap is not None:
            cap.release()
        with self._changed:
            self._frame = self._preview = None  # no picture of a document outlives the stream

    def _idle(self) -> None:
        """Stream closed: wait to be wanted; meanwhile notice a V4L2 camera unplugged or back."""
        present = self.source.present()
        if present is False and self.status.health is not Health.OFFLINE:
            self._failed(CameraOffline(self._absent()))
        elif present and self._absent_when_idle:  # plugged back in: try it once
            try:
                self._one_frame()
            except CameraError:
                pass
        self._absent_when_idle = present is False
        self._wake.wait(1.0)
        self._wake.clear()


# A daemon thread that comes back from OpenCV while Python finalises is ended by a forced
# unwind through OpenCV's C++ frames, and that calls std::terminate: the process aborts
# (exit status 134) after everything else went well. So before Python finalises, every
# camera's grab thread is stopped and waited for (atexit runs before daemon threads are ended).
_LIVE: weakref.WeakSet[DocumentCamera] = weakref.WeakSet()


@atexit.register
def _stop_grabbing_at_exit() -> None:
    for camera in list(_LIVE):
        camera._wake.set()
        camera._stop_watcher(timeout=camera.frame_timeout + 2)
