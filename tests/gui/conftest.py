"""One real KioskApp per test process (Kivy allows one), driven frame by frame.

The app runs under SDL's offscreen driver with Mesa; touches go through Kivy's
input path (UnitTestTouch posts to the event loop), and screenshots are read
back from the GL framebuffer.
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from kiosk.config import Settings

# The shared app runs every device on its emulator, except the card reader: vsmartcard-vpcd has
# one virtual slot, which the hardware tests need. A test that wants it applies settings with it.
GUI_SETTINGS = Settings().replace(devices=dataclasses.replace(Settings().devices, card="none:"))


class Ui:
    def __init__(self, app):
        self.app = app

    def frames(self, n: int = 3) -> None:
        from kivy.base import EventLoop
        for _ in range(n):
            EventLoop.idle()

    def wait(self, condition, timeout: float = 5.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.frames(1)
            if condition():
                return
        raise AssertionError(f"timed out waiting for {what}")

    def tap(self, widget) -> None:
        self.wait(lambda: not self.app.manager.transition.is_active, what="screen transition")
        x, y = widget.to_window(*widget.center)
        self.tap_at(x, y)

    def tap_at(self, x: float, y: float) -> None:
        from kivy.tests.common import UnitTestTouch
        self.wait(lambda: not self.app.manager.transition.is_active, what="screen transition")
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.frames(1)
        touch.touch_up()
        self.frames(4)

    @property
    def screen(self):
        return self.app.manager.current_screen

    def widgets(self, root=None):
        from kivy.core.window import Window
        roots = [root] if root else [self.screen] + [w for w in Window.children if w is not self.app.root]
        for r in roots:
            yield from r.walk(restrict=True)

    def labels(self, root=None):
        from kivy.uix.label import Label
        return [w for w in self.widgets(root) if isinstance(w, Label) and w.text and w.opacity > 0]

    def texts(self, root=None) -> list[str]:
        return [w.text for w in self.labels(root)]

    def find_text(self, text: str):
        matches = [w for w in self.labels() if w.text == text]
        assert matches, f"no label {text!r} on {self.screen.name}: {self.texts()}"
        return matches[0]

    def screenshot(self):
        from screens.capture import window_image
        self.frames(2)
        return window_image()


@pytest.fixture(scope="session")
def _app(tmp_path_factory):
    from kiosk.fonts import find_cjk_font
    from screens import boot

    state = tmp_path_factory.mktemp("gui-state")
    boot.prepare(size=(1080, 1920), fullscreen=False, show_cursor=True, offscreen=True, state_dir=state)
    from screens.app import KioskApp

    app = KioskApp(GUI_SETTINGS, find_cjk_font(), lockdown=True)
    app._run_prepare()
    ui = Ui(app)
    ui.frames(5)
    yield ui
    app.stop()


@pytest.fixture
def ui(_app):
    """The running app, back on the attract screen in Chinese normal mode with default settings."""
    app = _app.app
    if app.settings != GUI_SETTINGS:
        app.apply_settings(GUI_SETTINGS)
    if app.idle.warning is not None:
        app.idle.keep_going()
    app.end_session("test reset")
    _app.frames(3)
    yield _app

