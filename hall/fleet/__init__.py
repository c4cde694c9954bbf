"""The fleet side of the hall: heartbeats, commands, the operator console, alerts, metrics.

`install(app, database, settings)` mounts it all on the hall's FastAPI app.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hall.db import Database
from hall.fleet import models  # noqa: F401  (puts the fleet tables on hall.db.Base before create_all)


class QuietHeartbeats(logging.Filter):
    """uvicorn's access log without answered heartbeats: 10,000 terminals would write 28.8 million
    lines a day (and logging one costs as much as a third of ingesting it). Refused ones are logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn logs '%s - "%s %s HTTP/%s" %d' with (client, method, path and query, version, status).
        args = record.args
        return not (isinstance(args, tuple) and len(args) == 5 and args[1] == "POST"
                    and args[2] == "/api/v1/heartbeat" and args[4] == 200)


QUIET_HEARTBEATS = QuietHeartbeats()


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
    logging.getLogger("uvicorn.access").addFilter(QUIET_HEARTBEATS)  # kept by uvicorn's logging setup
    app.include_router(api.router, prefix=prefix)
    app.include_router(console.router)

    @app.get("/metrics", include_in_schema=False)
    def metrics():
        return Response(generate_latest(fleet.metrics.registry), media_type=CONTENT_TYPE_LATEST)
