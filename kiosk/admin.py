"""Admin mode without Kivy: the PIN and its lockout, admin cards, the audit log, the
settings writer and the recent-log buffer the admin screens show.

The PIN is kept as a salted scrypt hash with its parameters in the record (so they
can be raised later without breaking old records). Five wrong tries lock PIN entry
for five minutes; the count and the end of the lock are written to disk so that a
restart does not hand out five fresh tries. Wall-clock time is used for the lock
because monotonic time starts again at every boot.
"""

from __future__ import annotations

import atexit
import collections
import dataclasses
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
import tomllib
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Callable

import tomli_w

from kiosk import config
from kiosk.errors import ConfigError, KioskError
from kiosk.logs import PrivacyFilter

log = logging.getLogger("kiosk.admin")
# Admin actions are few and always worth keeping: the logs screen (and a handler at INFO) get
# them even when the app logs only warnings; failed sign-ins are warnings themselves.
log.setLevel(logging.INFO)

MAX_TRIES = 5
LOCK_SECONDS = 300
PIN_PATTERN = re.compile(r"[0-9]{4,12}")  # ASCII only: \d also takes full-width digits
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}  # ~16 MiB, ~50 ms: slow to guess, quick to check
AUDIT_FILE = "admin-audit.jsonl"
PIN_FILE = "admin-pin.json"
LOCK_FILE = "admin-lock.json"
# settings whose values are secret: the audit log names them, never their values
SECRET_KEYS = {"terminal.secret"}


class AdminError(KioskError):
    pass


class BadPin(AdminError):
    """A PIN that is not 4 to 12 digits (when setting it)."""


class NoPin(AdminError):
    pass


class SettingsWriteError(AdminError):
    pass


# files ----------------------------------------------------------------------------

def write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write `data` to `path` so that a reader (or a crash) sees the old file or the new, never
    a part: a temp file in the same directory, fsync, os.replace, fsync of the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself must reach the disk
    finally:
        os.close(dir_fd)


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise AdminError(f"{path}: unreadable ({type(e).__name__}): set the PIN again "
                         "with kiosk admin set-pin") from None
    return data if isinstance(data, dict) else None


# the PIN --------------------------------------------------------------------------

def hash_pin(pin: str, salt: bytes | None = None, **params: int) -> dict:
    params = {**SCRYPT, **params}
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, maxmem=2**26, **params)
    return {"scheme": "scrypt", **params, "salt": salt.hex(), "hash": digest.hex()}


def pin_matches(pin: str, record: dict) -> bool:
    try:
        params = {k: int(record[k]) for k in ("n", "r", "p", "dklen")}
        salt, expected = bytes.fromhex(record["salt"]), bytes.fromhex(record["hash"])
        digest = hashlib.scrypt(pin.encode(), salt=salt, maxmem=2**26, **params)
    except (KeyError, ValueError, TypeError):
        raise AdminError("the stored admin PIN record is damaged: set the PIN again "
                         "with kiosk admin set-pin") from None
    return hmac.compare_digest(digest, expected)


@dataclass(frozen=True)
class Attempt:
    ok: bool
    tries_left: int = MAX_TRIES
    locked_for: float = 0.0  # seconds until PIN entry opens again; 0: not locked

    @property
    def minutes_left(self) -> int:
        return max(1, int(self.locked_for // 60 + (self.locked_for % 60 > 0)))


class PinStore:
    """The PIN record and the lockout state, in the state directory (mode 0600)."""

    _lock = threading.Lock()  # one check at a time per process: the count is read-modify-write

    def __init__(self, pin_file: Path, clock: Callable[[], float] = time.time) -> None:
        self.pin_file = Path(pin_file)
        self.lock_file = self.pin_file.with_name(LOCK_FILE)
        self.clock = clock

    @classmethod
    def for_settings(cls, settings, **kwargs: Any) -> PinStore:
        path = settings.admin.pin_file or settings.state_dir() / PIN_FILE
        return cls(Path(path), **kwargs)

    def is_set(self) -> bool:
        return _read_json(self.pin_file) is not None

    def set_pin(self, pin: str) -> None:
        if not PIN_PATTERN.fullmatch(pin):
            raise BadPin("the PIN must be 4 to 12 digits")
        write_atomically(self.pin_file, json.dumps(hash_pin(pin)).encode())
        write_atomically(self.lock_file, json.dumps({"failures": 0, "locked_until": 0}).encode())

    def _state(self) -> tuple[int, float]:
        state = _read_json(self.lock_file) or {}
        try:
            return int(state.get("failures", 0)), float(state.get("locked_until", 0))
        except (TypeError, ValueError):
            return MAX_TRIES, self.clock() + LOCK_SECONDS  # a damaged lock file locks, never opens

    def _save_state(self, failures: int, locked_until: float) -> None:
        write_atomically(self.lock_file, json.dumps({"failures": failures,
                                                     "locked_until": locked_until}).encode())

    def locked_for(self) -> float:
        return max(0.0, self._state()[1] - self.clock())

    def check(self, pin: str) -> Attempt:
        """Check a PIN: ok, wrong with the tries left, or locked with the seconds left."""
        with self._lock:
            record = _read_json(self.pin_file)
            if record is None:
                raise NoPin("no admin PIN is set on this terminal: run kiosk admin set-pin")
            failures, until = self._state()
            now = self.clock()
            if until > now:
                return Attempt(False, 0, until - now)
            if until:  # a lock that ran out gives a fresh set of tries
                failures = 0
            if pin_matches(pin, record):
                self._save_state(0, 0)
                return Attempt(True)
            failures += 1
            if failures >= MAX_TRIES:
                self._save_state(failures, now + LOCK_SECONDS)
                return Attempt(False, 0, float(LOCK_SECONDS))
            self._save_state(failures, 0)
            return Attempt(False, MAX_TRIES - failures)


# admin cards ----------------------------------------------------------------------

def card_allowed(settings, uid: str) -> bool:
    uid = uid.strip().upper()
    return bool(uid) and any(hmac.compare_digest(uid, allowed.upper())
                             for allowed in settings.admin.card_uids)


# the audit log --------------------------------------------------------------------

class AuditLog:
    """Every admin action as one JSON line in admin-audit.jsonl, and a log record.

    `record` returns at once: the admin screens call it on Kivy's UI thread, so the lines are
    appended and fsync'd by the log's own writer thread, in the order recorded. `flush` waits
    until they are on disk; the app flushes every audit log on stop (its restart and exit leave
    by os._exit after stopping), and an interpreter that exits normally flushes them too.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._pending: list[str] = []  # lines recorded, not yet on disk
        self._changed = threading.Condition()
        self._writer: threading.Thread | None = None
        with _audit_logs_lock:
            _audit_logs.add(self)

    @classmethod
    def for_settings(cls, settings) -> AuditLog:
        """The one AuditLog of this state directory (one writer keeps the lines in order)."""
        path = settings.state_dir() / AUDIT_FILE
        with _audit_logs_lock:
            return next((a for a in _audit_logs if a.path == path), None) or cls(path)

    def record(self, action: str, **details: Any) -> dict:
        entry = {"time": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
                 "action": action, **details}
        line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
        with self._changed:
            self._pending.append(line)
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_pending, name="admin-audit", daemon=True)
                self._writer.start()
        level = logging.WARNING if action == "login failed" else logging.INFO
        log.log(level, "admin: %s", action, extra={"admin_action": action,
                                             **{f"admin_{k}": v for k, v in details.items()}})
        return entry

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every line recorded so far is on disk (or could not be written); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._pending, timeout)

    def entries(self) -> list[dict]:
        self.flush()
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    def _write_pending(self) -> None:
        """The writer thread: appends what is pending, then ends (the next record starts another)."""
        while True:
            with self._changed:
                lines = list(self._pending)
                if not lines:
                    self._writer = None
                    return
            try:
                self._append("".join(lines).encode())
            except OSError as e:  # the log record of each action was written when it was recorded
                log.warning("cannot write the admin audit log %s (%s): %d action(s) not in it",
                            self.path, e.strerror or e, len(lines))
            with self._changed:
                del self._pending[:len(lines)]
                self._changed.notify_all()

    def _append(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)


_audit_logs: weakref.WeakSet[AuditLog] = weakref.WeakSet()  # one with lines pending stays (its writer holds it)
_audit_logs_lock = threading.RLock()


@atexit.register
def flush_audit_logs(timeout: float = 10.0) -> bool:
    """Wait until every audit line recorded in this process is on disk; False on timeout."""
    with _audit_logs_lock:
        logs_now = list(_audit_logs)
    deadline = time.monotonic() + timeout
    return all([audit.flush(max(0.0, deadline - time.monotonic())) for audit in logs_now])


# settings -------------------------------------------------------------------------

def settings_path(settings) -> Path | None:
    """The file the settings were loaded from (config.load records its absolute path)."""
    path = Path(settings.source)
    return path if path.is_absolute() else None


def with_edits(settings, edits: dict[str, Any]) -> config.Settings:
    """`settings` with "section.key" values replaced, validated as a file would be.

    Raises ConfigError with the settings file's one-line message for a bad value."""
    data = config.to_dict(settings)
    for key, value in edits.items():
        section, _, name = key.partition(".")
        if section not in data or name not in data[section]:
            raise ConfigError(f"settings: {key}: unknown setting")
        data[section][name] = value
    edited = config.from_dict(data, "settings")
    return dataclasses.replace(edited, source=settings.source)


def changed_keys(old, new) -> list[str]:
    a, b = config.to_dict(old), config.to_dict(new)
    return sorted(f"{s}.{k}" for s in b for k in b[s] if a.get(s, {}).get(k) != b[s][k])


def save_settings(path: Path | str, settings) -> None:
    """Write `settings` to `path` as TOML, atomically, after checking that the text loads back
    to the same settings (a value TOML or our rules cannot carry never reaches the disk)."""
    path = Path(path)
    text = tomli_w.dumps(config.to_dict(settings))
    back = config.from_dict(tomllib.loads(text), path.name)  # raises ConfigError with the line
    if config.to_dict(back) != config.to_dict(settings):
        raise ConfigError(f"{path.name}: the settings do not survive a round trip through TOML")
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:  # not there yet (or unreachable: the write below says why)
        mode = 0o600  # it holds terminal.secret
    try:
        write_atomically(path, text.encode("utf-8"), mode)
    except OSError as e:
        raise SettingsWriteError(f"{path}: cannot write the settings file ({e.strerror or e}); "
                                 "nothing was changed") from None


# recent log records ---------------------------------------------------------------

class RecentLogs(logging.Handler):
    """The last records the app logged, for the admin logs screen (masked like the journal)."""

    def __init__(self, size: int = 200) -> None:
        super().__init__(logging.INFO)
        self.records: collections.deque[str] = collections.deque(maxlen=size)
        self.addFilter(PrivacyFilter())
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                            "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.records.append(self.format(record))
        except Exception:  # a record that cannot be formatted is dropped, never raised
            pass

    def lines(self) -> list[str]:
        return list(self.records)


_recent: RecentLogs | None = None


def recent_logs() -> RecentLogs:
    """The process's RecentLogs handler, installed on the root logger on first use."""
    global _recent
    if _recent is None:
        _recent = RecentLogs()
        logging.getLogger().addHandler(_recent)
    return _recent
