"""Drive the real KioskApp frame by frame, in-process: the GUI tests and the UI benchmarks
use it. Touches go through Kivy's input path (UnitTestTouch posts to the event loop) and
screenshots are read back from the GL framebuffer, so what is measured is what a resident gets.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path


def start_app(settings, state_dir: str | Path, size: tuple[int, int] = (1080, 1920),
              offscreen: bool = True) -> Ui:
    """Build and start the app (one per process: Kivy allows one window), under SDL's offscreen
    driver or, with offscreen=False, in a window on $DISPLAY."""
    from kiosk.fonts import find_cjk_font
    from screens import boot

    boot.prepare(size=size, fullscreen=False, show_cursor=True, offscreen=offscreen,
                 state_dir=Path(state_dir))
    from screens.app import KioskApp

    app = KioskApp(settings, find_cjk_font(), lockdown=True)
    app._run_prepare()
    # SDL turned SIGTERM into a window close, which lockdown refuses: a driven app would
    # then only stop with SIGKILL.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    ui = Ui(app)
    ui.frames(5)
    return ui


class Ui:
    """The running app, and touches, waits and looks at it."""

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
        """The labels' texts as given (a KinsokuLabel's without the line breaks it put in)."""
        return [getattr(w, "raw", "") or w.text for w in self.labels(root)]

    def find_text(self, text: str):
        matches = [w for w in self.labels() if (getattr(w, "raw", "") or w.text) == text]
        assert matches, f"no label {text!r} on {self.screen.name}: {self.texts()}"
        return matches[0]

    def screenshot(self):
        from screens.capture import window_image
        self.frames(2)
        return window_image()


# -- driving a flow -----------------------------------------------------------------------
def open_tile(ui, service: str) -> None:
    """From home, tap the service's tile and wait for its first screen."""
    ui.app.show("home")
    ui.frames(2)
    tile = next(t for t in ui.screen.ids.tiles.children if t.service == service)
    ui.tap(tile)
    ui.wait(lambda: ui.screen.name == service, what=f"the {service} screen")


def reveal(ui, widget) -> None:
    """Scroll the widget's ScrollView (if any) so that the widget can be tapped."""
    from screens.widgets import keep_in_view
    ui.frames(2)  # let a layout that just changed settle first
    keep_in_view(widget)
    wait_until_still(ui, widget)


def wait_until_still(ui, widget, timeout: float = 5.0) -> None:
    """Like a person, tap only once the widget has stopped moving (a scroll coming to rest)."""
    last = None
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ui.frames(1)
        here = widget.to_window(*widget.pos)
        if here == last:
            return
        last = here


def type_on_keyboard(ui, field, keys, layout: str | None = None) -> None:
    """Tap a form field (a FlowField) and type on the on-screen keyboard that comes up under
    the form, as a resident without a hardware keyboard does. `keys`: characters or key
    names ("to:digits", "done", ...) or ("pick", "路灯") to tap a pinyin candidate."""
    text_input = field.ids.input
    reveal(ui, text_input)
    press(ui, text_input)
    ui.wait(lambda: text_input.focus, what="the field's focus")
    ui.frames(3)
    keyboard = ui.screen.ids.dock.keyboard
    assert keyboard is not None and keyboard.parent is not None, f"no on-screen keyboard: {keyboard}"
    assert keyboard.target == text_input and keyboard.layout == (layout or field.keyboard), \
        (keyboard.target, keyboard.layout)
    if any(isinstance(key, tuple) for key in keys):
        from screens.keyboard import DICTIONARY  # loaded on a worker when a keyboard first needs it
        ui.wait(lambda: DICTIONARY.state == "ready", timeout=180, what="the pinyin dictionary")
    for key in keys:
        if isinstance(key, tuple):
            ui.wait(lambda: any(b.text == key[1] for b in keyboard.candidate_buttons()), timeout=10,
                    what=f"the candidate {key[1]}, not {[b.text for b in keyboard.candidate_buttons()]}")
            button = next(b for b in keyboard.candidate_buttons() if b.text == key[1])
        else:
            button = keyboard.key(key)
        press(ui, button, hold=0.08)


def find_button(ui, text: str):
    """The first touch target on screen whose text contains `text` (scrolled into view)."""
    from kivy.uix.behaviors import ButtonBehavior
    for w in ui.widgets():
        if isinstance(w, ButtonBehavior) and text in getattr(w, "text", "") and w.opacity > 0 \
                and not w.disabled:
            reveal(ui, w)
            return w
    raise AssertionError(f"no button with {text!r} on {ui.screen.name}: {ui.texts()}")


def press(ui, widget, hold: float = 0.15) -> None:
    """A finger's tap (down, held `hold` s, up). A ScrollView keeps a touch to itself for its
    scroll_timeout (55 ms) before it hands it to the child; a tap shorter than that reaches
    the child only through the ScrollView's replay, which may come after focus handling."""
    from kivy.tests.common import UnitTestTouch
    ui.wait(lambda: not ui.app.manager.transition.is_active, what="screen transition")
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    end = time.monotonic() + hold
    while time.monotonic() < end:
        ui.frames(1)
    touch.touch_up()
    ui.frames(4)


def type_into(ui, text_input, text: str, tries: int = 3) -> None:
    """Tap a text field and type as a hardware keyboard does (the window's text input event).
    A tap that lands while a ScrollView is still settling after a layout change is taken for
    the start of a scroll; like a person, tap again."""
    from kivy.core.window import Window
    for attempt in range(tries):
        reveal(ui, text_input)
        press(ui, text_input)
        try:
            ui.wait(lambda: text_input.focus, timeout=3 if attempt < tries - 1 else 10, what="text field focus")
            break
        except AssertionError:
            if attempt == tries - 1:
                raise
            ui.frames(5)
    Window.dispatch("on_textinput", text)
    ui.frames(2)
