"""Helpers for the supervision tests: what a terminal sends (applications without pages,
12345 requests, ratings with their proof), and time moved back in a hall's database file as if
days had passed (the hall reads its own clock)."""

import sqlite3
from datetime import UTC, datetime, time, timedelta

from hall import clock
from testing.hall import person

INDICATORS = ("整体满意度", "办事效率", "办事指南精确度", "办事便捷度", "平台操作性")


def apply(terminal, item):
    """An application as a terminal sends it (no pages: handed in at the window): (number, applicant)."""
    who = person()
    answer = terminal.post("/api/v1/applications", {
        "item_code": item, "applicant": who, "form": {"phone": "13912345678"},
        "materials": [{"key": "m1", "how": "window"}]})
    assert answer.status_code == 201, answer.text
    return answer.json()["number"], who


def file_request(terminal, kind, phone):
    answer = terminal.post("/api/v1/requests", {"type": kind, "content": f"{kind}：小区门口路灯不亮", "phone": phone})
    assert answer.status_code == 201, answer.text
    return answer.json()["ticket"]


def rate(terminal, kind, ref, level, marks, proof=None, reason=None):
    body = {"level": level, "indicators": dict(zip(INDICATORS, marks)), "subject": {"kind": kind, "ref": ref}}
    if proof:
        body["proof"] = proof
    if reason:
        body["reason"] = reason
    answer = terminal.post("/api/v1/ratings", body)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def working_days_ago(n):
    day = clock.today()
    while clock.working_days_between(day, clock.today()) < n:
        day -= timedelta(days=1)
    return day


def age(db_path, number, working_days):
    """As if `number` had been submitted `working_days` ago (its due date moved with it)."""
    day = working_days_ago(working_days)
    submitted = datetime.combine(day, time(10), clock.CST).astimezone(UTC).replace(tzinfo=None)
    with sqlite3.connect(db_path) as db:
        (limit,) = db.execute("SELECT limit_days FROM applications WHERE number = ?", (number,)).fetchone()
        db.execute("UPDATE applications SET submitted_at = ?, due_date = ? WHERE number = ?",
                   (submitted.strftime("%Y-%m-%d %H:%M:%S.%f"), clock.add_working_days(day, limit).isoformat(), number))


def due_yesterday(db_path, ticket):
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE requests SET due_date = ? WHERE ticket = ?",
                   ((clock.today() - timedelta(days=1)).isoformat(), ticket))


def assigned_ago(db_path, rating_id, working_days):
    """As if the 差评 had been assigned `working_days` ago: its 15 working days run from then."""
    day = working_days_ago(working_days)
    at = datetime.combine(day, time(9), clock.CST).astimezone(UTC).replace(tzinfo=None)
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE rectifications SET assigned_at = ?, due_date = ? WHERE rating_id = ?",
                   (at.strftime("%Y-%m-%d %H:%M:%S.%f"), clock.add_working_days(day, 15).isoformat(), rating_id))
