"""The hall's clock: China Standard Time, and working days (Monday to Friday).

Public holidays and 调休 working weekends are not modelled: a province adapting the
hall replaces `is_working_day` with its calendar.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    return datetime.now(CST)


def today() -> date:
    return now().date()


def utc_naive(moment: datetime) -> datetime:
    """What the database stores: UTC without an offset (SQLite keeps no offsets)."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def local(stored: datetime) -> datetime:
    return stored.replace(tzinfo=timezone.utc).astimezone(CST)


def iso(stored: datetime) -> str:
    return local(stored).isoformat(timespec="seconds")


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The day `days` working days after `start` (0: `start` itself)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        days -= is_working_day(day)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def next_working_days(after: date, count: int) -> list[date]:
    days, day = [], after
    while len(days) < count:
        day += timedelta(days=1)
        if is_working_day(day):
            days.append(day)
    return days
