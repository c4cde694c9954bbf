"""Heartbeat ingestion: one writer thread, many heartbeats per transaction (group commit).

A request hands its validated heartbeat to the writer and awaits the answer. The writer
takes whatever has queued up (at most BATCH) and, in ONE transaction: records each
nonce (a repeat is refused as a replay, as hall.auth would), upserts the latest snapshot
per terminal, adds device-history rows only where health or paper changed, and takes
the terminals' queued commands, marking them sent. Under load batches grow by
themselves while the previous commit runs, so commits per second stay low while
heartbeats per second rise; at low load a batch is one heartbeat and waits for nothing.
The offline sweep and the purges run on the same thread, so fleet writes never contend.
A request is answered only once its batch is committed. When the database refuses a batch,
its heartbeats are written one by one, so that only the bad one fails.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from hall.auth import NONCE_TTL
from hall.db import Database, Nonce, Terminal
from hall.fleet.models import Command, DeviceEvent, Heartbeat, Snapshot
from hall.fleet.status import BAD_HEALTH

log = logging.getLogger("hall.fleet")
BATCH = 500
HISTORY_DAYS = 7
REPLAYED = object()


@dataclass
class Beat:
    terminal_id: str
    nonce: str
    beat: Heartbeat
    state: str
    reason: str
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future


class Ingest:
    def __init__(self, database: Database, offline_after: float, alert, on_heartbeats):
        self.database, self.offline_after = database, offline_after
        self.alert, self.on_heartbeats = alert, on_heartbeats  # alert(event: dict); on_heartbeats(n)
        self.engine = database.engine.execution_options(hall_write=True)
        insert = postgresql.insert if database.engine.dialect.name == "postgresql" else sqlite.insert
        # Built once: SQLAlchemy then reuses their compiled SQL (a statement built per batch is compiled per batch).
        self._nonces = insert(Nonce).on_conflict_do_nothing().returning(Nonce.terminal_id, Nonce.nonce)
        upsert = insert(Snapshot)
        self._upsert = upsert.on_conflict_do_update(index_elements=[Snapshot.terminal_id], set_={
            column.name: upsert.excluded[column.name] for column in Snapshot.__table__.columns
            if column.name != "terminal_id"})
        ids = bindparam("ids", expanding=True)
        self._previous = select(Snapshot.terminal_id, Snapshot.devices, Snapshot.offline_alerted) \
            .where(Snapshot.terminal_id.in_(ids))
        self._queued = select(Command.id, Command.terminal_id, Command.kind, Command.args) \
            .where(Command.status == "queued", Command.terminal_id.in_(ids)).order_by(Command.id)
        self._mark_sent = update(Command).where(Command.id.in_(ids)).values(status="sent", sent_at=bindparam("now"))
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._sweep_every = max(0.5, min(10.0, offline_after / 4))
        self._next_sweep = self._next_purge = 0.0
        self._thread = threading.Thread(target=self._run, name="fleet-ingest", daemon=True)
        self._thread.start()

    async def submit(self, terminal_id: str, nonce: str, beat: Heartbeat, state: str, reason: str):
        """The commands to deliver ([{id, kind, args}]), or REPLAYED."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put(Beat(terminal_id, nonce, beat, state, reason, loop, future))
        return await future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    # --- the writer thread

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self._sweep_every)
            except queue.Empty:
                first = ...
            if first is None:
                return
            batch = [] if first is ... else [first]
            while len(batch) < BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # finish this batch, then stop
                    break
                batch.append(item)
            if batch:
                self._settle(batch)
            self._housekeeping()

    def _settle(self, batch: list[Beat]) -> None:
        try:
            outcomes = self._write(batch)
        except Exception as e:  # the requests get a 500; the writer carries on
            if len(batch) > 1:  # but one bad heartbeat must not fail the others: write them one by one
                for item in batch:
                    self._settle([item])
                return
            log.exception("heartbeat from %s failed", batch[0].terminal_id)
            for item in batch:
                item.loop.call_soon_threadsafe(_fail, item.future, e)
            return
        for item, outcome in zip(batch, outcomes):
            item.loop.call_soon_threadsafe(_done, item.future, outcome)

    def _write(self, batch: list[Beat]) -> list:
        now = time.time()
        outcomes: list = [REPLAYED] * len(batch)
        alerts: list[dict] = []
        with self.engine.begin() as conn:
            # One statement for the batch's nonces; RETURNING says which were new (the rest are replays).
            fresh = {tuple(row) for row in conn.execute(self._nonces, [
                {"terminal_id": i.terminal_id, "nonce": i.nonce, "seen_at": now} for i in batch])}
            accepted = []
            for index, item in enumerate(batch):
                if (item.terminal_id, item.nonce) in fresh:
                    fresh.discard((item.terminal_id, item.nonce))  # the same request twice in one batch
                    accepted.append((index, item))
            ids = {item.terminal_id for _, item in accepted}
            previous = {row.terminal_id: row for row in conn.execute(self._previous, {"ids": list(ids)})}
            snapshots, events = {}, []
            for _, item in accepted:
                devices = {kind: [d.health, d.paper] for kind, d in item.beat.devices.items()}
                old = previous.get(item.terminal_id)
                old_devices = old.devices if old else {}
                for kind, (health, paper) in devices.items():
                    if old_devices.get(kind) == [health, paper]:
                        continue
                    reason = item.beat.devices[kind].reason
                    events.append({"terminal_id": item.terminal_id, "kind": kind, "at": now,
                                   "health": health, "paper": paper, "reason": reason})
                    if health in BAD_HEALTH and (old_devices.get(kind) or [None])[0] not in BAD_HEALTH:
                        alerts.append({"event": "device_failed", "terminal_id": item.terminal_id,
                                       "device": kind, "health": health, "reason": reason})
                if old is not None and old.offline_alerted:
                    alerts.append({"event": "terminal_online", "terminal_id": item.terminal_id,
                                   "reason": "heartbeats resumed"})
                previous[item.terminal_id] = _Prev(devices, False)
                beat = item.beat
                printer = beat.devices.get("printer")
                snapshots[item.terminal_id] = {
                    "terminal_id": item.terminal_id, "last_seen": now, "state": item.state,
                    "reason": item.reason, "app_version": beat.app_version, "outbox_depth": beat.outbox_depth,
                    "transactions": sum(beat.transactions_today.values()),
                    "paper": printer.paper if printer else None, "devices": devices,
                    "data": beat.model_dump(mode="json"), "offline_alerted": False}
            if snapshots:
                conn.execute(self._upsert, list(snapshots.values()))
            if events:
                conn.execute(DeviceEvent.__table__.insert(), events)
            commands: dict[str, list[dict]] = {}
            if ids:
                rows = conn.execute(self._queued, {"ids": list(ids)}).all()
                if rows:
                    conn.execute(self._mark_sent, {"ids": [r.id for r in rows], "now": now})
                for row in rows:
                    commands.setdefault(row.terminal_id, []).append(
                        {"id": row.id, "kind": row.kind, "args": row.args})
        for index, item in accepted:
            # A terminal heartbeating twice in one batch gets its commands once.
            outcomes[index] = commands.pop(item.terminal_id, [])
        self.on_heartbeats(len(accepted))
        for event in alerts:
            self.alert(event)
        return outcomes

    def _housekeeping(self) -> None:
        now = time.time()
        if now >= self._next_sweep:
            self._next_sweep = now + self._sweep_every
            try:
                self._sweep(now)
            except Exception:
                log.exception("offline sweep failed")
        if now >= self._next_purge:
            self._next_purge = now + 60
            with self.engine.begin() as conn:
                conn.execute(delete(Nonce).where(Nonce.seen_at < now - NONCE_TTL))
                conn.execute(delete(DeviceEvent).where(DeviceEvent.at < now - HISTORY_DAYS * 86400))

    def _sweep(self, now: float) -> None:
        """Alert once for each terminal that went quiet; the flag clears with its next heartbeat."""
        cutoff = now - self.offline_after
        with self.engine.begin() as conn:
            rows = conn.execute(select(Snapshot.terminal_id, Snapshot.last_seen, Terminal.name)
                                .join(Terminal, Terminal.id == Snapshot.terminal_id, isouter=True)
                                .where(Snapshot.last_seen < cutoff, Snapshot.offline_alerted.is_(False))).all()
            if rows:
                conn.execute(update(Snapshot).where(Snapshot.terminal_id.in_([r.terminal_id for r in rows]))
                             .values(offline_alerted=True))
        for row in rows:
            self.alert({"event": "terminal_offline", "terminal_id": row.terminal_id,
                        "reason": f"no heartbeat for {int(now - row.last_seen)} s"})


@dataclass
class _Prev:
    devices: dict
    offline_alerted: bool


def _done(future: asyncio.Future, outcome) -> None:
    if not future.done():
        future.set_result(outcome)


def _fail(future: asyncio.Future, error: Exception) -> None:
    if not future.done():
        future.set_exception(error)
