"""An application's materials as JSON for the fleet console's operators (other systems'
way in); clerks see them in the workbench (hall.workbench), audited. Never for terminals:
they sign /api/v1 requests and have no console cookie, so a terminal-signed request is sent
to the login page like any stranger.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from starlette.exceptions import HTTPException

from hall.db import Application, ApplicationFile
from hall.fleet.console import Operator

router = APIRouter(prefix="/console", include_in_schema=False)
Number = Annotated[str, Path(max_length=16)]
PRIVATE = {"Cache-Control": "private, no-store"}  # residents' documents: no copies on the way


def _application_id(session, number: str) -> int:
    found = session.scalar(select(Application.id).where(Application.number == number))
    if found is None:
        raise HTTPException(404, "no such application")
    return found


@router.get("/applications/{number}/materials")
def materials_of(number: Number, request: Request, _: Operator):
    """The application's files in order: each material's pages, then the signature."""
    with request.app.state.database.read_session() as session:
        files = session.scalars(select(ApplicationFile).where(
            ApplicationFile.application_id == _application_id(session, number)).order_by(ApplicationFile.id)).all()
    return JSONResponse({"files": [
        {"field": f.field, "material": f.material_key, "page": f.page, "sha256": f.sha256, "size": f.size,
         "type": f.content_type, "url": f"/console/applications/{number}/materials/{f.sha256}"}
        for f in files]}, headers=PRIVATE)


@router.get("/applications/{number}/materials/{sha256}")
def material(number: Number, sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")], request: Request,
             _: Operator):
    with request.app.state.database.read_session() as session:
        attached = session.scalar(select(ApplicationFile.id).where(
            ApplicationFile.application_id == _application_id(session, number), ApplicationFile.sha256 == sha256))
    kept = request.app.state.materials.read(sha256) if attached is not None else None
    if kept is None:
        raise HTTPException(404, "no such file in this application")
    data, content_type = kept
    return Response(data, media_type=content_type, headers=PRIVATE)
