"""The terminal's SQLite file: the catalogue cache and the outbox (with its files' hashes).

WAL with synchronous=FULL so a commit survives power loss; secure_delete so the
personal data dropped from an acknowledged outbox item is overwritten, not just
unlinked from the b-tree. One connection shared by the terminal's threads under a
lock (the outbox worker and the screens' service calls).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import KioskError

SCHEMA = """
CREATE TABLE IF NOT EXISTS catalog_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version TEXT NOT NULL,
    etag TEXT,
    fetched_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS catalog_items (
    position INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    ref TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT,                       -- NULL once acknowledged or rejected
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'rejected')),
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at REAL NOT NULL,
    last_error TEXT,
    answer TEXT,
    done_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_try_at);
CREATE TABLE IF NOT EXISTS outbox_files (  -- a queued item's files (kiosk/outbox_files.py)
    ref TEXT NOT NULL REFERENCES outbox (ref),
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    type TEXT NOT NULL,
    uploaded_at REAL,                   -- when the hall acknowledged it; NULL: not yet
    PRIMARY KEY (ref, sha256)
);
"""


class StoreError(KioskError):
    pass


@dataclass(frozen=True)
class CachedCatalog:
    version: str
    etag: str | None
    fetched_at: float
    items: list[dict]


@dataclass(frozen=True)
class OutboxFile:
    sha256: str
    size: int
    type: str
    uploaded_at: float | None


@dataclass(frozen=True)
class OutboxRow:
    ref: str
    kind: str
    idempotency_key: str
    payload: dict | None
    state: str
    created_at: float
    attempts: int
    next_try_at: float
    last_error: str | None
    answer: dict | None
    done_at: float | None


class Store:
    FILENAME = "terminal.sqlite3"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"cannot open the terminal's data file {self.path} ({e})") from None
        self._lock = threading.RLock()

    @classmethod
    def for_settings(cls, settings) -> "Store":
        return cls(settings.state_dir() / cls.FILENAME)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _tx(self) -> "_Transaction":
        return _Transaction(self)

    def _rows(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def checkpoint(self) -> None:
        """Fold the WAL into the main file and truncate it (old page images hold dropped data)."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- catalogue cache ---------------------------------------------------------

    def save_catalog(self, version: str, etag: str | None, items: list[dict],
                     fetched_at: float | None = None) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM catalog_items")
            db.executemany("INSERT INTO catalog_items (position, code, body) VALUES (?, ?, ?)",
                           ((i, item["code"], json.dumps(item, ensure_ascii=False))
                            for i, item in enumerate(items)))
            db.execute("INSERT OR REPLACE INTO catalog_meta (id, version, etag, fetched_at) "
                       "VALUES (1, ?, ?, ?)", (version, etag, fetched_at or time.time()))

    def touch_catalog(self, fetched_at: float | None = None) -> None:
        with self._tx() as db:
            db.execute("UPDATE catalog_meta SET fetched_at = ? WHERE id = 1", (fetched_at or time.time(),))

    def catalog_meta(self) -> tuple[str, str | None, float] | None:
        rows = self._rows("SELECT version, etag, fetched_at FROM catalog_meta WHERE id = 1")
        return tuple(rows[0]) if rows else None  # type: ignore[return-value]

    def load_catalog(self) -> CachedCatalog | None:
        with self._lock:
            meta = self.catalog_meta()
            if meta is None:
                return None
            items = [json.loads(body) for (body,) in
                     self._db.execute("SELECT body FROM catalog_items ORDER BY position")]
        return CachedCatalog(meta[0], meta[1], meta[2], items)

    # -- outbox ------------------------------------------------------------------

    def outbox_add(self, ref: str, kind: str, key: str, payload: dict, now: float,
                   files: list[tuple[str, int, str]] = ()) -> None:
        """Queue an item with its files (SHA-256, size, type), which must be on disk already."""
        with self._tx() as db:
            db.execute("INSERT INTO outbox (ref, kind, idempotency_key, payload, created_at, next_try_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (ref, kind, key, json.dumps(payload, ensure_ascii=False), now, now))
            db.executemany("INSERT INTO outbox_files (ref, sha256, size, type) VALUES (?, ?, ?, ?)",
                           ((ref, *file) for file in files))

    def outbox_files(self, ref: str) -> list[OutboxFile]:
        return [OutboxFile(*r) for r in self._rows(
            "SELECT sha256, size, type, uploaded_at FROM outbox_files WHERE ref = ? ORDER BY rowid", (ref,))]

    def outbox_file_uploaded(self, ref: str, sha256: str, now: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE outbox_files SET uploaded_at = ? WHERE ref = ? AND sha256 = ?", (now, ref, sha256))

    def outbox_forget_uploads(self, ref: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE outbox_files SET uploaded_at = NULL WHERE ref = ?", (ref,))

    def outbox_queued_refs(self) -> set[str]:
        return {ref for (ref,) in self._rows("SELECT ref FROM outbox WHERE state = 'queued'")}

    def outbox_due(self, now: float, limit: int = 50) -> list[OutboxRow]:
        return [self._row(r) for r in self._rows(
            "SELECT * FROM outbox WHERE state = 'queued' AND next_try_at <= ? "
            "ORDER BY created_at, ref LIMIT ?", (now, limit))]

    def outbox_get(self, ref: str) -> OutboxRow | None:
        rows = self._rows("SELECT * FROM outbox WHERE ref = ?", (ref,))
        return self._row(rows[0]) if rows else None

    def outbox_by_key(self, key: str) -> OutboxRow | None:
        rows = self._rows("SELECT * FROM outbox WHERE idempotency_key = ?", (key,))
        return self._row(rows[0]) if rows else None

    def outbox_rows(self, state: str | None = None) -> list[OutboxRow]:
        if state is None:
            return [self._row(r) for r in self._rows("SELECT * FROM outbox ORDER BY created_at, ref")]
        return [self._row(r) for r in self._rows(
            "SELECT * FROM outbox WHERE state = ? ORDER BY created_at, ref", (state,))]

    def outbox_finish(self, ref: str, state: str, answer: dict | None, error: str | None,
                      now: float) -> None:
        """Sent or rejected: keep the answer for the local reference, drop the personal data
        (and the list of its files, which the caller deletes next)."""
        with self._tx() as db:
            db.execute("UPDATE outbox SET state = ?, payload = NULL, answer = ?, last_error = ?, "
                       "done_at = ?, attempts = attempts + 1 WHERE ref = ? AND state = 'queued'",
                       (state, json.dumps(answer, ensure_ascii=False) if answer is not None else None,
                        error, now, ref))
            db.execute("DELETE FROM outbox_files WHERE ref = ?", (ref,))

    def outbox_retry_later(self, ref: str, next_try_at: float, error: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE outbox SET attempts = attempts + 1, next_try_at = ?, last_error = ? "
                       "WHERE ref = ? AND state = 'queued'", (next_try_at, error, ref))

    def outbox_make_due(self, now: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE outbox SET next_try_at = ? WHERE state = 'queued'", (now,))

    def outbox_stats(self) -> tuple[int, float | None]:
        """(queued items, created time of the oldest queued item)."""
        (depth, oldest), = self._rows(
            "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state = 'queued'")
        return depth, oldest

    def outbox_next_try(self) -> float | None:
        return self._rows("SELECT MIN(next_try_at) FROM outbox WHERE state = 'queued'")[0][0]

    @staticmethod
    def _row(r: tuple) -> OutboxRow:
        (ref, kind, key, payload, state, created, attempts, next_try, error, answer, done) = r
        return OutboxRow(ref, kind, key, json.loads(payload) if payload else None, state, created,
                         attempts, next_try, error, json.loads(answer) if answer else None, done)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT under the store's lock; ROLLBACK on any error."""

    def __init__(self, store: Store):
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        self.store._lock.acquire()
        try:
            self.store._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.store._lock.release()
            raise
        return self.store._db

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.store._db.execute("ROLLBACK" if exc_type else "COMMIT")
        except sqlite3.Error as e:
            raise StoreError(f"cannot write the terminal's data file ({e})") from None
        finally:
            self.store._lock.release()
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"cannot write the terminal's data file ({exc})") from None
