"""A USB scanner in keyboard mode (`hid:`) "types" its code and presses Enter. With such a
scanner configured, every key the app gets goes through its KeyBurst first: a fast burst
ending in Enter is a scan (a "scanned" device event, as from a serial scanner) and types
nothing; anything slower is handed on, in order, to the field that has the focus, held back
at most the burst gap. Without one, keys go straight to the field as always.

The router is bound to the window's key events at start, after Kivy's system keyboard and
so called before it (Kivy calls the last bound first): a key it takes never reaches the
field. Fields (screens.widgets.KioskInput) tell it when they have the focus."""

from __future__ import annotations

import time
import weakref

from kivy.clock import Clock
from kivy.core.window import Window

from hardware.scanner import WedgeScanner

ENTER_KEYS = (13, 271)  # Enter, keypad Enter
# Keys that edit or move in a field: letters held back must reach it before them. (Not Shift:
# a scanner presses it inside a burst for capitals.)
EDIT_KEYS = (8, 9, 127, 273, 274, 275, 276, 278, 279, 280, 281)  # Backspace Tab Delete arrows Home End PgUp PgDn


class WedgeKeys:
    def __init__(self, app) -> None:
        self.app = app
        # Weak: a field must not outlive its screen, dropped when the session ends.
        self._focused: weakref.ref | None = None  # the KioskInput with the focus
        self._target: weakref.ref | None = None  # the field the held keys were typed into
        self._flush = Clock.create_trigger(self._flush_now, 0.05)
        Window.bind(on_textinput=lambda _w, text: self.text(self.focused(), text),
                    on_key_down=lambda _w, key, *_a: self.key(self.focused(), key))

    def focused(self):
        return self._focused() if self._focused is not None else None

    def focus_changed(self, field, focused: bool) -> None:
        if focused:
            self._focused = weakref.ref(field)
        elif self.focused() is field:
            self._focused = None

    def scanner(self) -> WedgeScanner | None:
        services = self.app.services
        device = services.devices.device("scanner") if services is not None else None
        return device if isinstance(device, WedgeScanner) else None

    def text(self, target, text: str) -> bool:
        """Typed text from `target` (None: no field has the focus); True: taken here."""
        scanner = self._take(target)
        if scanner is None:
            return False
        now = time.monotonic()
        for char in text:
            scanner.feed(char, now)
        self._flush()
        return True

    def key(self, target, key: int) -> bool:
        """A key press; Enter is taken here, any other key goes on (after what is held)."""
        if key in ENTER_KEYS:
            scanner = self._take(target)
            if scanner is not None:
                scanner.feed("\r", time.monotonic())
                return True
        elif key in EDIT_KEYS and (scanner := self.scanner()) is not None:
            scanner.flush(float("inf"))
        return False

    def _take(self, target) -> WedgeScanner | None:
        scanner = self.scanner()
        if scanner is not None:
            if target is not self._typed_into():
                scanner.flush(float("inf"))  # keys held for another field go there first
                self._target = weakref.ref(target) if target is not None else None
            scanner.typed_to = self._typed
        return scanner

    def _typed_into(self):
        return self._target() if self._target is not None else None

    def _flush_now(self, _dt) -> None:
        scanner = self.scanner()
        if scanner is not None:
            scanner.flush(time.monotonic())
            if scanner.burst.holding:  # the timer came early (it counts from the last frame)
                self._flush()

    def _typed(self, text: str) -> None:
        """Keys that were typing, not a scan: into the field they were typed into."""
        target = self._typed_into()
        if target is None or not target.focus:
            return
        if text != "\n":
            target.insert_text(text)
        elif target.multiline:
            target.insert_text("\n")
        else:
            target.dispatch("on_text_validate")
            if target.text_validate_unfocus:
                target.focus = False
