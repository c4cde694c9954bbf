"""Terminal authentication: an ASGI middleware in front of every /api/v1 route.

The signature covers `METHOD\\nPATH_WITH_QUERY\\nSHA256(body)\\nTIMESTAMP\\nNONCE`
(see docs/hall-api.md). Checks run in this order so that nothing is written for a
request that is not genuine: headers present → terminal known → signature →
timestamp within 300 s → nonce unseen (then stored for 600 s).
Secrets come from memory (TerminalKeys), so a heartbeat is checked without the database.
It is a middleware rather than a FastAPI dependency because FastAPI parses (and
rejects) the JSON body before dependencies run: an unsigned request must get 401.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from hall.db import Database, Nonce, Terminal
from hall.errors import error_response
from hall.materials import UPLOAD_MAX_BODY

STALE_AFTER = 300
NONCE_TTL = 600
MAX_BODY = 64 * 1024
# A screenshot (hall.fleet) and an upload (a page, hall.materials) are bigger than any JSON body.
SCREENSHOT_PATH = re.compile(r"/api/v1/commands/\d+/screenshot")
SCREENSHOT_MAX_BODY = 2 * 1024 * 1024
UPLOAD_PATH = re.compile(r"/api/v1/uploads/[^/]*")
# hall.fleet records these nonces itself, in the batch transaction that stores the heartbeat
# (one commit per batch instead of one per request: the hall must take 1,000 heartbeats/s).
DEFERRED_NONCE_PATHS = {"/api/v1/heartbeat"}
OPEN_PATHS = {"/api/v1/health", "/api/v1/openapi.json", "/api/v1/docs"}
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_TIMESTAMP = re.compile(r"\d{1,12}")
REFRESH_S = 30


def string_to_sign(method: str, path_with_query: str, body_sha256: str, timestamp: str, nonce: str) -> bytes:
    return f"{method.upper()}\n{path_with_query}\n{body_sha256}\n{timestamp}\n{nonce}".encode()


def sign(secret: str, method: str, path_with_query: str, body: bytes, timestamp: str, nonce: str) -> str:
    message = string_to_sign(method, path_with_query, hashlib.sha256(body).hexdigest(), timestamp, nonce)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Refused(Exception):
    def __init__(self, code: str, message: str, status: int = 401):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class TerminalKeys:
    """Every terminal's secret in memory: the whole `terminals` table, reloaded every REFRESH_S.

    Not an LRU: the fleet heartbeats round-robin, so a cache smaller than the fleet would
    miss on every request; the table is the bound (10,000 terminals are about 2 MB).
    Changes made by another process (the only kind once the hall serves) take effect at
    once for a terminal that is new or signs with its new secret (`fresh` re-reads the row
    when the remembered secret fails), and within REFRESH_S for a removed terminal or a
    secret replaced before its terminal used the new one.
    """

    def __init__(self, database: Database, refresh_s: float = REFRESH_S):
        self.database, self.refresh_s = database, refresh_s
        self._secrets: dict[str, str] = {}
        self._reload_at = 0.0

    async def get(self, terminal_id: str, fresh: bool = False) -> str | None:
        if fresh:
            return await run_in_threadpool(self._read_one, terminal_id)
        if time.monotonic() >= self._reload_at:  # only the event loop gets here: one reload at a time
            self._reload_at = time.monotonic() + self.refresh_s
            await run_in_threadpool(self._read_all)
        return self._secrets.get(terminal_id)

    def _read_all(self) -> None:
        with self.database.read_session() as session:
            self._secrets = dict(session.execute(select(Terminal.id, Terminal.secret)).all())

    def _read_one(self, terminal_id: str) -> str | None:
        with self.database.read_session() as session:
            secret = session.scalar(select(Terminal.secret).where(Terminal.id == terminal_id))
        if secret is None:
            self._secrets.pop(terminal_id, None)
        else:
            self._secrets[terminal_id] = secret
        return secret


class TerminalAuth:
    def __init__(self, app: ASGIApp, database: Database):
        self.app, self.database = app, database
        self.keys = TerminalKeys(database)
        self._last_purge = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/v1") or path in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        try:
            limit = SCREENSHOT_MAX_BODY if SCREENSHOT_PATH.fullmatch(path) else \
                UPLOAD_MAX_BODY if UPLOAD_PATH.fullmatch(path) else MAX_BODY
            body = await _read_body(receive, limit)
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            body_sha256 = hashlib.sha256(body).hexdigest()
            terminal_id, nonce = await self.verify(scope, headers, body_sha256)
        except Refused as refused:
            await error_response(refused.status, refused.code, refused.message)(scope, receive, send)
            return
        scope.setdefault("state", {}).update(terminal_id=terminal_id, body_sha256=body_sha256, nonce=nonce)
        await self.app(scope, _replay(body, receive), send)

    async def verify(self, scope: Scope, headers: dict[str, str], body_sha256: str) -> tuple[str, str]:
        names = ("x-terminal-id", "x-timestamp", "x-nonce", "x-signature")
        missing = [n for n in names if not headers.get(n)]
        if missing:
            raise Refused("unsigned", f"missing header {missing[0].title()}")
        terminal_id, timestamp, nonce, signature = (headers[n].strip() for n in names)
        if not _TIMESTAMP.fullmatch(timestamp):
            raise Refused("unsigned", "X-Timestamp must be Unix seconds")
        if not _NONCE.fullmatch(nonce):
            raise Refused("unsigned", "X-Nonce must be 16-64 letters, digits, '_' or '-'")
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        path_with_query = (path + (b"?" + query if query else b"")).decode("latin-1")
        message = string_to_sign(scope["method"], path_with_query, body_sha256, timestamp, nonce)
        given = signature.lower().encode("latin-1")  # bytes: compare_digest refuses non-ASCII str

        def signed_with(secret: str | None) -> bool:
            if secret is None:
                return False
            return hmac.compare_digest(hmac.new(secret.encode(), message, hashlib.sha256).hexdigest().encode(), given)

        if not signed_with(await self.keys.get(terminal_id)):
            secret = await self.keys.get(terminal_id, fresh=True)  # registered or re-keyed since the last load?
            if secret is None:
                raise Refused("unknown_terminal", "this terminal is not registered with the hall")
            if not signed_with(secret):
                raise Refused("bad_signature", "the signature does not match this request")
        if abs(time.time() - int(timestamp)) > STALE_AFTER:
            raise Refused("stale", f"X-Timestamp is more than {STALE_AFTER} s from the hall's clock")
        if scope["path"] not in DEFERRED_NONCE_PATHS:
            await run_in_threadpool(self._record_nonce, terminal_id, nonce)
        return terminal_id, nonce

    def _record_nonce(self, terminal_id: str, nonce: str) -> None:
        now = time.time()
        with self.database.write_session() as session:
            if now - self._last_purge > 60:
                session.execute(delete(Nonce).where(Nonce.seen_at < now - NONCE_TTL))
                self._last_purge = now
            session.add(Nonce(terminal_id=terminal_id, nonce=nonce, seen_at=now))
            try:
                session.commit()
            except IntegrityError:
                raise Refused("replayed", "this nonce was already used") from None


async def _read_body(receive: Receive, limit: int = MAX_BODY) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused("disconnected", "client went away", 400)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Refused("too_large", f"the body is over {limit // 1024} KB", 413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """Hand the app the body we already read, then the client's later messages."""
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive
