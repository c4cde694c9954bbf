"""Keyboard-wedge scanners: tell a scanner's key burst from a person typing.

A USB scanner in keyboard mode "types" its code and presses Enter, every key
within a few milliseconds of the last. People are far slower. Framework-free:
the GUI feeds it key events (`feed(char, timestamp)`) and a timer (`flush(now)`).
Keys are held back while a burst may be under way and handed on as typing once
it is clear they were not a scan, so nothing a person types is lost.
"""

from __future__ import annotations

from typing import Callable

ENTER = ("\r", "\n", "enter", "return")


class KeyBurst:
    def __init__(self, on_scan: Callable[[str], None], on_typed: Callable[[str], None],
                 max_gap: float = 0.03, min_length: int = 4) -> None:
        self.on_scan, self.on_typed = on_scan, on_typed
        self.max_gap, self.min_length = max_gap, min_length
        self._held: list[str] = []
        self._last = 0.0

    def feed(self, char: str, at: float) -> None:
        """One key press: `char` is the text it typed ("\\r"/"\\n"/"enter" for Enter), `at` in seconds."""
        self.flush(at)
        if char.lower() in ENTER:
            if len(self._held) >= self.min_length:
                code, self._held = "".join(self._held), []
                self.on_scan(code)
            else:
                self._release()
                self.on_typed("\n")
            return
        self._held.append(char)
        self._last = at

    @property
    def holding(self) -> bool:
        """Keys are held back: a burst may be under way."""
        return bool(self._held)

    def flush(self, now: float) -> None:
        """Hand on held keys as typing once the burst has gone quiet for longer than max_gap."""
        if self._held and now - self._last > self.max_gap:
            self._release()

    def _release(self) -> None:
        if self._held:
            text, self._held = "".join(self._held), []
            self.on_typed(text)
