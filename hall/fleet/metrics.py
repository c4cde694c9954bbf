"""Prometheus metrics of the fleet at /metrics.

Labels stay low-cardinality on purpose: state (4 values), device kind (the five known
kinds, anything else is "other") and health (5). No per-terminal label: 10,000
terminals times a handful of series each would be tens of thousands of series for
Prometheus to keep, for data the console already shows; alerts on single terminals go
through the webhook instead. Fleet figures are computed from the database at scrape
time (a few aggregate queries), so they are right whichever process ingested.
"""

from __future__ import annotations

import time
from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import case, func, select

from hall.db import Database, Terminal
from hall.fleet.models import Snapshot

KNOWN_KINDS = {"idcard", "card", "printer", "scanner", "camera", "a4"}
STATES = ("green", "yellow", "red", "offline")
HEALTHS = ("ok", "warning", "error", "offline", "absent")


def state_column(cutoff: float):
    """SQL for the state shown: offline when unseen since `cutoff`, else the stored one."""
    return case((Snapshot.last_seen.is_(None) | (Snapshot.last_seen < cutoff), "offline"),
                else_=Snapshot.state)


class FleetMetrics:
    def __init__(self, database: Database, offline_after: float):
        self.database, self.offline_after = database, offline_after
        self.registry = CollectorRegistry(auto_describe=False)  # one per app: tests build several
        self.heartbeats = Counter("fleet_heartbeats_received", "Heartbeats accepted", registry=self.registry)
        self.alerts = Counter("fleet_alerts_sent", "Alert webhooks delivered", ["event"], registry=self.registry)
        self.alerts_failed = Counter("fleet_alerts_failed", "Alerts dropped after retries or a full queue",
                                     ["event"], registry=self.registry)
        self.registry.register(self)

    def heartbeats_received(self, count: int) -> None:
        self.heartbeats.inc(count)

    def alert_sent(self, event: str) -> None:
        self.alerts.labels(event).inc()

    def alert_failed(self, event: str) -> None:
        self.alerts_failed.labels(event).inc()

    def collect(self):
        cutoff = time.time() - self.offline_after
        state = state_column(cutoff)
        with self.database.read_session() as session:
            by_state = dict(session.execute(
                select(state, func.count()).select_from(Terminal)
                .join(Snapshot, Snapshot.terminal_id == Terminal.id, isouter=True).group_by(state)).all())
            online = session.execute(select(Snapshot.devices, Snapshot.outbox_depth)
                                     .where(Snapshot.last_seen >= cutoff)).all()
        terminals = GaugeMetricFamily("fleet_terminals", "Registered terminals by state", labels=["state"])
        for name in STATES:
            terminals.add_metric([name], by_state.get(name, 0))
        yield terminals
        health, paper = Tally(), Tally()
        for devices, _ in online:
            for kind, (device_health, device_paper) in devices.items():
                kind = kind if kind in KNOWN_KINDS else "other"
                health[kind, device_health] += 1
                if device_paper:
                    paper[kind, device_paper] += 1
        devices = GaugeMetricFamily("fleet_devices", "Devices of online terminals by kind and health",
                                    labels=["kind", "health"])
        for kind in sorted(KNOWN_KINDS):
            for name in HEALTHS:
                devices.add_metric([kind, name], health.pop((kind, name), 0))
        for (kind, name), count in sorted(health.items()):
            devices.add_metric([kind, name], count)
        yield devices
        levels = GaugeMetricFamily("fleet_paper", "Paper level of online terminals' devices",
                                   labels=["kind", "level"])
        for (kind, level), count in sorted(paper.items()):
            levels.add_metric([kind, level], count)
        yield levels
        yield GaugeMetricFamily("fleet_outbox_depth_sum", "Submissions waiting in online terminals' outboxes",
                                value=sum(depth for _, depth in online))
