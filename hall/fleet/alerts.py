"""Webhook alerts: terminal offline / back online, device failed.

Events go into a bounded queue that a sender thread drains, so ingestion never waits
on the webhook; when the queue is full (webhook down for long) new events are dropped
and counted rather than blocking heartbeats. Each POST is retried a few times.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

import requests

from hall import clock
from hall.db import Database, Terminal

log = logging.getLogger("hall.fleet")
TRIES = 3
BACKOFF_S = 1.0


class Alerter:
    def __init__(self, database: Database, url: str | None, metrics):
        self.database, self.url, self.metrics = database, url, metrics
        self._queue: queue.Queue = queue.Queue(maxsize=10_000)
        self._http = requests.Session()
        if url:
            threading.Thread(target=self._run, name="fleet-alerts", daemon=True).start()

    def __call__(self, event: dict) -> None:
        log.warning("fleet alert %s terminal=%s %s", event["event"], event["terminal_id"],
                    event.get("device", ""))
        if not self.url:
            return
        event = {**event, "at": clock.now().isoformat(timespec="seconds")}
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.metrics.alert_failed(event["event"])

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            event["terminal_name"] = self._name(event["terminal_id"])
            for attempt in range(TRIES):
                try:
                    answer = self._http.post(self.url, json=event, timeout=5)
                    if answer.status_code < 300:
                        self.metrics.alert_sent(event["event"])
                        break
                    problem = f"HTTP {answer.status_code}"
                except requests.RequestException as e:
                    problem = e.__class__.__name__
                log.warning("alert webhook: %s (try %d of %d)", problem, attempt + 1, TRIES)
                time.sleep(BACKOFF_S * 2 ** attempt)
            else:
                self.metrics.alert_failed(event["event"])

    def _name(self, terminal_id: str) -> str:
        with self.database.read_session() as session:
            row = session.get(Terminal, terminal_id)
            return row.name if row else terminal_id
