"""补正 from the terminal: the resident sends the pages the clerk asked for (hall.corrections).

Proof that the sender is the applicant is the applicant's ID number, checked against the
application's keyed hash as ratings check it: a wrong one is answered exactly like an unknown
number (404), so a number typed at a terminal tells nothing. The pages were uploaded first
(PUT /api/v1/uploads/{sha256}) and are attached as `supplement.<n>.<key>.pages.<i>`; a timeline
entry (stage stays 补正, `supplied: true`) tells the clerk they came. The clerk then accepts
(受理) or refuses as from any 补正.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select, update

from hall import clock, corrections, db, materials
from hall.api.deps import WriteDB
from hall.api.material_refs import FileRef
from hall.checks import Body, IdNumber
from hall.errors import COMMON_ERRORS, POST_ERRORS, HallError, not_found
from hall.identity import id_hash, same_id
from hall.idempotency import IdempotencyDep

router = APIRouter(tags=["applications"], responses=COMMON_ERRORS)


class SupplementProof(Body):
    id_number: IdNumber = Field(description="the applicant's ID number (never stored; compared with its keyed hash)")


class SuppliedMaterial(Body):
    key: str = Field(pattern=r"^m[1-9][0-9]{0,2}$", description="a material the 补正 asks for: m1, m2, …")
    pages: list[FileRef] = Field(min_length=1, max_length=materials.MAX_PAGES,
                                 description="the photographed pages (JPEG), uploaded first, in order")


class SupplementIn(Body):
    number: Annotated[str, Field(pattern=r"^SB\d{14}$", description="申办流水号")]
    proof: SupplementProof
    materials: list[SuppliedMaterial] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _pages(self):
        if sum(len(m.pages) for m in self.materials) > materials.MAX_PAGES:
            raise ValueError(f"a supplement holds at most {materials.MAX_PAGES} pages")
        return self


class SupplementOut(BaseModel):
    number: str
    status: str = Field(description="补正: the clerk looks at the pages and accepts (受理) or refuses")
    supplement: int = Field(description="1 for the first supplement of this application, 2 for the next…")
    pages: int
    at: str


@router.post("/supplements", status_code=201, response_model=SupplementOut,
             responses={**POST_ERRORS,
                        404: COMMON_ERRORS[422] | {"description": "not_found: no such application, or the ID "
                                                                   "number is not its applicant's (the same answer)"},
                        409: COMMON_ERRORS[422] | {"description": "not_awaiting_supplement: the application is "
                                                                   "not in 补正; material_not_requested: the 补正 "
                                                                   "does not ask for this material"}},
             description="The pages a 补正 asks for, sent by the applicant (proof: their ID number).")
def create(body: SupplementIn, request: Request, session: WriteDB, idem: IdempotencyDep):
    idem.check(session)
    # Locked (PostgreSQL; SQLite's write transactions are serial already): two supplements of one
    # application, or a supplement and the clerk's move, one after the other.
    row = session.scalar(select(db.Application).where(db.Application.number == body.number).with_for_update())
    if not same_id(row and row.id_hash, id_hash(request.app.state.id_key, body.proof.id_number)):
        raise not_found("application")
    if row.status != "补正":
        raise HallError(409, "not_awaiting_supplement",
                        f"this application is {row.status}, not 补正: no pages are asked for")
    definition = (session.get(db.Form, row.item_code) or db.Form(definition={})).definition
    request_ = corrections.asked(row.timeline, definition) or {"materials": []}
    wanted = {m["key"]: m["name"] for m in request_["materials"] if m["key"]}
    keys = [m.key for m in body.materials]
    if len(set(keys)) != len(keys):
        raise HallError(422, "invalid", "materials: a material is given twice",
                        [{"field": "materials", "problem": "a material is given twice"}])
    if unasked := [k for k in keys if k not in wanted]:
        raise HallError(409, "material_not_requested",
                        f"materials.{unasked[0]}: the 补正 does not ask for this material",
                        [{"field": f"materials.{k}", "problem": "not asked for"} for k in unasked])
    n = corrections.supplements_made(row.timeline) + 1
    materials.attach(session, idem.terminal_id, row.id, body.materials, None, stored_as=f"supplement.{n}.")
    now = clock.now().isoformat(timespec="seconds")
    listed = "、".join(f"{wanted[m.key]}（{len(m.pages)}页）" for m in body.materials)
    entry = {"stage": "补正", "at": now, "note": f"已补交材料：{listed}", "supplied": True, "supplement": n,
             "pages": {m.key: len(m.pages) for m in body.materials}}
    # Only while still in 补正: a clerk's move in between wins (the terminal hears 409).
    changed = session.execute(update(db.Application).where(
        db.Application.id == row.id, db.Application.status == "补正")
        .values(timeline=[*row.timeline, entry])).rowcount
    if changed != 1:
        raise HallError(409, "not_awaiting_supplement", "the application changed meanwhile; look it up again")
    return idem.answer(session, 201, {"number": row.number, "status": "补正", "supplement": n,
                                      "pages": sum(len(m.pages) for m in body.materials), "at": now})
