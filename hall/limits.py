"""Rate limits on look-ups: per terminal, and per resident (the ID number of a look-up by identity).

Application numbers and 12345 tickets can be typed at any terminal, so without a limit one
terminal (or a stolen terminal secret) could walk them at the speed of the network. Each
limit is a token bucket, COUNT look-ups per SECONDS, refilled evenly; past it the answer is
429 `too_many_lookups` with Retry-After. Every look-up counts, found or not.

The defaults are far above what a real kiosk does (a terminal serves maybe a resident a
minute, a resident looks up a few numbers): 600 per hour per terminal, 20 per hour per
resident. Settings: $HALL_LOOKUP_LIMIT_TERMINAL and $HALL_LOOKUP_LIMIT_RESIDENT ("COUNT/SECONDS").

The counts are kept in this process's memory (MemoryLimiter): each hall worker counts on its
own, and a restart forgets them. `Limiter` is the one interface the routes use, so that a
limiter shared by all workers (issue 14) replaces it without touching them.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Callable, Mapping, Protocol

from fastapi import Depends, Request

from hall.errors import ErrorAnswer, HallError


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str, name: str) -> "Rate":
        match = re.fullmatch(r"\s*(\d{1,9})\s*/\s*(\d{1,9})\s*", text)
        if not match or int(match[1]) < 1 or int(match[2]) < 1:
            raise ValueError(f"{name}: must be COUNT/SECONDS with both at least 1, e.g. 600/3600 (got {text!r})")
        return cls(int(match[1]), float(match[2]))

    def __str__(self) -> str:
        return f"{self.count} per {self.seconds:g} s"


@dataclass(frozen=True)
class LookupLimits:
    terminal: Rate = Rate(600, 3600)
    resident: Rate = Rate(20, 3600)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "LookupLimits":
        default = cls()
        return cls(*(Rate.parse(environ[name], name) if environ.get(name) else getattr(default, field)
                     for field, name in (("terminal", "HALL_LOOKUP_LIMIT_TERMINAL"),
                                         ("resident", "HALL_LOOKUP_LIMIT_RESIDENT"))))


class Limiter(Protocol):
    def take(self, key: str, rate: Rate) -> float:
        """Count one event for `key`: 0 if within `rate`, else the seconds until one is allowed
        (and nothing counted)."""


class MemoryLimiter:
    """Token buckets in a dict, forgotten once full again (so the dict holds only recent keys)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._buckets: dict[str, tuple[float, float, Rate]] = {}  # key -> (tokens, at, rate)
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def take(self, key: str, rate: Rate) -> float:
        now = self.clock()
        with self._lock:
            tokens, at, _ = self._buckets.get(key, (rate.count, now, rate))
            tokens = min(rate.count, tokens + (now - at) * rate.count / rate.seconds)
            wait = 0.0 if tokens >= 1 else (1 - tokens) * rate.seconds / rate.count
            self._buckets[key] = (tokens - 1 if not wait else tokens, now, rate)
            if now >= self._next_prune:
                self._prune(now)
        return wait

    def _prune(self, now: float) -> None:
        self._next_prune = now + 60
        self._buckets = {key: (tokens, at, rate) for key, (tokens, at, rate) in self._buckets.items()
                         if tokens + (now - at) * rate.count / rate.seconds < rate.count}


class Lookups:
    def __init__(self, limits: LookupLimits, limiter: Limiter):
        self.limits, self.limiter = limits, limiter

    def check(self, key: str, rate: Rate, whose: str) -> None:
        wait = self.limiter.take(key, rate)
        if wait:
            raise HallError(429, "too_many_lookups", f"too many look-ups {whose} ({rate}): "
                            "try again later", headers={"Retry-After": str(max(1, math.ceil(wait)))})

    def terminal(self, terminal_id: str) -> None:
        self.check("terminal:" + terminal_id, self.limits.terminal, "from this terminal")

    def resident(self, id_hash: str) -> None:
        """Keyed by the ID number's keyed hash: the limiter never holds an ID number."""
        self.check("resident:" + id_hash, self.limits.resident, "for this ID number")


def _terminal_lookup(request: Request) -> Lookups:
    lookups: Lookups = request.app.state.lookups
    lookups.terminal(request.state.terminal_id)
    return lookups


# A route taking this counts one look-up against its terminal (429 past the limit) before it runs.
LookupLimited = Annotated[Lookups, Depends(_terminal_lookup)]
LOOKUP_ERRORS = {429: {"model": ErrorAnswer, "description": "too_many_lookups (per terminal or per resident)",
                       "headers": {"Retry-After": {"description": "seconds to wait",
                                                   "schema": {"type": "integer"}}}}}
