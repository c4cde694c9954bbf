"""The terminal's telemetry: heartbeats to the hall, its commands, and local Prometheus figures.

A `Telemetry` worker thread builds a snapshot every interval (or the hall's
`next_heartbeat_s`) from providers the app hands it, sends it as the heartbeat
(docs/hall-api.md, Fleet), carries out the commands in the answer through handlers
the app registers, and reports each result. Everything it sends is free of
personal data: providers give health, counts and screen names only, and the
last-errors buffer masks digit runs again.

The hall being down never raises out of the worker: failures are counted, logged
once per outage, and heartbeats resume when the hall answers again. A handler that
hangs is given up after `handler_timeout` (it runs on a thread of its own).
No Kivy here: handlers that need the UI thread are wrapped by the app.

Wiring, in the app: kiosk.services.Services builds it (devices, outbox, today's
transactions, the process's ErrorRing) and starts and stops it with the other services;
screens/remote.py registers the command handlers (on Kivy's thread where they need it);
`kiosk run` / `kiosk demo` install the ErrorRing before anything logs:
    errors = installed_error_ring()
    telemetry = Telemetry.from_settings(settings, devices=configured_statuses(hub), outbox=outbox,
                                        screen=lambda: manager.current, transactions=counter,
                                        errors=errors, session_active=lambda: bool(session.data))
    telemetry.register("print_test", ...)        # and the other kinds
    telemetry.start(settings.telemetry.metrics_port)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from datetime import date
from pathlib import Path
from typing import Any

import psutil

from kiosk import __version__, hall_api
from kiosk.errors import KioskError
from kiosk.hall_client import HallClient, HallError, HallRejected
from kiosk.logs import mask

log = logging.getLogger("kiosk.telemetry")

COMMAND_KINDS = ("reload_settings", "restart", "print_test", "screenshot", "message")
HEALTHS = ("ok", "warning", "error", "offline", "absent")
PAPERS = ("ok", "low", "empty", "unknown")
MAX_KINDS, MAX_ERRORS, TEXT_MAX, DETAIL_MAX = 20, 10, 200, 1000  # the hall's limits
RESTART_FILE = "telemetry-restart.json"  # the id of a restart command, reported after the restart


class TelemetryError(KioskError):
    pass


class TransactionCounter:
    """Today's completed transactions by kind; starts again at local midnight."""

    def __init__(self, today: Callable[[], date] = date.today):
        self._today, self._lock = today, threading.Lock()
        self._day, self._counts = today(), {}

    def count(self, kind: str, n: int = 1) -> None:
        if not isinstance(kind, str) or not 1 <= len(kind) <= 32:
            raise TelemetryError(f"a transaction kind must be 1 to 32 characters (got {kind!r:.40})")
        if not isinstance(n, int) or n < 1:
            raise TelemetryError(f"a transaction count must be a whole number of at least 1 (got {n!r:.20})")
        with self._lock:
            self._roll()
            self._counts[kind] = self._counts.get(kind, 0) + n

    def today(self) -> dict[str, int]:
        with self._lock:
            self._roll()
            return dict(self._counts)

    def _roll(self) -> None:
        day = self._today()
        if day != self._day:
            self._day, self._counts = day, {}


class ErrorRing(logging.Handler):
    """The last WARNING+ log messages (masked, clipped) not yet sent in a heartbeat."""

    def __init__(self, size: int = MAX_ERRORS, level: int = logging.WARNING):
        super().__init__(level)
        self._entries: deque[tuple[int, str]] = deque(maxlen=size)
        self._seq, self._lock_ = 0, threading.Lock()
        # The worker's own "hall unreachable" would otherwise turn every terminal red on the
        # console right after a hall outage; the hall knows about its own outage.
        self.addFilter(lambda record: not record.name.startswith(log.name))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = mask(record.getMessage())
        except Exception:
            text = mask(str(record.msg))
        text = " ".join(text.split())[:TEXT_MAX]
        with self._lock_:
            self._seq += 1
            self._entries.append((self._seq, text))

    def pending(self) -> tuple[int, list[str]]:
        """(marker, messages) of what has not been sent yet; pass the marker to `sent`."""
        with self._lock_:
            return self._seq, [text for _, text in self._entries]

    def sent(self, marker: int) -> None:
        with self._lock_:
            while self._entries and self._entries[0][0] <= marker:
                self._entries.popleft()

    def install(self, logger: logging.Logger | None = None) -> ErrorRing:
        (logger or logging.getLogger()).addHandler(self)
        return self


def installed_error_ring() -> ErrorRing:
    """The process's ErrorRing on the root logger, installed on first use.

    One per process, not per Telemetry: the app rebuilds its services (and so its Telemetry)
    when settings change, and what was logged in between must still reach the next heartbeat."""
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, ErrorRing):
            return handler
    return ErrorRing().install(root)


def configured_statuses(hub) -> Callable[[], dict]:
    """A devices provider from a kiosk.devices.DeviceHub: configured devices only (not `none:`)."""
    return lambda: {kind: status for kind, status in hub.statuses().items() if hub.configured(kind)}


def _device_report(status: Any) -> hall_api.DeviceReport:
    """hardware.model.Status (or its as_dict) -> the heartbeat's {health, reason, paper}."""
    data = status.as_dict() if hasattr(status, "as_dict") else dict(status)
    health = data.get("health") if data.get("health") in HEALTHS else "warning"  # unknown is never ok
    paper = data.get("paper") if data.get("paper") in PAPERS else None
    return {"health": health, "reason": mask(str(data.get("reason") or ""))[:TEXT_MAX], "paper": paper}


def _clip_kinds(counts: Mapping[str, int]) -> dict[str, int]:
    """At most 20 kinds (the hall's limit): the largest 19 and the rest summed as "other"."""
    if len(counts) <= MAX_KINDS:
        return dict(counts)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return dict(ranked[:MAX_KINDS - 1]) | {"other": sum(n for _, n in ranked[MAX_KINDS - 1:])}


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


Handler = Callable[..., Any]


class Telemetry:
    """The heartbeat worker. Providers are callables; each may fail without stopping it."""

    def __init__(self, client: HallClient, *, interval: float = 30,
                 devices: Callable[[], Mapping[str, Any]] = dict,
                 outbox: Any = None, screen: Callable[[], str] = str,
                 transactions: TransactionCounter | None = None, errors: ErrorRing | None = None,
                 session_active: Callable[[], bool] = lambda: False,
                 state_dir: str | Path | None = None, handler_timeout: float = 30.0,
                 app_version: str = __version__):
        self.client, self.interval = client, float(interval)
        self.devices, self.outbox, self.screen = devices, outbox, screen
        self.transactions = transactions or TransactionCounter()
        self.errors = errors or ErrorRing()
        self.session_active, self.handler_timeout = session_active, handler_timeout
        self.state_dir = Path(state_dir) if state_dir else None
        self.app_version = app_version[:32]
        self.handlers: dict[str, Handler] = {}
        self.started = time.monotonic()
        self.beats = self.failures = self.failing = 0  # failing: consecutive failures now
        self.last_success: float | None = None  # Unix time of the last heartbeat the hall took
        self.last_snapshot: hall_api.Heartbeat | dict = {}  # {} until the first snapshot
        self.command_counts: dict[tuple[str, bool], int] = {}
        self._unreported: list[tuple[int, hall_api.CommandResult]] = []  # results the hall has not taken yet
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._metrics = None
        self._owns_client = False  # a client handed in may be shared: stop() leaves it open
        self._process = psutil.Process()
        psutil.cpu_percent(None)  # the first call only starts the measurement
        self._restarted()

    @classmethod
    def from_settings(cls, settings, **providers: Any) -> Telemetry:
        # No retries inside one heartbeat: the next one comes soon, and a long retry loop
        # would only delay noticing the hall is back.
        client = HallClient.from_settings(settings, retries=0)
        providers.setdefault("state_dir", settings.state_dir())
        telemetry = cls(client, interval=settings.telemetry.heartbeat_interval, **providers)
        telemetry._owns_client = True
        return telemetry

    def register(self, kind: str, handler: Handler) -> None:
        """reload_settings(), restart(), print_test() -> detail, screenshot() -> PNG bytes,
        message(text, seconds). Raise to report a failure (its message is the detail)."""
        if kind not in COMMAND_KINDS:
            raise TelemetryError(f"unknown command kind {kind!r} (known: {', '.join(COMMAND_KINDS)})")
        self.handlers[kind] = handler

    # -- the snapshot ----------------------------------------------------------------

    def snapshot(self) -> hall_api.Heartbeat:
        """The heartbeat body; the last errors stay pending until a heartbeat carried them."""
        return self._snapshot()[1]

    def _snapshot(self) -> tuple[int, hall_api.Heartbeat]:
        marker, last_errors = self.errors.pending()
        depth = self._ask("outbox", lambda: self.outbox.depth() if self.outbox else 0, 0)
        oldest = self._ask("outbox", lambda: self.outbox.oldest_age() if self.outbox else None, None)
        devices = self._ask("devices", self.devices, {})
        disk = _existing(self.state_dir or Path.cwd())
        snap: hall_api.Heartbeat = {
            "app_version": self.app_version,
            "uptime_s": int(time.monotonic() - self.started),
            "cpu_percent": min(100.0, max(0.0, psutil.cpu_percent(None))),
            "memory_mb": round(self._process.memory_info().rss / 2**20, 1),
            "disk_free_mb": round(psutil.disk_usage(str(disk)).free / 2**20, 1),
            "outbox_depth": max(0, int(depth)),
            "outbox_oldest_s": None if oldest is None else round(max(0.0, float(oldest)), 1),
            "transactions_today": _clip_kinds(self._ask("transactions", self.transactions.today, {})),
            "devices": {str(k)[:32]: _device_report(s) for k, s in list(devices.items())[:10]},
            "last_errors": last_errors[-MAX_ERRORS:],
            "screen": str(self._ask("screen", self.screen, ""))[:64],
        }
        self.last_snapshot = snap
        return marker, snap

    def _ask(self, what: str, provider: Callable[[], Any], default: Any) -> Any:
        try:
            return provider()
        except Exception as e:  # one broken provider must not silence the whole heartbeat
            log.debug("telemetry provider %s failed: %s", what, type(e).__name__)
            return default

    # -- one heartbeat ---------------------------------------------------------------

    def beat(self) -> bool:
        """Send one heartbeat and carry out its commands; False when the hall did not take it."""
        self._report_unreported()
        marker, body = self._snapshot()
        try:
            answer = hall_api.heartbeat(self.client, body)
        except HallError as e:
            self._failed(e)
            return False
        with self._lock:
            self.beats += 1
            if self.failing:
                log.warning("heartbeats resumed after %d failed", self.failing)
            self.failing, self.last_success = 0, time.time()
        self.errors.sent(marker)
        next_s = answer.get("next_heartbeat_s")
        if isinstance(next_s, (int, float)) and not isinstance(next_s, bool) and next_s > 0:
            self.interval = float(min(3600, max(1, next_s)))
        commands = [c for c in answer.get("commands") or [] if isinstance(c, dict) and isinstance(c.get("id"), int)]
        # A restart may end this process: everything else in the same answer goes first.
        for command in sorted(commands, key=lambda c: c.get("kind") == "restart"):
            self._carry_out(command)
        return True

    def _failed(self, error: HallError) -> None:
        with self._lock:
            self.failures += 1
            self.failing += 1
            first = self.failing == 1
        if first:  # once per outage, not every interval
            reason = f"refused ({error.status} {error.code})" if isinstance(error, HallRejected) else str(error)
            log.warning("heartbeat failed: %s; retrying every %g s quietly", reason, self.interval)

    # -- commands --------------------------------------------------------------------

    def _carry_out(self, command: dict) -> None:
        command_id, kind = command["id"], command.get("kind")
        args = command.get("args") if isinstance(command.get("args"), dict) else {}
        handler = self.handlers.get(kind)
        if kind not in COMMAND_KINDS:
            ok, detail = False, f"unknown command kind {str(kind)[:40]!r}"
        elif handler is None:
            ok, detail = False, f"{kind} is not supported on this terminal"
        elif kind == "screenshot" and self._ask("session", self.session_active, True):
            ok, detail = False, "resident session active"  # a resident's data may be on screen
        else:
            remembered = kind == "restart" and self._remember_restart(command_id)
            ok, detail = self._run_handler(kind, handler, args)
            if remembered and ok:
                return  # reported by the next start (_restarted)
            if remembered:
                self._forget_restart()
            if kind == "screenshot" and ok:
                ok, detail = self._upload(command_id, detail)
        log.info("command %d %s: %s %s", command_id, kind, "ok" if ok else "failed", detail)
        with self._lock:
            self.command_counts[(str(kind), ok)] = self.command_counts.get((str(kind), ok), 0) + 1
        self._unreported.append((command_id, {"ok": ok, "detail": mask(detail)[:DETAIL_MAX]}))
        self._report_unreported()

    def _run_handler(self, kind: str, handler: Handler, args: dict) -> tuple[bool, Any]:
        """Run on a daemon thread of its own, so a hung handler costs a timeout, not the worker."""
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(handler(text=str(args.get("text", "")), seconds=int(args.get("seconds", 60)))
                                  if kind == "message" else handler())
            except BaseException as e:
                future.set_exception(e)

        threading.Thread(target=run, name=f"telemetry-{kind}", daemon=True).start()
        try:
            result = future.result(self.handler_timeout)
        except TimeoutError:
            return False, f"no answer within {self.handler_timeout:g} s"
        except Exception as e:
            return False, str(e) or type(e).__name__
        if kind == "screenshot":
            if not isinstance(result, (bytes, bytearray)) or not result:
                return False, "the screenshot came back empty"
            return True, bytes(result)
        return True, "" if result is None else str(result)

    def _upload(self, command_id: int, png: bytes) -> tuple[bool, str]:
        try:
            hall_api.upload_screenshot(self.client, command_id, png)
        except HallError as e:
            return False, f"upload failed: {e}"
        return True, f"uploaded {len(png)} bytes"

    def _report_unreported(self) -> None:
        while self._unreported:
            command_id, result = self._unreported[0]
            try:
                # The same key on every try: a repeat after a lost answer is replayed, not refused.
                hall_api.command_result(self.client, command_id, result, f"command-{command_id}-result")
            except HallRejected as e:  # 404 / 409: the hall will never take it; do not retry forever
                log.warning("result of command %d refused (%s)", command_id, e.code)
            except HallError:
                return  # the hall is away: try again with the next heartbeat
            self._unreported.pop(0)

    def _remember_restart(self, command_id: int) -> bool:
        """Keep the id for the next start; False (report it now instead) where that fails."""
        if self.state_dir is None:
            return False
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            tmp = self.state_dir / (RESTART_FILE + ".tmp")
            with open(tmp, "w") as f:
                json.dump({"id": command_id}, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.state_dir / RESTART_FILE)
        except OSError as e:
            log.warning("cannot keep the restart command in %s (%s); reporting it now",
                        self.state_dir, e.strerror or e)
            return False
        return True

    def _forget_restart(self) -> None:
        if self.state_dir is not None:
            with contextlib.suppress(OSError):
                (self.state_dir / RESTART_FILE).unlink(missing_ok=True)

    def _restarted(self) -> None:
        """A restart command carried out by the previous process is reported now."""
        path = self.state_dir / RESTART_FILE if self.state_dir else None
        if path is None or not path.exists():
            return
        try:
            command_id = json.loads(path.read_text())["id"]
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("ignoring an unreadable %s", path.name)
        else:
            if isinstance(command_id, int):
                self._unreported.append((command_id, {"ok": True, "detail": "restarted"}))
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)

    # -- the worker ------------------------------------------------------------------

    def start(self, metrics_port: int = 0) -> Telemetry:
        if metrics_port:
            try:
                self.serve_metrics(metrics_port)
            except TelemetryError as e:
                log.warning("%s", e)  # the terminal serves residents without it
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="telemetry", daemon=True)
        self._thread.start()
        return self

    def beat_soon(self) -> None:
        """Heartbeat now instead of at the end of the interval (admin: "report now")."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._metrics is not None:
            self._metrics.shutdown()
            self._metrics.server_close()
            self._metrics = None
        if self._owns_client:
            self.client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat()
            except Exception:  # a bug here must not end telemetry for the rest of the day
                log.exception("heartbeat worker error")
            self._wake.wait(self.interval)
            self._wake.clear()

    # -- Prometheus ------------------------------------------------------------------

    def serve_metrics(self, port: int) -> int:
        """Serve /metrics on 127.0.0.1:port (0 = any free port); returns the port."""
        from prometheus_client import CollectorRegistry, start_http_server

        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Collector(self))
        try:
            server, _ = start_http_server(port, addr="127.0.0.1", registry=registry)
        except OSError as e:
            raise TelemetryError(f"cannot serve metrics on 127.0.0.1:{port} ({e.strerror or e})") from None
        self._metrics = server
        return server.server_port


class _Collector:
    """The last snapshot's figures (taken by the worker, so a scrape never calls a provider)."""

    def __init__(self, telemetry: Telemetry):
        self.t = telemetry

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        t, snap = self.t, self.t.last_snapshot

        def gauge(name: str, doc: str, value: float | None = None, labels: tuple = ()):
            return GaugeMetricFamily(name, doc, value=value, labels=labels or None)

        yield gauge("kiosk_uptime_seconds", "Seconds since the app started.", time.monotonic() - t.started)
        info = gauge("kiosk_info", "The app's version.", labels=("version",))
        info.add_metric([t.app_version], 1)
        yield info
        with t._lock:
            yield CounterMetricFamily("kiosk_heartbeats", "Heartbeats the hall took.", value=t.beats)
            yield CounterMetricFamily("kiosk_heartbeat_failures", "Heartbeats that failed.", value=t.failures)
            yield gauge("kiosk_heartbeat_failing", "Consecutive failed heartbeats now.", t.failing)
            commands = CounterMetricFamily("kiosk_commands", "Hall commands carried out.", labels=("kind", "ok"))
            for (kind, ok), n in sorted(t.command_counts.items()):
                commands.add_metric([kind, str(ok).lower()], n)
        yield commands
        if t.last_success is not None:
            yield gauge("kiosk_heartbeat_last_success_timestamp_seconds",
                        "Unix time of the last heartbeat the hall took.", t.last_success)
        if not snap:
            return
        yield gauge("kiosk_cpu_percent", "Whole-machine CPU use.", snap["cpu_percent"])
        yield gauge("kiosk_memory_resident_bytes", "The app's resident memory.", snap["memory_mb"] * 2**20)
        yield gauge("kiosk_disk_free_bytes", "Free space where the state lives.", snap["disk_free_mb"] * 2**20)
        yield gauge("kiosk_outbox_depth", "Submissions waiting in the outbox.", snap["outbox_depth"])
        yield gauge("kiosk_outbox_oldest_seconds", "Age of the oldest waiting submission (0 when empty).",
                    snap["outbox_oldest_s"] or 0)
        transactions = gauge("kiosk_transactions_today", "Transactions since local midnight.", labels=("kind",))
        for kind, n in sorted(snap["transactions_today"].items()):
            transactions.add_metric([kind], n)
        yield transactions
        health = gauge("kiosk_device_health", "1 for the device's current health.", labels=("device", "health"))
        paper = gauge("kiosk_device_paper", "1 for the device's current paper level.", labels=("device", "level"))
        for kind, report in sorted(snap["devices"].items()):
            for h in HEALTHS:
                health.add_metric([kind, h], 1 if report["health"] == h else 0)
            if report["paper"] is not None:
                for p in PAPERS:
                    paper.add_metric([kind, p], 1 if report["paper"] == p else 0)
        yield health
        yield paper
        yield gauge("kiosk_last_errors", "Errors logged since the last heartbeat the hall took.",
                    len(snap["last_errors"]))
