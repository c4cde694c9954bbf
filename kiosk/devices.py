"""The DeviceHub: every configured device, opened and owned off the caller's thread.

Each device gets one long-lived worker thread that opens it, runs every call on
it (health checks, prints, reads) and closes it. Long-lived because a pcscd that
`sim:` card starts dies with the *thread* that started it (PR_SET_PDEATHSIG); one
per device so a device that hangs holds up only its own queue, never the others.
Nothing raises out of the hub: a device that is not configured (`none:`), fails
to open or does not answer shows up in `statuses()` with a health and a reason.
Device events go to one callback, on the device's threads (the GUI wraps it with
Kivy's Clock).
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any, TypeVar

from hardware import KINDS, configured
from hardware.model import Device, DeviceError, DeviceEvent, Health, Lifecycle, Status

log = logging.getLogger(__name__)
T = TypeVar("T")

NOT_CONFIGURED = Status(Health.ABSENT, "not configured")
OPENING = Status(Health.WARNING, "opening")
PROBLEMS = (Health.ERROR, Health.OFFLINE, Health.ABSENT)


class DeviceTimeout(DeviceError):
    """A device call did not return in time (the device is still busy with it)."""


class _Worker:
    """One thread running jobs in order until stopped."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def submit(self, job: Callable[[], T]) -> Future:
        future: Future = Future()
        self._jobs.put((job, future))
        return future

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, future = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(job())
                except BaseException as e:  # handed to whoever waits on the future
                    future.set_exception(e)


class _Slot:
    """One configured device: its URL, its worker, the driver once opened, and its problem if any."""

    def __init__(self, kind: str, url: str) -> None:
        self.kind, self.url = kind, url
        self.device: Device | None = None
        self.problem: Status | None = OPENING if self.configured else NOT_CONFIGURED
        self.worker: _Worker | None = None
        self.check: Future | None = None  # the health check in flight (never more than one)

    @property
    def configured(self) -> bool:
        return configured(self.url)

    @property
    def status(self) -> Status:
        if self.problem is not None or self.device is None:
            return self.problem or OPENING
        return self.device.status


class DeviceHub:
    """Opens the devices in `urls` (kind -> device URL) and keeps them until `close()`."""

    def __init__(self, urls: Mapping[str, str], on_event: Callable[[DeviceEvent], None] | None = None,
                 check_timeout: float = 5.0, enable: bool = False) -> None:
        unknown = sorted(set(urls) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown device kind {unknown[0]!r} (known: {', '.join(KINDS)})")
        self.on_event = on_event
        self.check_timeout = check_timeout
        self.enable_devices = enable  # start the drivers' watchers (events) after opening
        self._slots = {kind: _Slot(kind, url) for kind, url in urls.items()}
        self._opened: dict[str, Future] = {}
        self._closed = False
        _OPEN_HUBS.add(self)

    @classmethod
    def from_settings(cls, settings, **options: Any) -> DeviceHub:
        return cls({kind: getattr(settings.devices, kind) for kind in KINDS}, **options)

    # lifecycle ---------------------------------------------------------------
    def start(self, check: bool = True) -> DeviceHub:
        """Begin opening every configured device (then checking its health); returns at once."""
        for kind, slot in self._slots.items():
            if slot.configured and slot.worker is None:
                slot.worker = _Worker(f"device-{kind}")
                self._opened[kind] = slot.worker.submit(lambda s=slot: self._open(s, check))
        return self

    def wait_open(self, timeout: float) -> bool:
        """Wait until every device's opening has finished (well or not); False on timeout."""
        deadline = time.monotonic() + timeout
        for future in self._opened.values():
            try:
                future.result(max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return False
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Close every device on its own thread and stop the threads (waits up to `timeout`)."""
        if self._closed:
            return
        self._closed = True
        for slot in self._slots.values():
            if slot.worker is not None:
                slot.worker.submit(lambda s=slot: self._close(s))
                slot.worker.stop()
        deadline = time.monotonic() + timeout
        for slot in self._slots.values():
            if slot.worker is not None:
                slot.worker.thread.join(max(0.0, deadline - time.monotonic()))
                if slot.worker.thread.is_alive():
                    log.warning("device %s did not close within %g s", slot.kind, timeout)

    def __enter__(self) -> DeviceHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # what the app and the CLI ask -------------------------------------------
    def kinds(self) -> list[str]:
        return list(self._slots)

    def url(self, kind: str) -> str:
        return self._slots[kind].url

    def configured(self, kind: str) -> bool:
        """True when the hub has this kind with a device URL other than `none:`."""
        return kind in self._slots and self._slots[kind].configured

    def device(self, kind: str) -> Device | None:
        """The open driver (for calls through `call`), or None."""
        return self._slots[kind].device

    def statuses(self) -> dict[str, Status]:
        return {kind: slot.status for kind, slot in self._slots.items()}

    def describe(self) -> dict[str, dict[str, Any]]:
        """Per kind: url, lifecycle, health, reason, paper and counters (no personal data)."""
        out = {}
        for kind, slot in self._slots.items():
            device = slot.device
            out[kind] = {"kind": kind, "url": slot.url,
                         "lifecycle": device.lifecycle.value if device else Lifecycle.CLOSED.value,
                         **slot.status.as_dict(),
                         "counters": dict(device.counters) if device else {}}
        return out

    def check_all(self, timeout: float | None = None) -> dict[str, Status]:
        """Every device's check_health(), each bounded by `timeout`: a hung one is reported, not waited for."""
        timeout = self.check_timeout if timeout is None else timeout
        pending: dict[str, Future] = {}
        for kind, slot in self._slots.items():
            if slot.worker is None:
                continue
            if slot.check is None or slot.check.done():  # a check still hanging is waited on, not doubled
                slot.check = slot.worker.submit(lambda s=slot: self._check(s))
            pending[kind] = slot.check
        deadline = time.monotonic() + timeout
        for kind, future in pending.items():
            try:
                future.result(max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                if not future.done():
                    self._set_problem(self._slots[kind], Status(
                        Health.OFFLINE, f"no answer to a health check within {timeout:g} s"))
        return self.statuses()

    def call(self, kind: str, job: Callable[[Device], T], timeout: float) -> T:
        """Run `job(device)` on the device's thread and return its result.

        Raises DeviceError: the device's own, DeviceTimeout, or one saying the device is not usable.
        """
        slot = self._slots[kind]
        if slot.worker is None or self._closed:
            raise DeviceError(f"{kind}: {slot.status.reason or 'not open'}")

        def run() -> T:
            if slot.device is None:
                raise DeviceError(f"{kind}: {slot.status.reason}")
            return job(slot.device)
        try:
            return slot.worker.submit(run).result(timeout)
        except TimeoutError:
            raise DeviceTimeout(f"the {kind} did not finish within {timeout:g} s") from None

    # on the device's own thread ---------------------------------------------
    def _open(self, slot: _Slot, check: bool) -> None:
        from hardware import open_device
        try:
            device = open_device(slot.kind, slot.url)
        except DeviceError as e:
            self._set_problem(slot, Status(Health.ABSENT, str(e)))
            return
        except Exception as e:  # a driver bug must not take the hub (or the app) down
            log.exception("opening the %s failed unexpectedly", slot.kind)
            self._set_problem(slot, Status(Health.ERROR, f"the {slot.kind} driver failed ({type(e).__name__})"))
            return
        device.subscribe(lambda event, s=slot: self._forward(s, event))
        slot.device = device
        if self._open_device(slot) and check:
            self._check(slot)

    def _open_device(self, slot: _Slot) -> bool:
        device = slot.device
        try:
            device.enable() if self.enable_devices else device.open()
        except DeviceError as e:
            # the driver may have said more precisely (absent rather than offline)
            health = device.status.health if device.status.health in PROBLEMS else Health.OFFLINE
            self._set_problem(slot, Status(health, str(e), device.status.paper))
            return False
        except Exception as e:
            log.exception("opening the %s failed unexpectedly", slot.kind)
            self._set_problem(slot, Status(Health.ERROR, f"the {slot.kind} driver failed ({type(e).__name__})"))
            return False
        self._set_problem(slot, None)
        return True

    def _check(self, slot: _Slot) -> Status:
        if slot.device is None:  # the URL itself failed; try again (the driver may have arrived)
            self._open(slot, check=False)
            if slot.device is None:
                return slot.status
        if slot.device.lifecycle is Lifecycle.CLOSED and not self._open_device(slot):
            return slot.status
        try:
            status = slot.device.check_health()
        except DeviceError as e:
            health = slot.device.status.health if slot.device.status.health in PROBLEMS else Health.OFFLINE
            status = Status(health, str(e), slot.device.status.paper)
        except Exception as e:
            log.exception("the %s health check failed unexpectedly", slot.kind)
            status = Status(Health.ERROR, f"the {slot.kind} driver failed ({type(e).__name__})")
        self._set_problem(slot, None if status == slot.device.status else status)
        return status

    def _close(self, slot: _Slot) -> None:
        if slot.device is None:
            return
        try:
            slot.device.close()
        except Exception:
            log.warning("closing the %s failed", slot.kind, exc_info=True)

    # status and events --------------------------------------------------------
    def _set_problem(self, slot: _Slot, problem: Status | None) -> None:
        before = slot.status
        slot.problem = problem
        if slot.status != before:
            self._forward(slot, DeviceEvent("status", slot.kind, slot.status))

    def _forward(self, slot: _Slot, event: DeviceEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception as e:  # a listener's bug must not stop a device's watcher
            # the event may carry personal data (an identity): log the type only
            log.error("device event listener failed on a %s %s event (%s)", slot.kind, event.kind,
                      type(e).__name__)


# The device threads are daemons (a hung device must not keep the process alive), but a
# daemon thread that comes back from a native driver (OpenCV, pyscard) while Python
# finalises is ended by a forced unwind through C++ frames, which aborts the process. So
# before Python finalises, every hub still open closes its devices and waits for their threads.
_OPEN_HUBS: weakref.WeakSet[DeviceHub] = weakref.WeakSet()


@atexit.register
def _close_hubs_at_exit() -> None:
    for hub in list(_OPEN_HUBS):
        hub.close(timeout=5.0)
