"""The terminal-signed fleet endpoints under /api/v1 (docs/hall-api.md, Fleet)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hall.api.deps import WriteDB
from hall.auth import SCREENSHOT_MAX_BODY
from hall.errors import COMMON_ERRORS, POST_ERRORS, HallError, error_response, not_found
from hall.fleet.ingest import REPLAYED
from hall.fleet.models import Command, CommandResult, Heartbeat, HeartbeatAnswer, Screenshot
from hall.fleet.status import classify
from hall.idempotency import IdempotencyDep

router = APIRouter(tags=["fleet"])
CommandId = Annotated[int, Path(ge=1, le=2**62)]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCREENSHOTS_KEPT = 3  # per terminal: a screenshot may be large, and only the latest is shown


@router.post("/heartbeat", response_model=HeartbeatAnswer, responses=COMMON_ERRORS,
             description="No Idempotency-Key: a heartbeat replaces the previous snapshot.")
async def heartbeat(beat: Heartbeat, request: Request):
    fleet = request.app.state.fleet
    state, reason = classify(beat)
    commands = await fleet.ingest.submit(request.state.terminal_id, request.state.nonce, beat, state, reason)
    if commands is REPLAYED:
        return error_response(401, "replayed", "this nonce was already used")
    return JSONResponse({"commands": commands, "next_heartbeat_s": fleet.interval})


def _sent_command(session: Session, terminal_id: str, command_id: int) -> Command:
    command = session.get(Command, command_id)
    if command is None or command.terminal_id != terminal_id:
        raise not_found("command")
    if command.status == "queued":
        raise HallError(409, "not_sent", "this command has not been delivered yet")
    return command


@router.post("/commands/{command_id}/result", responses=POST_ERRORS)
def command_result(command_id: CommandId, result: CommandResult, request: Request, session: WriteDB,
                   idem: IdempotencyDep):
    idem.check(session)
    command = _sent_command(session, request.state.terminal_id, command_id)
    if command.status != "sent":
        raise HallError(409, "already_reported", "a result for this command was already reported")
    command.status = "done" if result.ok else "failed"
    command.detail, command.done_at = result.detail, time.time()
    return idem.answer(session, 200, {"id": command.id, "status": command.status})


@router.post("/commands/{command_id}/screenshot", status_code=201, responses={
    **COMMON_ERRORS, 409: COMMON_ERRORS[404] | {"description": "not_sent or not_a_screenshot"},
    413: COMMON_ERRORS[404] | {"description": f"over {SCREENSHOT_MAX_BODY // 1024} KB"},
    415: COMMON_ERRORS[404] | {"description": "not image/png"}},
    openapi_extra={"requestBody": {"required": True, "content": {"image/png": {"schema": {
        "type": "string", "format": "binary"}}}}})
async def screenshot(command_id: CommandId, request: Request):
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "image/png":
        raise HallError(415, "unsupported_media_type", "the body must be Content-Type: image/png")
    png = await request.body()
    if not png.startswith(PNG_SIGNATURE):
        raise HallError(422, "invalid", "body: not a PNG image", [{"field": "body", "problem": "not a PNG image"}])
    return await run_in_threadpool(_store_screenshot, request, command_id, png)


def _store_screenshot(request: Request, command_id: int, png: bytes) -> dict:
    terminal_id = request.state.terminal_id
    with request.app.state.database.write_session() as session:
        command = _sent_command(session, terminal_id, command_id)
        if command.kind != "screenshot":
            raise HallError(409, "not_a_screenshot", "this command is not a screenshot command")
        row = session.get(Screenshot, command_id) or Screenshot(command_id=command_id, terminal_id=terminal_id)
        row.png, row.at = png, time.time()
        session.add(row)
        session.flush()
        keep = select(Screenshot.command_id).where(Screenshot.terminal_id == terminal_id) \
            .order_by(Screenshot.at.desc()).limit(SCREENSHOTS_KEPT)
        session.execute(delete(Screenshot).where(Screenshot.terminal_id == terminal_id,
                                                 Screenshot.command_id.not_in(keep)))
        session.commit()
    return {"id": command_id, "bytes": len(png)}
