"""The device model every driver implements (after UnifiedPOS, CEN/XFS and IATA CUSS).

Lifecycle: closed -> open -> enabled (and back). Health: ok, warning, error,
offline, absent, each with a plain reason. Consumables: paper ok / low / empty /
unknown. Events go to subscribers (card inserted/removed, data scanned, status
changed). Counters count reads, prints and errors. Unknown status is a warning,
never ok. Screens and services see only this model, never pyserial or pyscard.
"""

from __future__ import annotations

import ctypes
import enum
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable


class Lifecycle(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    ENABLED = "enabled"


class Health(enum.Enum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    OFFLINE = "offline"
    ABSENT = "absent"


class Paper(enum.Enum):
    OK = "ok"
    LOW = "low"
    EMPTY = "empty"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Status:
    health: Health
    reason: str = ""
    paper: Paper | None = None  # only devices with a consumable set it

    def as_dict(self) -> dict[str, Any]:
        return {"health": self.health.value, "reason": self.reason,
                "paper": self.paper.value if self.paper else None}


@dataclass(frozen=True)
class DeviceEvent:
    kind: str  # "status", "card_inserted", "card_removed", "scanned", "identity", ...
    device: str
    data: Any = None
    at: float = field(default_factory=time.monotonic)


class DeviceError(Exception):
    """A device failure with a plain message a resident or admin can act on."""


class Device:
    """Base of every driver: lifecycle, status, events and counters.

    Subclasses implement `_open`, `_close`, `_enable`, `_disable` (all optional)
    and `check_health` (probes the device and returns a Status).
    """

    kind = "device"

    def __init__(self, url: str) -> None:
        self.url = url
        self.lifecycle = Lifecycle.CLOSED
        self.counters: Counter[str] = Counter()
        self._status = Status(Health.WARNING, "not checked yet", None)
        self._listeners: list[Callable[[DeviceEvent], None]] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()  # set when the watcher thread must end
        self._watcher: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------
    def open(self) -> None:
        with self._lock:
            if self.lifecycle is Lifecycle.CLOSED:
                self._open()
                self.lifecycle = Lifecycle.OPEN

    def enable(self) -> None:
        with self._lock:
            self.open()
            if self.lifecycle is Lifecycle.OPEN:
                self._enable()
                self.lifecycle = Lifecycle.ENABLED

    def disable(self) -> None:
        with self._lock:
            if self.lifecycle is Lifecycle.ENABLED:
                self._disable()
                self.lifecycle = Lifecycle.OPEN

    def close(self) -> None:
        with self._lock:
            self.disable()
            if self.lifecycle is Lifecycle.OPEN:
                self._close()
                self.lifecycle = Lifecycle.CLOSED

    def _start_watcher(self, loop: Callable[[], None], name: str) -> None:
        """Run `loop` (which returns once self._stop is set) on the device's own thread."""
        self._stop.clear()
        self._watcher = threading.Thread(target=loop, name=name, daemon=True)
        self._watcher.start()

    def _stop_watcher(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._watcher and self._watcher is not threading.current_thread():
            self._watcher.join(timeout)
        self._watcher = None

    def _open(self) -> None: ...
    def _enable(self) -> None: ...
    def _disable(self) -> None: ...
    def _close(self) -> None: ...

    # status and events -----------------------------------------------------
    @property
    def status(self) -> Status:
        return self._status

    def check_health(self) -> Status:
        raise NotImplementedError

    def set_status(self, status: Status) -> None:
        """Record a new status; subscribers hear about changes only."""
        if status != self._status:
            self._status = status
            self.emit("status", status)

    def subscribe(self, listener: Callable[[DeviceEvent], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def emit(self, kind: str, data: Any = None) -> None:
        event = DeviceEvent(kind, self.kind, data)
        for listener in list(self._listeners):
            listener(event)

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n


def die_with_parent() -> None:
    """preexec_fn for a helper process (pcscd, a dictionary build) that must not outlive us
    (killed, crashed or timed out).

    Linux sends the signal when the *thread* that started the child ends, so start
    it from a long-lived thread (the main thread or a device worker that stays).
    """
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass
