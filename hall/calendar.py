"""Appointment calendars: slots for each outlet's next 14 working days, from its periods."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hall import clock, db

DAYS_AHEAD = 14
_lock = threading.Lock()


def window(today: date) -> list[date]:
    return clock.next_working_days(today, DAYS_AHEAD)


def slot_times(periods: list[list[str]], minutes: int) -> list[tuple[str, str]]:
    times = []
    for start, end in periods:
        at, stop = datetime.strptime(start, "%H:%M"), datetime.strptime(end, "%H:%M")
        while at + timedelta(minutes=minutes) <= stop:
            times.append((f"{at:%H:%M}", f"{at + timedelta(minutes=minutes):%H:%M}"))
            at += timedelta(minutes=minutes)
    return times


def ensure(database: db.Database) -> None:
    """Create today's window of slots once per day (cheap check on every calendar request)."""
    today = clock.today()
    if getattr(database, "calendar_day", None) == today:
        return
    with _lock:
        if getattr(database, "calendar_day", None) == today:
            return
        with database.write_session() as session:
            days = window(today)
            for outlet in session.scalars(select(db.Outlet).where(db.Outlet.appointment.is_not(None))):
                config = outlet.appointment
                have = set(session.execute(select(db.Slot.day, db.Slot.start)
                                           .where(db.Slot.outlet_id == outlet.id, db.Slot.day >= days[0])))
                for day in days:
                    for start, end in slot_times(config["periods"], config["slot_minutes"]):
                        if (day, start) not in have:
                            session.add(db.Slot(outlet_id=outlet.id, day=day, start=start, end=end,
                                                capacity=config["capacity"], booked=0))
            try:
                session.commit()
            except IntegrityError:  # another hall process made them first
                session.rollback()
        database.calendar_day = today
