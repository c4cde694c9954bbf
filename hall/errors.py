"""Error answers: `{"error": {"code", "message", "fields"?}}` for every failure."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException


class HallError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list[dict] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields, self.headers = status, code, message, fields, headers


class FieldProblem(BaseModel):
    field: str
    problem: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[FieldProblem] | None = None


class ErrorAnswer(BaseModel):
    error: ErrorBody


def error_response(status: int, code: str, message: str, fields: list | None = None,
                   headers: dict | None = None) -> JSONResponse:
    body: dict = {"code": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _problem(error: dict) -> dict:
    # Only the location and pydantic's message: never the rejected input, which may be
    # an ID number or a phone number.
    # Union members add tags such as "function-after[...]" to the location: drop them.
    field = ".".join(str(part) for part in error["loc"] if "[" not in str(part))
    message = error["msg"].removeprefix("Value error, ")
    return {"field": field, "problem": message}


_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def install(app: FastAPI) -> None:
    @app.exception_handler(HallError)
    async def _hall_error(_request: Request, exc: HallError):
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError):
        fields = [_problem(e) for e in exc.errors()]
        first = fields[0] if fields else {"field": "request", "problem": "is invalid"}
        return error_response(422, "invalid", f"{first['field']}: {first['problem']}", fields)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException):
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))


def invalid(field: str, problem: str) -> HallError:
    """A 422 for a check pydantic cannot make alone (e.g. "no such catalogue item")."""
    return HallError(422, "invalid", f"{field}: {problem}", [{"field": field, "problem": problem}])


def invalid_fields(fields: list[dict]) -> HallError:
    """A 422 naming every field in `fields` ({"field", "problem"}), the first one in the message."""
    return HallError(422, "invalid", f"{fields[0]['field']}: {fields[0]['problem']}", fields)


def not_found(what: str) -> HallError:
    return HallError(404, "not_found", f"{what} not found")


# Documented in the OpenAPI document for every authenticated operation.
COMMON_ERRORS = {
    401: {"model": ErrorAnswer, "description": "unsigned, unknown_terminal, stale, replayed or bad_signature"},
    404: {"model": ErrorAnswer, "description": "not_found: no such item, number, ticket, outlet or notice"},
    422: {"model": ErrorAnswer, "description": "a field failed its check; `fields` says which"},
}
POST_ERRORS = {
    **COMMON_ERRORS,
    400: {"model": ErrorAnswer, "description": "missing_idempotency_key or bad_idempotency_key"},
    409: {"model": ErrorAnswer, "description": "idempotency_conflict, or a conflict named by the code"},
    413: {"model": ErrorAnswer, "description": "too_large: the body is over 64 KB"},
}
