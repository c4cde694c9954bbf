"""A USB scanner in keyboard mode (`hid:`) "types" its code and presses Enter. With such a
scanner configured, every key the app gets goes through its KeyBurst first: a fast burst
ending in Enter is a scan (a "scanned" device event, as from a serial scanner) and types
nothing; anything slower is handed on, in order, to the field that has the focus, held back
until the burst detector has ruled it out (hardware.scanner.wedge). Without one, keys go
straight to the field as always.

A scanner types control characters as Ctrl+letter: Ctrl+] is GS (the GS1 separator, part
of the code), Ctrl+J and Ctrl+M are LF and CR (a code's end). They go to the burst
detector too; a GS that turns out to be typing is dropped (it means nothing in a field).

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
CONTROL_KEYS = {93: "\x1d", 106: "\n", 109: "\r"}  # with Ctrl: ] J M
# Keys that edit or move in a field: letters held back must reach it before them. (Not Shift:
# a scanner presses it inside a burst for capitals.)
EDIT_KEYS = (8, 9, 127, 273, 274, 275, 276, 278, 279, 280, 281)  # Backspace Tab Delete arrows Home End PgUp PgDn


class WedgeKeys:
    def __init__(self, app) -> None:
        self.app = app
        # Weak: a field must not outlive its screen, dropped when the session ends.
        self._focused: weakref.ref | None = None  # the KioskInput with the focus
        self._target: weakref.ref | None = None  # the field the held keys were typed into
        self._timer = None  # the flush due when held keys become typing
        Window.bind(on_textinput=lambda _w, text: self.text(self.focused(), text),
                    on_key_down=lambda _w, key, _code, _text, modifiers: self.key(self.focused(), key,
                                                                                   modifiers))

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
        self._arm(scanner)
        return True

    def key(self, target, key: int, modifiers=()) -> bool:
        """A key press; Enter and a scanner's control keys are taken here, any other key goes on
        (after what is held)."""
        char = "\r" if key in ENTER_KEYS else CONTROL_KEYS.get(key) if "ctrl" in modifiers else None
        if char is not None:
            scanner = self._take(target)
            if scanner is not None:
                scanner.feed(char, time.monotonic())
                self._arm(scanner)
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

    def _arm(self, scanner: WedgeScanner) -> None:
        """Flush when the held keys are due to become typing."""
        if self._timer is not None:
            self._timer.cancel()
        due = scanner.burst.release_at
        self._timer = None if due is None else Clock.schedule_once(
            self._flush_now, max(0.0, due - time.monotonic()) + 0.005)

    def _flush_now(self, _dt) -> None:
        scanner = self.scanner()
        if scanner is not None:
            scanner.flush(time.monotonic())
            self._arm(scanner)  # again, if the timer came early (it counts from the last frame)

    def _typed(self, text: str) -> None:
        """Keys that were typing, not a scan: into the field they were typed into."""
        target = self._typed_into()
        if target is None or not target.focus:
            return
        if text != "\n":
            target.insert_text(text.replace("\x1d", ""))
        elif target.multiline:
            target.insert_text("\n")
        else:
            target.dispatch("on_text_validate")
            if target.text_validate_unfocus:
                target.focus = False
