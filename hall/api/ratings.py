"""好差评 ratings: five levels, the five national indicators, linked to what was rated."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hall import clock, db
from hall.api.deps import WriteDB
from hall.checks import Body, Reference, text
from hall.errors import COMMON_ERRORS, POST_ERRORS, HallError, invalid
from hall.idempotency import IdempotencyDep

router = APIRouter(tags=["ratings"], responses=COMMON_ERRORS)
Level = Annotated[int, Field(ge=1, le=5)]
# What each subject kind refers to; all but guides are rated once (一事一评).
SUBJECTS = {"application": db.Application.number, "request": db.HotlineRequest.ticket,
            "booking": db.Booking.number, "guide": db.Item.code}


class Indicators(Body):
    overall: Level = Field(alias="整体满意度")
    efficiency: Level = Field(alias="办事效率")
    guide_accuracy: Level = Field(alias="办事指南精确度")
    convenience: Level = Field(alias="办事便捷度")
    usability: Level = Field(alias="平台操作性")


class Subject(Body):
    kind: Literal["application", "request", "booking", "guide"]
    ref: Reference


class RatingIn(Body):
    level: Level = Field(description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    indicators: Indicators
    subject: Subject
    reason: text(2, 500) | None = Field(None, description="required for 差评 (level 1 or 2)")

    @model_validator(mode="after")
    def _reason_for_bad_rating(self):
        if self.level <= 2 and not self.reason:
            raise ValueError("a rating of 1 or 2 (差评) needs a reason of 2 to 500 characters")
        return self


class RatingOut(BaseModel):
    id: int


@router.post("/ratings", status_code=201, response_model=RatingOut, responses=POST_ERRORS)
def create(body: RatingIn, session: WriteDB, idem: IdempotencyDep):
    idem.check(session)
    kind, ref = body.subject.kind, body.subject.ref
    column = SUBJECTS[kind]
    if session.scalar(select(column).where(column == ref)) is None:
        raise invalid("body.subject.ref", f"no such {kind}")
    row = db.Rating(level=body.level, indicators=body.indicators.model_dump(by_alias=True),
                    subject_kind=kind, subject_ref=ref, once_key=None if kind == "guide" else f"{kind}:{ref}",
                    reason=body.reason or "", terminal_id=idem.terminal_id,
                    created_at=clock.utc_naive(clock.now()))
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise HallError(409, "already_rated", f"this {kind} has already been rated") from None
    return idem.answer(session, 201, {"id": row.id})
