"""好差评 ratings: five levels, the five national indicators, linked to what was rated.

An application, a 12345 request or a booking is rated once (一事一评), and only by the resident
who was served: the rating carries proof, the applicant's ID number or the request's contact
phone, checked against what the hall keeps (the ID number's keyed hash, the phone). A refusal
writes nothing, so the one rating stays the resident's; a wrong proof is answered exactly like
an unknown number. Service guides are rated by many, without proof.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hall import clock, db
from hall.api.deps import WriteDB
from hall.checks import Body, IdNumber, Phone, Reference, text
from hall.errors import COMMON_ERRORS, POST_ERRORS, HallError, invalid
from hall.identity import id_hash, same_id
from hall.idempotency import IdempotencyDep

router = APIRouter(tags=["ratings"], responses=COMMON_ERRORS)
Level = Annotated[int, Field(ge=1, le=5)]
# kind -> (table, its number column, the proof field that shows the rater was the one served)
SUBJECTS = {"application": (db.Application, db.Application.number, "id_number"),
            "request": (db.HotlineRequest, db.HotlineRequest.ticket, "phone"),
            "booking": (db.Booking, db.Booking.number, "id_number"),
            "guide": (db.Item, db.Item.code, None)}
LEVEL_ZH = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
RATED_AFTER = ("办结", "回访")  # a request rated once it is closed moves on to 评价, its last step
PROOF_NEEDED = {"application": "rating an application needs the applicant's ID number",
                "request": "rating a 12345 request needs the phone it was filed with",
                "booking": "rating a booking needs the ID number it was made with"}


class Indicators(Body):
    overall: Level = Field(alias="整体满意度")
    efficiency: Level = Field(alias="办事效率")
    guide_accuracy: Level = Field(alias="办事指南精确度")
    convenience: Level = Field(alias="办事便捷度")
    usability: Level = Field(alias="平台操作性")


class Subject(Body):
    kind: Literal["application", "request", "booking", "guide"]
    ref: Reference


class Proof(Body):
    id_number: IdNumber | None = Field(None, description="application or booking: the resident's ID number")
    phone: Phone | None = Field(None, description="12345 request: the contact phone it was filed with")


class RatingIn(Body):
    level: Level = Field(description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    indicators: Indicators
    subject: Subject
    proof: Proof | None = Field(None, description="that the rater is the resident served: `id_number` for an "
                                                  "application or booking, `phone` for a request; none for a guide")
    reason: text(2, 500) | None = Field(None, description="required for 差评 (level 1 or 2)")

    @model_validator(mode="after")
    def _reason_for_bad_rating(self):
        if self.level <= 2 and not self.reason:
            raise ValueError("a rating of 1 or 2 (差评) needs a reason of 2 to 500 characters")
        return self


class RatingOut(BaseModel):
    id: int


def _check_subject(session, id_key: bytes, body: RatingIn) -> None:
    """422 unless the subject exists and, but for a guide, the proof is its resident's."""
    kind, ref = body.subject.kind, body.subject.ref
    table, column, needed = SUBJECTS[kind]
    given = body.proof.model_dump(exclude_none=True) if body.proof else {}
    if needed is None:
        if body.proof is not None:
            raise invalid("body.proof", "a guide is rated without proof: send no personal data for it")
        if session.scalar(select(column).where(column == ref)) is None:
            raise invalid("body.subject.ref", f"no such {kind}")
        return
    if needed not in given:
        raise invalid(f"body.proof.{needed}", PROOF_NEEDED[kind])
    if unused := sorted(given.keys() - {needed}):
        raise invalid(f"body.proof.{unused[0]}", f"is not used to rate a {kind}: send only {needed}")
    row = session.scalar(select(table).where(column == ref))
    if needed == "id_number":
        served = same_id(row and row.id_hash, id_hash(id_key, given["id_number"]))
    else:
        served = hmac.compare_digest(_digits(row.phone if row else "").encode(), _digits(given["phone"]).encode()) \
            and row is not None
    if not served:
        raise invalid("body.subject.ref", f"no such {kind} for this resident")


def _digits(phone: str) -> str:
    return phone.replace("-", "")  # 0851-8123456 and 08518123456 are one landline


@router.post("/ratings", status_code=201, response_model=RatingOut, responses=POST_ERRORS)
def create(body: RatingIn, request: Request, session: WriteDB, idem: IdempotencyDep):
    idem.check(session)
    _check_subject(session, request.app.state.id_key, body)
    kind, ref = body.subject.kind, body.subject.ref
    row = db.Rating(level=body.level, indicators=body.indicators.model_dump(by_alias=True),
                    subject_kind=kind, subject_ref=ref, once_key=None if kind == "guide" else f"{kind}:{ref}",
                    reason=body.reason or "", terminal_id=idem.terminal_id,
                    created_at=clock.utc_naive(clock.now()))
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise HallError(409, "already_rated", f"this {kind} has already been rated") from None
    if kind == "request":
        _request_rated(session, ref, body.level)
    return idem.answer(session, 201, {"id": row.id})


def _request_rated(session, ticket: str, level: int) -> None:
    found = session.scalar(select(db.HotlineRequest).where(db.HotlineRequest.ticket == ticket))
    if found is None or found.status not in RATED_AFTER:
        return
    entry = {"status": "评价", "at": clock.now().isoformat(timespec="seconds"),
             "note": f"市民评价：{LEVEL_ZH[level]}"}
    found.status, found.history = "评价", [*found.history, entry]
