"""The durable outbox: a resident's submission is never lost and reaches the hall once.

`submit` commits the item (with its idempotency key) to the terminal's SQLite file
before anything is sent and returns a local reference at once. A worker thread
sends queued items oldest first with backoff; an item leaves the queue only on the
hall's acknowledgement (its answer is kept for the local reference, the personal
data is dropped). If the process dies between the hall's commit and ours, the
resend carries the same idempotency key and the hall returns its first answer, so
nothing is doubled.

A submission may carry files (an application's pages and signature): `submit` writes them
under the state directory's outbox folder (kiosk/outbox_files.py) before the row is
committed, and a crash in between leaves only a folder no row names, removed at the next
start. Sending PUTs each file the hall has not acknowledged yet (acknowledgements are kept
per file, so a resend after a crash sends only what is missing), then posts the submission;
once it is acknowledged or rejected, its files are deleted.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from kiosk import hall_api
from kiosk.errors import KioskError
from kiosk.hall_client import HallClient, HallError, HallRejected
from kiosk.outbox_files import OutboxFiles, content_type, sha256
from kiosk.store import OutboxFile, OutboxRow, Store

log = logging.getLogger("kiosk.outbox")

# kind of submission -> the hall's endpoint that takes it: (client, payload, idempotency key)
ENDPOINTS = {
    "application": hall_api.create_application,
    "request": hall_api.create_request,
    "rating": hall_api.create_rating,
    "appointment": hall_api.book_appointment,
    "supplement": hall_api.send_supplement,  # 补正: the pages an application's clerk asked for
}
# What of the hall's answer is kept for the local reference: numbers, never personal data.
ANSWER_FIELDS = ("number", "ticket", "booking_number", "id", "status", "item_code", "item_name",
                 "submitted_at", "due_date", "date", "start", "end", "type", "signal", "supplement", "pages", "at")
# 4xx answers that say "not now" rather than "never": a wrong clock or secret (401), a
# suspended terminal (403), throttling (429). Rejecting on those would throw away a
# resident's submission because of the terminal's own state, so they are retried.
RETRY_LATER = {401, 403, 408, 425, 429}
_REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed by residents
MISSING_UPLOAD = "missing_upload"  # the hall's 422 code for a file it does not have (docs/hall-api.md)
# A submit writes its files and then commits its row; the clean-up at start must not take
# the files of a submit in between (services are rebuilt while the old ones finish): one
# lock for every Outbox of this process.
_FILES_LOCK = threading.Lock()


class OutboxError(KioskError):
    pass


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    rejected: int = 0
    deferred: int = 0
    replayed: int = 0  # of the sent: the hall had them already (the terminal died before recording)


def new_reference() -> str:
    return "LOCAL-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))


class Outbox:
    FOLDER = "outbox"  # in the state directory, beside the store's file

    def __init__(self, store: Store, client: HallClient, *, base_delay: float = 2.0,
                 max_delay: float = 300.0, clock: Callable[[], float] = time.time,
                 on_queued: Callable[[str], None] | None = None):
        self.store, self.client = store, client
        self.files = OutboxFiles(store.path.parent / self.FOLDER)
        self.on_queued = on_queued  # kind of each queued submission (today's transactions)
        self.base_delay, self.max_delay, self.clock = base_delay, max_delay, clock
        self._send_lock = threading.Lock()  # one sender at a time: the worker or send_now
        self._tried = threading.Condition()  # notified each time an item has been tried
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- for the screens ---------------------------------------------------------

    def submit(self, kind: str, payload: dict, files: dict[str, bytes] | None = None, *,
               idempotency_key: str | None = None) -> str:
        """Queue a submission durably and return its local reference (no network here).

        `files` maps a name to a JPEG or PNG; `{"file": name}` anywhere in `payload` stands for
        it and is queued as `{"sha256", "size", "type"}`, the file itself on disk beside it.
        `idempotency_key` names one filled form (screens.flow.form_key): the same form submitted
        again gets the reference it got the first time and nothing new is queued, unless the
        hall refused it then (a refusal created nothing: it is tried afresh, under the next key
        of that form, `key.2`, `key.3`, ...)."""
        if kind not in ENDPOINTS:
            raise OutboxError(f"unknown submission kind {kind!r} (known: {', '.join(ENDPOINTS)})")
        if not isinstance(payload, dict):
            raise OutboxError("a submission must be a JSON object")
        payload, blobs = _with_file_refs(payload, files or {})
        try:
            json.dumps(payload, allow_nan=False)
        except (TypeError, ValueError):
            raise OutboxError(f"this {kind} holds a value that cannot be stored (not plain JSON)") from None
        ref = new_reference()
        listed = [(digest, len(data), content_type(data)) for digest, data in blobs.items()]
        with _FILES_LOCK:  # also one submit at a time: the look-up and the insert of a key
            key, tries = idempotency_key, 1
            while key is not None and (first := self.store.outbox_by_key(key)) is not None:
                if first.state != "rejected":
                    log.info("%s %s submitted again: kept once", kind, first.ref)
                    return first.ref
                tries += 1
                key = f"{idempotency_key}.{tries}"
            if blobs:
                try:
                    self.files.write(ref, blobs)
                except OSError as e:
                    raise OutboxError(f"cannot keep this {kind}'s files on the terminal "
                                      f"({e.strerror or e})") from None
            try:
                self.store.outbox_add(ref, kind, key or uuid.uuid4().hex, payload, self.clock(), listed)
            except BaseException:
                self.files.delete(ref)
                raise
        log.info("queued %s %s%s", kind, ref, f" with {len(blobs)} files" if blobs else "")
        self._wake.set()
        if self.on_queued is not None:
            try:
                self.on_queued(kind)
            except Exception:  # it is queued already: a counter must not turn that into a failure
                log.exception("counting a queued %s failed", kind)
        return ref

    def lookup(self, ref: str) -> OutboxRow | None:
        """The state of a local reference; once sent, `answer` holds the hall's number/ticket."""
        return self.store.outbox_get(ref)

    def wait(self, ref: str, timeout: float) -> OutboxRow | None:
        """Block until `ref` has been tried (sent, rejected, or deferred once: the hall is down)
        or `timeout` seconds have passed; its row as it is then (None for an unknown reference)."""
        deadline = time.monotonic() + timeout
        with self._tried:  # held from the look-up to the wait: a try in between is not missed
            while True:
                row = self.lookup(ref)
                left = deadline - time.monotonic()
                if row is None or row.state != "queued" or row.attempts > 0 or left <= 0:
                    return row
                self._tried.wait(left)

    # -- for the admin screen ----------------------------------------------------

    def depth(self) -> int:
        return self.store.outbox_stats()[0]

    def oldest_age(self) -> float | None:
        oldest = self.store.outbox_stats()[1]
        return None if oldest is None else max(0.0, self.clock() - oldest)

    def send_now(self) -> SendReport:
        """Send every queued item now, ignoring backoff (the admin's "send the queue")."""
        self.store.outbox_make_due(self.clock())
        return self.send_due()

    # -- sending -----------------------------------------------------------------

    def send_due(self, limit: int = 50) -> SendReport:
        sent = rejected = deferred = replayed = 0
        with self._send_lock:
            for row in self.store.outbox_due(self.clock(), limit):
                outcome = self._send(row)
                with self._tried:
                    self._tried.notify_all()
                sent += outcome in ("sent", "replayed")
                replayed += outcome == "replayed"
                rejected += outcome == "rejected"
                deferred += outcome == "deferred"
                if outcome == "deferred":  # the hall is down: do not hammer it item by item
                    break
            if sent or rejected:
                self.store.checkpoint()
        return SendReport(sent, rejected, deferred, replayed)

    def _send(self, row: OutboxRow) -> str:
        try:
            taken = self._deliver(row)
        except HallRejected as e:
            if e.status in RETRY_LATER:
                return self._defer(row, f"{e.status} {e.code}")
            self._finish(row, "rejected", {"status": e.status, "code": e.code}, str(e))
            log.warning("%s %s rejected by the hall (%s %s)", row.kind, row.ref, e.status, e.code)
            return "rejected"
        except HallError as e:
            return self._defer(row, type(e).__name__)
        except FileNotFoundError:  # only if removed by hand: it can never be sent
            self._finish(row, "rejected", {"status": 0, "code": "file_lost"}, "a file of it is gone")
            log.error("%s %s: a file of it is missing from %s", row.kind, row.ref, self.files.folder)
            return "rejected"
        except OSError as e:
            return self._defer(row, f"reading its files: {e.strerror or e}")
        answer = taken.answer or {}
        kept = {k: answer[k] for k in ANSWER_FIELDS if isinstance(answer.get(k), (str, int, float))}
        self._finish(row, "sent", kept, None)
        replayed = taken.replayed
        log.info("%s %s acknowledged%s", row.kind, row.ref, " (the hall had it already)" if replayed else "")
        return "replayed" if replayed else "sent"

    def _deliver(self, row: OutboxRow) -> hall_api.Acknowledged:
        """Upload the files the hall has not acknowledged, then post the submission."""
        files = self.store.outbox_files(row.ref)
        self._upload(row.ref, [f for f in files if f.uploaded_at is None])
        try:
            return ENDPOINTS[row.kind](self.client, row.payload, row.idempotency_key)
        except HallRejected as e:
            trusted = [f for f in files if f.uploaded_at is not None]
            if e.code != MISSING_UPLOAD or not trusted:
                raise
        # The hall no longer has files it acknowledged earlier (it keeps unattached uploads a
        # day): send those again, once.
        log.info("%s %s: the hall asks for its files again", row.kind, row.ref)
        self.store.outbox_forget_uploads(row.ref)
        self._upload(row.ref, trusted)
        return ENDPOINTS[row.kind](self.client, row.payload, row.idempotency_key)

    def _upload(self, ref: str, files: list[OutboxFile]) -> None:
        for file in files:  # one file in memory at a time
            hall_api.upload(self.client, file.sha256, self.files.read(ref, file.sha256), file.type)
            self.store.outbox_file_uploaded(ref, file.sha256, self.clock())

    def _finish(self, row: OutboxRow, state: str, answer: dict, error: str | None) -> None:
        self.store.outbox_finish(row.ref, state, answer, error, self.clock())
        self.files.delete(row.ref)  # a crash before this leaves a folder recover() removes

    def recover(self) -> int:
        """Remove the files no queued item names: left by a submit that died before its row was
        committed, or by one acknowledged just before a crash. The folders removed."""
        with _FILES_LOCK:
            queued = self.store.outbox_queued_refs()
            stale = [ref for ref in self.files.refs() if ref not in queued]
            for ref in stale:
                self.files.delete(ref)
        if stale:
            log.info("removed the files of %d submissions no longer queued", len(stale))
        return len(stale)

    def _defer(self, row: OutboxRow, reason: str) -> str:
        delay = min(self.max_delay, self.base_delay * 2 ** min(row.attempts, 20))
        delay *= random.uniform(0.75, 1.0)
        self.store.outbox_retry_later(row.ref, self.clock() + delay, reason)
        log.info("%s %s not sent (%s); next try in %.0f s", row.kind, row.ref, reason, delay)
        return "deferred"

    # -- the worker thread -------------------------------------------------------

    def start(self) -> "Outbox":
        """Start the sender, after recover(); call it off the UI thread."""
        if self._thread is None or not self._thread.is_alive():
            self.recover()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.send_due()
                wait = self._next_wait()
            except Exception:  # the worker must outlive any single failure
                if self._stop.is_set():
                    return  # a send outlasted stop() and the store is closed: nothing is lost, it stays queued
                log.exception("outbox worker: unexpected failure")
                wait = self.base_delay
            self._wake.wait(wait)

    def _next_wait(self) -> float:
        due = self.store.outbox_next_try()
        if due is None:
            return 60.0
        return max(0.05, min(60.0, due - self.clock()))


def _with_file_refs(payload: dict, files: dict[str, bytes]) -> tuple[dict, dict[str, bytes]]:
    """`payload` with each {"file": name} replaced by the file's {sha256, size, type}, and the
    files by SHA-256. OutboxError for a name not in `files`, a file not named, or one that is
    not a JPEG or PNG."""
    refs: dict[str, dict] = {}
    for name, data in files.items():
        if not isinstance(data, bytes) or content_type(data) is None:
            raise OutboxError(f"file {name!r} is not a JPEG or PNG image")
        refs[name] = {"sha256": sha256(data), "size": len(data), "type": content_type(data)}
    used: set[str] = set()

    def replace(value):
        if isinstance(value, dict):
            if value.keys() == {"file"}:
                name = value["file"]
                if not isinstance(name, str) or name not in refs:
                    raise OutboxError(f"the submission names a file it was not given ({name!r})")
                used.add(name)
                return dict(refs[name])
            return {k: replace(v) for k, v in value.items()}
        if isinstance(value, list):
            return [replace(v) for v in value]
        return value

    payload = replace(payload)
    if used != refs.keys():
        raise OutboxError(f"files given but not named in the submission: {sorted(refs.keys() - used)}")
    return payload, {ref["sha256"]: files[name] for name, ref in refs.items()}
