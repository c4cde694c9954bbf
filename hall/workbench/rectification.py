"""整改 of a 差评 (a rating of 1 or 2), as 国办发〔2019〕51号 asks: a supervisor sends it to a
department with a note, a clerk of that department answers what was done, within RECTIFY_DAYS
working days of the assignment. Late is an open one past its due date, or one answered after it.

A 差评 belongs by default to the department of what was rated: an application's or a booking's
item, a 12345 request's department (once dispatched), a guide's item. The supervisor may send it
elsewhere, and send it again while it is unanswered (the new department gets its own 15 days).
Each assignment and answer is audited (hall.staff.audit) in the transaction that writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hall import clock, staff
from hall.db import Application, Booking, Department, HotlineRequest, Item, Rating, Rectification

RECTIFY_DAYS = 15
BAD_LEVELS = (1, 2)
# state -> shown as; late ones are red
STATES = {"unassigned": "待分派", "open": "整改中", "overdue": "已超期", "done_late": "逾期整改", "done": "已整改"}
LATE = ("overdue", "done_late")


class RectifyError(ValueError):
    """Refused, with a message for the staff member."""


@dataclass(frozen=True)
class Departments:
    """What each rated thing belongs to, read once for every rating (figures and pages)."""
    applications: dict[str, str]
    requests: dict[str, str]
    bookings: dict[str, str]
    items: dict[str, str]

    @classmethod
    def read(cls, session: Session) -> Departments:
        items = dict(session.execute(select(Item.code, Item.department_code)).all())
        return cls(
            applications=dict(session.execute(select(Application.number, Item.department_code)
                                              .join(Item, Item.code == Application.item_code)).all()),
            requests={t: d for t, d in session.execute(select(HotlineRequest.ticket, HotlineRequest.department_code))
                      if d},
            bookings={n: items[c] for n, c in session.execute(select(Booking.number, Booking.item_code)) if c in items},
            items=items)

    def of(self, rating: Rating) -> str | None:
        table = {"application": self.applications, "request": self.requests, "booking": self.bookings,
                 "guide": self.items}.get(rating.subject_kind, {})
        return table.get(rating.subject_ref)


def state(row: Rectification | None, today: date) -> str:
    """One of STATES' keys."""
    if row is None:
        return "unassigned"
    if row.answered_at is None:
        return "overdue" if today > row.due_date else "open"
    return "done_late" if clock.local(row.answered_at).date() > row.due_date else "done"


def assign(session: Session, who: staff.Staff, rating_id: int, department: str, note: str) -> None:
    """Send a 差评 to `department` (a supervisor's act). RectifyError: not a 差评, no such
    department, or already answered."""
    rating = session.get(Rating, rating_id)
    if rating is None or rating.level not in BAD_LEVELS:
        raise RectifyError("只有差评（1–2 分）需要整改")
    if session.get(Department, department) is None:
        raise RectifyError("请选择整改部门")
    row = session.scalar(select(Rectification).where(Rectification.rating_id == rating_id))
    if row is not None and row.answered_at is not None:
        raise RectifyError("该差评已整改答复，不能再分派")
    now = clock.now()
    values = {"department_code": department, "note": note.strip()[:1000], "assigned_by": who.name,
              "assigned_at": clock.utc_naive(now), "due_date": clock.add_working_days(now.date(), RECTIFY_DAYS)}
    if row is None:
        session.add(Rectification(rating_id=rating_id, **values))  # rating_id is unique: one of two inserts fails
    elif session.execute(update(Rectification).where(Rectification.id == row.id, Rectification.answered_at.is_(None))
                         .values(**values)).rowcount != 1:
        raise RectifyError("该差评刚被答复，不能再分派")
    staff.audit(session, who.name, "rectify_assign", subject(rating_id), f"{department} {values['note']}".strip())


def answer(session: Session, who: staff.Staff, rating_id: int, text: str) -> None:
    """A clerk of the assigned department answers what was done. RectifyError: not assigned,
    already answered, or no answer written; PermissionError: another department's."""
    row = session.scalar(select(Rectification).where(Rectification.rating_id == rating_id))
    if row is None:
        raise RectifyError("该差评尚未分派整改")
    if row.department_code not in who.departments:
        raise PermissionError("this rectification is another department's")
    if row.answered_at is not None:
        raise RectifyError("该差评已答复整改情况")
    text = text.strip()
    if len(text) < 2:
        raise RectifyError("请写明整改情况")
    # Only while unanswered, in SQL: of two concurrent answers one is kept, the other refused.
    if session.execute(update(Rectification).where(Rectification.id == row.id, Rectification.answered_at.is_(None))
                       .values(answer=text[:2000], answered_by=who.name, answered_at=clock.utc_naive(clock.now()))
                       ).rowcount != 1:
        raise RectifyError("该差评刚被答复，请刷新后查看")
    staff.audit(session, who.name, "rectify_answer", subject(rating_id), text[:2000])


def subject(rating_id: int) -> str:
    """The audit trail's subject for a 差评."""
    return f"差评{rating_id}"
