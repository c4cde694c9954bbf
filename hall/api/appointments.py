"""Appointments at an outlet's window: days, slots with capacity, booking, cancellation.

Booking takes a place with one conditional UPDATE (`booked < capacity`), so two
terminals booking the last place at once cannot both get it, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select, update

from hall import calendar, clock, db
from hall.api.deps import ReadDB, WriteDB
from hall.checks import Body, IdNumber, PersonName, Phone
from hall.errors import COMMON_ERRORS, POST_ERRORS, HallError, invalid, not_found
from hall.identity import id_hash, mask_id, new_number, same_id
from hall.idempotency import IdempotencyDep

router = APIRouter(tags=["appointments"], responses=COMMON_ERRORS)
OutletId = Annotated[str, Query(min_length=1, max_length=64)]


class Day(BaseModel):
    date: date
    available: int


class SlotOut(BaseModel):
    slot_id: int
    start: str
    end: str
    capacity: int
    booked: int


class BookingIn(Body):
    slot_id: int = Field(ge=1, le=2**31 - 1)
    item_code: Annotated[str, Field(min_length=1, max_length=64)]
    name: PersonName
    id_number: IdNumber
    phone: Phone


class CancelIn(Body):
    id_number: IdNumber = Field(description="the ID number the booking was made with: only its resident cancels it")


class OutletRef(BaseModel):
    id: str
    name: str
    address: str


class BookingOut(BaseModel):
    booking_number: str = Field(description="YY + yyyymmdd + 6 digits")
    ticket: str = Field(description="what the window calls: Y + slot start HHMM + place in the slot")
    outlet: OutletRef
    item_code: str
    date: date
    start: str
    end: str
    status: str


class Cancelled(BaseModel):
    booking_number: str
    status: str


def _outlet(session, outlet_id: str, item_code: str | None = None, field: str = "query.item_code") -> db.Outlet:
    outlet = session.get(db.Outlet, outlet_id)
    if outlet is None or outlet.appointment is None:
        raise not_found("outlet taking appointments")
    if item_code is not None and item_code not in outlet.items:
        raise invalid(field, "this outlet does not handle that item")
    return outlet


@router.get("/appointments/days", response_model=list[Day])
def days(request: Request, session: ReadDB, outlet_id: OutletId,
         item_code: Annotated[str, Query(min_length=1, max_length=64)]):
    calendar.ensure(request.app.state.database)
    _outlet(session, outlet_id, item_code)
    window = calendar.window(clock.today())
    free = dict(session.execute(
        select(db.Slot.day, func.sum(db.Slot.capacity - db.Slot.booked))
        .where(db.Slot.outlet_id == outlet_id, db.Slot.day.in_(window)).group_by(db.Slot.day)).all())
    return [{"date": day, "available": int(free.get(day, 0))} for day in window]


@router.get("/appointments/slots", response_model=list[SlotOut])
def slots(request: Request, session: ReadDB, outlet_id: OutletId, date: date):
    calendar.ensure(request.app.state.database)
    _outlet(session, outlet_id)
    rows = session.scalars(select(db.Slot).where(db.Slot.outlet_id == outlet_id, db.Slot.day == date)
                           .order_by(db.Slot.start))
    return [{"slot_id": s.id, "start": s.start, "end": s.end, "capacity": s.capacity, "booked": s.booked}
            for s in rows]


def _out(booking: db.Booking, slot: db.Slot, outlet: db.Outlet) -> dict:
    return {"booking_number": booking.number, "ticket": booking.ticket,
            "outlet": {"id": outlet.id, "name": outlet.name, "address": outlet.address},
            "item_code": booking.item_code, "date": slot.day.isoformat(), "start": slot.start, "end": slot.end,
            "status": booking.status}


@router.post("/appointments", status_code=201, response_model=BookingOut, responses=POST_ERRORS)
def book(body: BookingIn, request: Request, session: WriteDB, idem: IdempotencyDep):
    idem.check(session)
    slot = session.get(db.Slot, body.slot_id)
    if slot is None:
        raise invalid("body.slot_id", "no such slot")
    outlet = _outlet(session, slot.outlet_id, body.item_code, "body.item_code")
    if slot.day <= clock.today():
        raise HallError(409, "slot_past", "bookings are for a later day")
    person = id_hash(request.app.state.id_key, body.id_number)
    twin = session.scalar(select(db.Booking.id).join(db.Slot).where(
        db.Booking.id_hash == person, db.Booking.status == "active", db.Booking.item_code == body.item_code,
        db.Slot.day == slot.day))
    if twin is not None:
        raise HallError(409, "already_booked", "this person already has a booking for that item that day")
    taken = session.execute(update(db.Slot).where(db.Slot.id == slot.id, db.Slot.booked < db.Slot.capacity)
                            .values(booked=db.Slot.booked + 1))
    if taken.rowcount != 1:
        raise HallError(409, "slot_full", "this time slot is fully booked")
    session.refresh(slot)
    now = clock.now()
    booking = db.Booking(
        number=new_number("YY", now, lambda n: session.scalar(
            select(db.Booking.id).where(db.Booking.number == n)) is not None),
        ticket=f"Y{slot.start.replace(':', '')}{slot.booked:02d}", slot_id=slot.id, item_code=body.item_code,
        name=body.name, phone=body.phone, id_hash=person, id_masked=mask_id(body.id_number), status="active",
        terminal_id=idem.terminal_id, created_at=clock.utc_naive(now))
    session.add(booking)
    session.flush()
    return idem.answer(session, 201, _out(booking, slot, outlet))


@router.post("/appointments/{booking_number}/cancel", response_model=Cancelled, responses=POST_ERRORS,
             description="Only with the ID number the booking was made with; another one is answered "
                         "404 like an unknown booking, so that booking numbers cannot be probed.")
def cancel(booking_number: Annotated[str, Path(max_length=16)], body: CancelIn, request: Request, session: WriteDB,
           idem: IdempotencyDep):
    idem.check(session)
    booking = session.scalar(select(db.Booking).where(db.Booking.number == booking_number))
    if not same_id(booking and booking.id_hash, id_hash(request.app.state.id_key, body.id_number)):
        raise not_found("booking")
    if booking.status != "active":
        raise HallError(409, "already_cancelled", "this booking was already cancelled")
    slot = session.get(db.Slot, booking.slot_id)
    if slot.day < clock.today():
        raise HallError(409, "too_late", "the day of this booking has passed")
    booking.status = "cancelled"
    session.execute(update(db.Slot).where(db.Slot.id == slot.id).values(booked=db.Slot.booked - 1))
    return idem.answer(session, 200, {"booking_number": booking.number, "status": "cancelled"})
