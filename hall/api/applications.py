"""Applications (网上申办): create with a 申办流水号, read with its timeline, look up by ID number.

An application is checked against its item's form definition (hall.forms) before it is stored.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema
from sqlalchemy import select

from hall import clock, corrections, db, forms, materials
from hall.api.deps import ReadDB, WriteDB
from hall.api.material_refs import FileRef, MaterialRef
from hall.checks import Body, IdNumber, PersonName, Phone
from hall.errors import COMMON_ERRORS, POST_ERRORS, invalid, invalid_fields, not_found
from hall.identity import id_hash, mask_id, mask_name, new_number
from hall.idempotency import IdempotencyDep
from hall.limits import LOOKUP_ERRORS, LookupLimited

router = APIRouter(tags=["applications"], responses=COMMON_ERRORS)
FINISHED = {"办结", "不予受理"}
# Timeline notes are for the resident (the submitting terminal is kept in its own column).
SUBMITTED_NOTE = {"kiosk": "自助终端提交", "web": "网上提交", "window": "窗口提交"}
Stage = Literal["收件", "受理", "不予受理", "补正", "审查", "决定", "办结"]


def _form_value(value: Any) -> Any:
    """No Infinity or NaN (as in every body); what else a value must be, the item's form
    definition says (hall.forms.check, which names every failing field at once)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


FormValue = Annotated[Any, AfterValidator(_form_value), WithJsonSchema(
    {"anyOf": [{"type": "string", "maxLength": 1000}, {"type": "number"}, {"type": "boolean"},
               {"type": "null"}]})]
class Applicant(Body):
    name: PersonName
    id_number: IdNumber
    phone: Phone


class ApplicationIn(Body):
    item_code: Annotated[str, Field(min_length=1, max_length=64)]
    applicant: Applicant
    form: dict[Annotated[str, Field(min_length=1, max_length=64)], FormValue] = Field(
        default_factory=dict, max_length=50, description="the item's form fields, at most 50")
    channel: Literal["kiosk", "web", "window"] = "kiosk"
    form_version: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")] | None = Field(
        None, description="the version of the form definition the terminal filled; without it (a terminal older "
                          "than item forms) nothing is required and other keys are kept (docs/hall-api.md)")
    materials: list[MaterialRef] = Field(default_factory=list, max_length=50,
                                         description="how each material is handed in; pages uploaded first")
    signature: FileRef | None = Field(None, description="the resident's signature (PNG), uploaded first")


class Lookup(Body):
    id_number: IdNumber


class TimelineEntry(BaseModel):
    stage: Stage
    at: str
    note: str


class MaskedApplicant(BaseModel):
    name_masked: str
    id_masked: str


class Requested(BaseModel):
    key: str | None = Field(description="the material's key in the item's form (None: the form has it no more)")
    name: str
    name_en: str
    why: Literal["缺少", "不清晰"]


class SupplementAsked(BaseModel):
    """While in 补正: what the clerk asks the resident to send (POST /supplements takes it)."""
    asked_at: str
    note: str = Field(description="the clerk's own words, may be empty")
    materials: list[Requested]
    supplied_at: str | None = Field(description="when pages last came for this 补正, else null")


class Progress(BaseModel):
    """What a look-up answers: what the resident's progress screen shows, nothing more (a number
    can be typed at any terminal)."""
    number: str = Field(description="申办流水号: SB + yyyymmdd + 6 digits")
    item_code: str
    item_name: str
    status: Stage
    limit_days: int
    due_date: date
    elapsed_working_days: int
    signal: Literal["green", "yellow", "red"]
    timeline: list[TimelineEntry]
    applicant: MaskedApplicant
    supplement: SupplementAsked | None = Field(None, description="only while the status is 补正")


class Application(Progress):
    """The answer to the terminal that submitted it."""
    submitted_at: str


class Applications(BaseModel):
    items: list[Progress]


def signal(limit_days: int, submitted: date, due: date, today: date) -> tuple[int, str]:
    """(elapsed working days, green|yellow|red): yellow from 80 % of the limit, red past due."""
    elapsed = clock.working_days_between(submitted, today)
    if today > due:
        return elapsed, "red"
    if limit_days and elapsed * 5 >= limit_days * 4:
        return elapsed, "yellow"
    return elapsed, "green"


def _progress(row: db.Application, session=None) -> dict:
    """`session`: to read the item's form for a 补正's material keys (None: not in 补正)."""
    submitted = clock.local(row.submitted_at).date()
    # A finished application is judged on the day it finished, not on today.
    end = date.fromisoformat(row.timeline[-1]["at"][:10]) if row.status in FINISHED else clock.today()
    elapsed, colour = signal(row.limit_days, submitted, row.due_date, end)
    return {"number": row.number, "item_code": row.item_code, "item_name": row.item_name,
            "status": row.status, "limit_days": row.limit_days,
            "due_date": row.due_date.isoformat(), "elapsed_working_days": elapsed, "signal": colour,
            "timeline": row.timeline,
            "applicant": {"name_masked": mask_name(row.applicant_name), "id_masked": row.id_masked},
            "supplement": _asked(row, session)}


def _asked(row: db.Application, session) -> dict | None:
    if row.status != "补正" or session is None:
        return None
    definition = session.get(db.Form, row.item_code)
    return corrections.asked(row.timeline, definition.definition if definition else None)


@router.post("/applications", status_code=201, response_model=Application, responses=POST_ERRORS)
def create(body: ApplicationIn, request: Request, session: WriteDB, idem: IdempotencyDep):
    idem.check(session)
    item = session.get(db.Item, body.item_code)
    if item is None:
        raise invalid("body.item_code", "no such catalogue item")
    if not item.data["online"]:
        raise invalid("body.item_code", "this item cannot be applied for online (是否网上可办: 否)")
    definition = session.get(db.Form, item.code)
    if definition is None:
        raise invalid("body.item_code", "this item has no form on this hall")
    given = [m.model_dump(exclude_defaults=True) for m in body.materials]  # no "pages" unless photographed
    problems, form = forms.check(definition.definition, body.form, given,
                                 body.signature and body.signature.model_dump(), complete=body.form_version is not None)
    if problems:
        raise invalid_fields(problems)
    now = clock.now()
    limit = item.data["promised_limit_days"]
    number = new_number("SB", now, lambda n: session.scalar(
        select(db.Application.id).where(db.Application.number == n)) is not None)
    row = db.Application(
        number=number, item_code=item.code, item_name=item.name, terminal_id=idem.terminal_id,
        channel=body.channel, applicant_name=body.applicant.name, applicant_phone=body.applicant.phone,
        id_hash=id_hash(request.app.state.id_key, body.applicant.id_number),
        id_masked=mask_id(body.applicant.id_number), form=form, form_version=body.form_version,
        materials=given, signature=body.signature and body.signature.model_dump(), status="收件",
        submitted_at=clock.utc_naive(now), limit_days=limit,
        due_date=clock.add_working_days(now.date(), limit),
        timeline=[{"stage": "收件", "at": now.isoformat(timespec="seconds"),
                   "note": SUBMITTED_NOTE[body.channel]}])
    session.add(row)
    session.flush()
    materials.attach(session, idem.terminal_id, row.id, body.materials, body.signature)
    return idem.answer(session, 201, {**_progress(row), "submitted_at": clock.iso(row.submitted_at)})


@router.post("/applications/lookup", response_model=Applications, responses=LOOKUP_ERRORS,
             description="By ID number, in the body so it never appears in a URL or an access log. "
                         "The newest 50. No Idempotency-Key needed: it changes nothing. "
                         "Rate-limited per terminal and per ID number.")
def lookup(body: Lookup, request: Request, session: ReadDB, lookups: LookupLimited):
    person = id_hash(request.app.state.id_key, body.id_number)
    lookups.resident(person)
    rows = session.scalars(select(db.Application).where(db.Application.id_hash == person)
                           .order_by(db.Application.id.desc()).limit(50))
    return {"items": [_progress(row, session) for row in rows]}


@router.get("/applications/{number}", response_model=Progress, responses=LOOKUP_ERRORS,
            description="Rate-limited per terminal.")
def read(number: Annotated[str, Path(max_length=16)], session: ReadDB, _: LookupLimited):
    row = session.scalar(select(db.Application).where(db.Application.number == number))
    if row is None:
        raise not_found("application")
    return _progress(row, session)
