"""The fleet side of the hall: heartbeats, commands, the operator console, alerts, metrics.

`install(app, database, settings)` mounts it all on the hall's FastAPI app.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hall.db import Database
from hall.fleet import models  # noqa: F401  (puts the fleet tables on hall.db.Base before create_all)


@dataclass
class FleetSettings:
    interval: int = 30  # seconds between heartbeats, told to terminals
    offline_after: float | None = None  # default: 3 intervals
    alert_webhook: str | None = None


class Fleet:
    def __init__(self, database: Database, settings: FleetSettings):
        from hall.fleet.alerts import Alerter
        from hall.fleet.ingest import Ingest
        from hall.fleet.metrics import FleetMetrics

        self.interval = settings.interval
        self.offline_after = settings.offline_after or 3 * settings.interval
        self.metrics = FleetMetrics(database, self.offline_after)
        self.alerter = Alerter(database, settings.alert_webhook, self.metrics)
        self.ingest = Ingest(database, self.offline_after, self.alerter, self.metrics.heartbeats_received)


def install(app: FastAPI, database: Database, settings: FleetSettings, prefix: str) -> None:
    from hall.fleet import api, console

    fleet = Fleet(database, settings)
    app.state.fleet = fleet
    app.include_router(api.router, prefix=prefix)
    app.include_router(console.router)

    @app.get("/metrics", include_in_schema=False)
    def metrics():
        return Response(generate_latest(fleet.metrics.registry), media_type=CONTENT_TYPE_LATEST)
