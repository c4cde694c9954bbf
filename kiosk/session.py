"""One resident's session: personal data lives here, in memory, and nowhere else.

The session is wiped on finish, card removal and idle timeout. Work started for a
session (a card read, a hall call) carries the session's id; a result that comes
back after the session ended is dropped by `deliver`.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any, Callable

_ids = itertools.count(1)


class Session:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.id = next(_ids)
        self.data: dict[str, Any] = {}
        self.ended_by = ""

    def wipe(self, reason: str) -> None:
        """Forget everything and start a fresh session id."""
        with self._lock:
            for value in self.data.values():
                if hasattr(value, "wipe"):
                    value.wipe()
            self.data.clear()
            self.ended_by = reason
            self.id = next(_ids)

    def is_current(self, session_id: int) -> bool:
        return session_id == self.id

    def deliver(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a result callback so it only runs if this session is still the current one."""
        started = self.id

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if self.is_current(started):
                return callback(*args, **kwargs)
            return None

        return guarded
