"""12345 hotline requests: five types, a ticket number, and the closed-loop history."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlalchemy import select

from hall import clock, db
from hall.api.deps import ReadDB, WriteDB
from hall.checks import Body, PersonName, Phone, text
from hall.errors import COMMON_ERRORS, POST_ERRORS, not_found
from hall.identity import new_number
from hall.idempotency import IdempotencyDep
from hall.limits import LOOKUP_ERRORS, LookupLimited

router = APIRouter(tags=["12345 requests"], responses=COMMON_ERRORS)
RequestType = Literal["咨询", "求助", "投诉", "建议", "举报"]
Status = Literal["受理", "派单", "办理", "回复", "督办", "办结", "回访", "评价"]
# Working days to answer; complaints and reports count as complex cases.
LIMIT_DAYS = {"咨询": 7, "求助": 7, "建议": 7, "投诉": 15, "举报": 15}


class RequestIn(Body):
    type: RequestType
    content: text(5, 1000)
    location: text(0, 200) = ""
    phone: Phone
    name: PersonName | None = None


class HistoryEntry(BaseModel):
    status: Status
    at: str
    note: str


class RequestOut(BaseModel):
    ticket: str = Field(description="RQ + yyyymmdd + 6 digits")
    type: RequestType
    status: Status
    submitted_at: str
    limit_days: int
    due_date: date
    history: list[HistoryEntry]
    department: str | None = Field(None, description="the department it was sent to (派单), once sent")
    reply: str | None = Field(None, description="the department's answer (回复), once given")


def _out(row: db.HotlineRequest, session) -> dict:
    department = session.get(db.Department, row.department_code) if row.department_code else None
    return {"ticket": row.ticket, "type": row.type, "status": row.status,
            "submitted_at": clock.iso(row.submitted_at), "limit_days": LIMIT_DAYS[row.type],
            "due_date": row.due_date.isoformat(), "history": row.history,
            "department": department.name if department else None, "reply": row.reply}


@router.post("/requests", status_code=201, response_model=RequestOut, responses=POST_ERRORS)
def create(body: RequestIn, session: WriteDB, idem: IdempotencyDep):
    idem.check(session)
    now = clock.now()
    ticket = new_number("RQ", now, lambda t: session.scalar(
        select(db.HotlineRequest.id).where(db.HotlineRequest.ticket == t)) is not None)
    row = db.HotlineRequest(
        ticket=ticket, type=body.type, content=body.content, location=body.location, phone=body.phone,
        name=body.name or "", terminal_id=idem.terminal_id, status="受理", submitted_at=clock.utc_naive(now),
        due_date=clock.add_working_days(now.date(), LIMIT_DAYS[body.type]),
        history=[{"status": "受理", "at": now.isoformat(timespec="seconds"),
                  "note": "自助终端受理"}])  # for the resident: the terminal is in its own column
    session.add(row)
    session.flush()
    return idem.answer(session, 201, _out(row, session))


@router.get("/requests/{ticket}", response_model=RequestOut, responses=LOOKUP_ERRORS,
            description="Status, history and the department's reply: the content and contact stay with the "
                        "hotline. "
                        "Rate-limited per terminal.")
def read(ticket: Annotated[str, Path(max_length=16)], session: ReadDB, _: LookupLimited):
    row = session.scalar(select(db.HotlineRequest).where(db.HotlineRequest.ticket == ticket))
    if row is None:
        raise not_found("request")
    return _out(row, session)
