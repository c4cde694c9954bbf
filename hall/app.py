"""The reference online hall: `create_app(db_url)` gives the FastAPI application.

Everything under /api/v1 is signed by a registered terminal (hall.auth) except
health and the OpenAPI document, which is the contract (docs/hall-api.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from sqlalchemy import select

from hall import backoffice, calendar, certificates, db, fleet, seed, staff, workbench  # noqa: F401 (staff: its tables)
from hall.api import appointments, applications, catalog, public, ratings, requests, supplements, uploads
from hall.auth import TerminalAuth
from hall.errors import install as install_errors
from hall.fleet.console import PAGE_HEADERS
from hall.workbench import hotline, supervision
from hall.headers import SecurityHeaders
from hall.idempotency import StoredAnswer
from hall.limits import LookupLimits, Lookups, MemoryLimiter
from hall.materials import Materials
from hall.models import FormDefinition, Item

VERSION = "1.0.0"
PREFIX = "/api/v1"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED = Path(os.environ.get("KIOSK_ASSETS", ROOT / "assets")) / "seed"


def register_terminal(database: db.Database, terminal_id: str, secret: str, name: str = "") -> None:
    with database.write_session() as session:
        row = session.get(db.Terminal, terminal_id) or db.Terminal(id=terminal_id)
        row.secret, row.name = secret, name or row.name or terminal_id
        session.add(row)
        session.commit()


def _id_key(database: db.Database) -> bytes:
    """The key of the ID-number hashes: $HALL_ID_KEY, else one made at first start and kept."""
    if os.environ.get("HALL_ID_KEY"):
        return os.environ["HALL_ID_KEY"].encode()
    with database.write_session() as session:
        row = session.get(db.Meta, "id_hash_key")
        if row is None:
            row = db.Meta(key="id_hash_key", value=secrets.token_hex(32))
            session.add(row)
            session.commit()
        return row.value.encode()


def _catalog_export(database: db.Database) -> tuple[str, bytes]:
    """The bulk export, built once: the catalogue changes only by re-seeding, never through the API.
    Its version hashes every item with its form, so a changed form changes it."""
    with database.read_session() as session:
        forms = {row.item_code: row.definition for row in session.scalars(select(db.Form))}
        items = []
        for row in session.scalars(select(db.Item).order_by(db.Item.code)):
            item = Item.model_validate(row.data).model_dump()
            if row.code in forms:
                item["form"] = FormDefinition.model_validate(forms[row.code]).model_dump(exclude_none=True)
            items.append(item)
    canonical = json.dumps(items, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    version = hashlib.sha256(canonical).hexdigest()[:16]
    body = json.dumps({"version": version, "items": items}, ensure_ascii=False, separators=(",", ":"))
    return version, body.encode()


def create_app(db_url: str, seed_dir: Path | None = DEFAULT_SEED,
               terminals: dict[str, str] | None = None,
               fleet_settings: fleet.FleetSettings | None = None,
               lookup_limits: LookupLimits | None = None) -> FastAPI:
    """`lookup_limits` None: from the environment (hall.limits). Materials are kept where the
    environment says (hall.materials), cleaned up by a thread started here. ValueError: a
    setting of the environment is wrong (the message says which)."""
    lookup_limits = lookup_limits or LookupLimits.from_environ()
    figures_token = supervision.token_from_environ()
    database = db.Database(db_url)
    materials = Materials.from_environ(database)
    if seed_dir is not None:
        seed.load(database, Path(seed_dir))
    for terminal_id, secret in (terminals or {}).items():
        register_terminal(database, terminal_id, secret)
    calendar.ensure(database)

    app = FastAPI(title="Online service hall (网上办事大厅)", version=VERSION,
                  openapi_url=f"{PREFIX}/openapi.json", docs_url=f"{PREFIX}/docs", redoc_url=None)
    app.state.database = database
    app.state.id_key = _id_key(database)
    if seed_dir is not None:
        certificates.load(database, app.state.id_key, Path(seed_dir))
    app.state.catalog_export = _catalog_export(database)
    app.state.lookups = Lookups(lookup_limits, MemoryLimiter())
    app.state.figures_token = figures_token
    app.state.materials = materials.start()
    install_errors(app)

    @app.exception_handler(StoredAnswer)
    async def _stored(_request: Request, answer: StoredAnswer):
        return answer.response()

    @app.get(f"{PREFIX}/health", tags=["health"])
    def health():
        return {"status": "ok", "version": VERSION}

    # The fleet first: routes are matched in order, and heartbeats are most of the hall's requests.
    fleet.install(app, database, fleet_settings or fleet.FleetSettings(), PREFIX)
    for module in (catalog, applications, supplements, requests, ratings, appointments, public, uploads,
                   certificates):
        app.include_router(module.router, prefix=PREFIX)
    app.include_router(certificates.pages)
    app.include_router(backoffice.router)
    app.include_router(workbench.router)
    app.include_router(hotline.router)
    app.include_router(supervision.router)
    app.add_middleware(TerminalAuth, database=database)
    app.add_middleware(SecurityHeaders, pages={"/console": PAGE_HEADERS,  # outermost
                                               workbench.PREFIX: workbench.PAGE_HEADERS})
    app.openapi = lambda: _openapi(app)
    return app


def _openapi(app: FastAPI) -> dict:
    """FastAPI's document plus the signing scheme, and Idempotency-Key marked required."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, routes=app.routes,
                      description="Every request but health is signed: see docs/hall-api.md.")
    doc["components"]["securitySchemes"] = {
        name: {"type": "apiKey", "in": "header", "name": name}
        for name in ("X-Terminal-Id", "X-Timestamp", "X-Nonce", "X-Signature")}
    for path, operations in doc["paths"].items():
        for operation in operations.values():
            if path != f"{PREFIX}/health":
                operation["security"] = [{n: [] for n in doc["components"]["securitySchemes"]}]
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "Idempotency-Key":  # optional to FastAPI so that we answer 400
                    parameter["required"] = True
                    parameter["schema"] = {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{8,128}$"}
    app.openapi_schema = doc
    return doc
