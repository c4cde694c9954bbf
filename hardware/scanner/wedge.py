"""Keyboard-wedge scanners: tell a scanner's key burst from a person typing.

A USB scanner in keyboard mode "types" its code and presses Enter, a key every few
milliseconds. People are far slower. But the keys do not arrive evenly: the USB stack,
the OS or the GUI's event loop can stall a burst for tens of milliseconds and then hand
over the keys held up in a bunch. So a single gap proves little; the burst's pace does.

The rule: a burst keeps a scanner's pace (a key every `max_gap` s) and may fall behind
it by `stall` s at most. A leaky bucket: each gap adds what it took beyond max_gap to the
burst's lag, each quicker key pays some back (never below zero). A scan of 4 ms keys
with a 60 ms stall falls 30 ms behind and catches up; a person (100 ms a key and more)
falls behind by 70 ms or more a key and is out within two keys. A burst that is out, or
that ends without Enter, is typing; one that ends in Enter with at least `min_length`
keys is a scan. A lone key is therefore held back at most max_gap + stall (110 ms).

Scanners set to a CR LF suffix end a code with two line-end keys: the second one, coming
straight after a scan, is swallowed, or it would press Enter in the focused field.

Framework-free: the GUI feeds it key events (`feed(char, timestamp)`) and a timer
(`flush(now)`, due at `release_at`). Keys are held back while a burst may be under way
and handed on as typing once it is clear they were not a scan, so nothing a person
types is lost.
"""

from __future__ import annotations

from typing import Callable

ENTER = ("\r", "\n", "enter", "return")


class KeyBurst:
    def __init__(self, on_scan: Callable[[str], None], on_typed: Callable[[str], None],
                 max_gap: float = 0.03, min_length: int = 4, stall: float = 0.08) -> None:
        self.on_scan, self.on_typed = on_scan, on_typed
        self.max_gap, self.min_length, self.stall = max_gap, min_length, stall
        self._held: list[str] = []
        self._last = 0.0                       # when the last held key came
        self._lag = 0.0                        # how far the held burst is behind a scanner's pace
        self._scan_ended: float | None = None  # when the last scan's Enter came, till another key

    def feed(self, char: str, at: float) -> None:
        """One key press: `char` is the text it typed ("\\r"/"\\n"/"enter" for Enter), `at` in seconds."""
        self.flush(at)
        scan_ended, self._scan_ended = self._scan_ended, None
        if char.lower() in ENTER:
            if scan_ended is not None and at - scan_ended <= self.max_gap + self.stall:
                return  # the LF of a scan's CR LF
            if len(self._held) >= self.min_length:
                code, self._held = "".join(self._held), []
                self._scan_ended = at
                self.on_scan(code)
            else:
                self._release()
                self.on_typed("\n")
            return
        self._lag = self._lag_at(at) if self._held else 0.0
        self._held.append(char)
        self._last = at

    @property
    def holding(self) -> bool:
        """Keys are held back: a burst may be under way."""
        return bool(self._held)

    @property
    def release_at(self) -> float | None:
        """When the held keys become typing if no other key comes first (None: none held)."""
        return self._last + self.max_gap + self.stall - self._lag if self._held else None

    def flush(self, now: float) -> None:
        """Hand on held keys as typing once the burst has fallen too far behind a scanner's pace."""
        if self._held and now > self.release_at:
            self._release()

    def _lag_at(self, at: float) -> float:
        return max(0.0, self._lag + (at - self._last) - self.max_gap)

    def _release(self) -> None:
        if self._held:
            text, self._held = "".join(self._held), []
            self.on_typed(text)
