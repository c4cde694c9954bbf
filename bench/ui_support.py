"""What the UI benchmarks share: a running hall, the real app on emulated devices in a window on Xvfb,
a frame clock, a timed tap, and a proxy that makes the hall slow.

The app is driven frame by frame in this process (testing.driver), the hall runs in its own
process, the devices on their emulators (pty / TCP), so the figures include real I/O.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import dataclasses
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # voice prompts play into nothing
_X_SERVER = contextlib.ExitStack()


def start_hall(folder: Path) -> tuple[subprocess.Popen, str]:
    """`kiosk hall` with the seed catalogue and the demo terminal, on a free port."""
    log_path = folder / "hall.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "hall", "--port", "0", "--db",
                                    str(folder / "hall.db")], stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        match = re.search(r"serving (http://[\d.]+:\d+)", log_path.read_text(errors="replace"))
        if match:
            return process, match[1]
        time.sleep(0.05)
    process.kill()
    sys.exit(f"the hall did not start: {log_path.read_text()}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def settings_for(hall_url: str, hall_timeout: float | None = None, **devices: str):
    from kiosk.config import Settings
    base = Settings()
    return base.replace(hall=dataclasses.replace(base.hall, url=hall_url, timeout=hall_timeout or base.hall.timeout),
                        devices=dataclasses.replace(base.devices, card="none:", **devices))


def start_app(settings, folder: Path):
    """The app in a window on a private Xvfb, drawn through X11 and GLX as on a kiosk. SDL's
    offscreen driver (what the GUI tests use) would add its own stall: with Mesa it holds the
    first update of a texture already drawn, e.g. a button's new label, 50-70 ms (measured)."""
    from testing import xserver
    from testing.driver import start_app as start
    offscreen = not xserver.available()
    if offscreen:
        print("Xvfb is not installed: measuring under SDL's offscreen driver, which adds its own stalls")
    else:
        os.environ["DISPLAY"] = _X_SERVER.enter_context(xserver.xvfb())
        atexit.register(_X_SERVER.close)
    ui = start(settings, folder / "state", offscreen=offscreen)
    wait_for_devices(ui, ("idcard", "printer", "scanner"))
    return ui


def wait_for_devices(ui, kinds, timeout: float = 30) -> None:
    def ready():
        hub = ui.app.services.devices
        return all(hub.device(k) is not None and hub.device(k).status.health.value == "ok" for k in kinds)
    ui.wait(ready, timeout=timeout, what="the emulated devices")


class FrameClock:
    """Records the time between frames: a gap is how long the UI thread did not draw."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last: float | None = None

    def start(self) -> FrameClock:
        from kivy.clock import Clock
        self._last = None
        Clock.schedule_interval(self._tick, 0)
        return self

    def _tick(self, _dt) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.gaps.append(now - self._last)
        self._last = now

    def stop(self) -> list[float]:
        from kivy.clock import Clock
        Clock.unschedule(self._tick)
        return self.gaps


def timed_press(ui, widget, until, timeout: float = 20.0, hold: float = 0.15) -> float:
    """Seconds from the finger's release to the first frame drawn after `until()` holds and
    the screen transition has finished."""
    from kivy.tests.common import UnitTestTouch
    ui.wait(lambda: not ui.app.manager.transition.is_active, what="screen transition")
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    end = time.monotonic() + hold
    while time.monotonic() < end:
        ui.frames(1)
    released = time.perf_counter()
    touch.touch_up()
    return time_until(ui, released, until, timeout)


def time_until(ui, since: float, until, timeout: float = 20.0) -> float:
    deadline = since + timeout
    while time.perf_counter() < deadline:
        ui.frames(1)
        if until() and not ui.app.manager.transition.is_active:
            ui.frames(1)  # the frame that shows it
            return time.perf_counter() - since
    problem = getattr(ui.screen.ids.get("problem"), "text", "")
    raise AssertionError(f"timed out on {ui.app.manager.current}: {problem}")


def on_screen(ui, name: str):
    return lambda: ui.app.manager.current == name


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary_ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"p50 {statistics.median(ms):7.1f}  p95 {percentile(ms, 95):7.1f}  max {max(ms):7.1f} ms"


class SlowProxy:
    """A TCP proxy in front of the hall that holds each answer back `delay` seconds: a hall
    call that takes that long, over a real socket."""

    def __init__(self, upstream: str, delay: float) -> None:
        host, port = re.match(r"http://([\d.]+):(\d+)", upstream).groups()
        self.upstream, self.delay = (host, int(port)), delay
        self.url = ""
        self._ready = threading.Event()
        threading.Thread(target=self._run, daemon=True, name="slow-proxy").start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        self._ready.set()
        async with server:
            await server.serve_forever()

    async def _client(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        asked = asyncio.Event()  # a request went up since the last answer came back

        async def pipe(src, dst, answers: bool) -> None:
            try:
                while data := await src.read(65536):
                    if not answers:
                        asked.set()
                    elif asked.is_set():  # the first bytes of an answer: hold them back
                        asked.clear()
                        await asyncio.sleep(self.delay)
                    dst.write(data)
                    await dst.drain()
            except ConnectionError:
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True))


def temp_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
