"""Uploads: a material's page or the signature, sent before the application naming it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from hall.errors import COMMON_ERRORS, HallError
from hall.materials import UPLOAD_TYPES

router = APIRouter(tags=["materials"])
Sha256Path = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the body, lower-case hex")]
_LIMITS = ", ".join(f"{kind} {limit:,} bytes" for kind, limit in UPLOAD_TYPES.items())


class Uploaded(BaseModel):
    sha256: str
    size: int
    type: str


@router.put(
    "/uploads/{sha256}", status_code=201, response_model=Uploaded,
    description="The raw file, signed like every request. 201 the first time, 200 when this terminal "
                "had sent it already. An upload belongs to its terminal; one not attached to an "
                f"application within 24 h is deleted. Limits: {_LIMITS}.",
    responses={**COMMON_ERRORS,
               200: {"model": Uploaded, "description": "this terminal had uploaded it already"},
               413: COMMON_ERRORS[422] | {"description": f"too_large: over the type's limit ({_LIMITS})"},
               415: COMMON_ERRORS[422] | {"description": "unsupported_media_type: not image/jpeg or image/png"},
               422: COMMON_ERRORS[422] | {"description": "hash_mismatch (the body's SHA-256 is not the path's), "
                                                         "not_an_image (it does not decode as its type), invalid"}},
    openapi_extra={"requestBody": {"required": True, "content": {
        kind: {"schema": {"type": "string", "format": "binary"}} for kind in UPLOAD_TYPES}}})
async def upload(sha256: Sha256Path, request: Request):
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = UPLOAD_TYPES.get(content_type)
    if limit is None:
        raise HallError(415, "unsupported_media_type", "the body must be Content-Type: image/jpeg or image/png")
    data = await request.body()
    if len(data) > limit:
        raise HallError(413, "too_large", f"a {content_type} upload is at most {limit:,} bytes")
    if request.state.body_sha256 != sha256:  # computed by hall.auth for the signature
        raise HallError(422, "hash_mismatch", "body: its SHA-256 is not the one in the path",
                        [{"field": "body", "problem": "SHA-256 does not match the path"}])
    created = await run_in_threadpool(request.app.state.materials.put, request.state.terminal_id, sha256,
                                      data, content_type)
    return JSONResponse({"sha256": sha256, "size": len(data), "type": content_type},
                        status_code=201 if created else 200)
