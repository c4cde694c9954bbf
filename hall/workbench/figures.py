"""电子监察 and 好差评 figures, for the county and per department: pure reads of the database,
what /workbench/supervision/ shows and figures.json serves.

Applications: counted by state and by light (a finished one judged on the day it finished, as
the kiosk shows it); finished (办结 or 不予受理) on time when they finished by their due date;
days used are working days from submission to the end. 12345: a request is answered from its
回复 on (its last 回复 entry is the answer, a request can be sent back); on time when that entry
is by the due date; 回访 satisfaction is the share of 满意 and 基本满意 among recorded follow-ups.
好差评: 满意率 is the share of levels 4 and 5; each national indicator averaged. Rates are None
when there is nothing to divide by.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import clock
from hall.api.applications import signal
from hall.db import Application, Department, HotlineRequest, Item, Rating, Rectification
from hall.workbench import rectification
from hall.workbench.states import FINISHED, VISIT_RESULTS

STAGES = ("收件", "补正", "受理", "审查", "决定", "办结", "不予受理")
LIGHTS = ("green", "yellow", "red")
INDICATORS = ("整体满意度", "办事效率", "办事指南精确度", "办事便捷度", "平台操作性")
ANSWERED = ("回复", "办结", "回访", "评价")
WITH_DEPARTMENT = ("派单", "办理", "督办")
TREND_DAYS = 30
BAD_ORDER = ("overdue", "unassigned", "open", "done_late", "done")  # what needs the supervisor first


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _average(values: list[float], places: int = 2) -> float | None:
    return round(sum(values) / len(values), places) if values else None


def _entry_day(entry: dict) -> date:
    return date.fromisoformat(entry["at"][:10])  # the local date the entry was written


def application_facts(row: Application, today: date) -> dict[str, Any]:
    submitted = clock.local(row.submitted_at).date()
    finished = row.status in FINISHED
    end = _entry_day(row.timeline[-1]) if finished else today
    used, light = signal(row.limit_days, submitted, row.due_date, end)
    return {"number": row.number, "item_name": row.item_name, "status": row.status, "light": light,
            "used": used, "limit_days": row.limit_days, "due_date": row.due_date.isoformat(),
            "submitted": submitted.isoformat(), "finished": finished, "on_time": finished and end <= row.due_date,
            "overdue": not finished and today > row.due_date}


def _applications(rows: list[dict]) -> dict[str, Any]:
    finished = [r for r in rows if r["finished"]]
    on_time = sum(1 for r in finished if r["on_time"])
    return {"total": len(rows),
            "by_state": {s: sum(1 for r in rows if r["status"] == s) for s in STAGES},
            "by_light": {c: sum(1 for r in rows if r["light"] == c) for c in LIGHTS},
            "overdue": sum(1 for r in rows if r["overdue"]),
            "finished": len(finished), "finished_on_time": on_time, "on_time_rate": _rate(on_time, len(finished)),
            "average_days_used": _average([r["used"] for r in finished]),
            "average_limit_days": _average([r["limit_days"] for r in finished])}


def request_facts(row: HotlineRequest, today: date) -> dict[str, Any]:
    replies = [h for h in row.history if h["status"] == "回复"]
    answered = row.status in ANSWERED and bool(replies)
    visits = [h["note"] for h in row.history if h["status"] == "回访"]
    result = next((r for r in VISIT_RESULTS if visits and visits[-1].startswith(f"回访结果：{r}")), None)
    return {"ticket": row.ticket, "type": row.type, "status": row.status, "due_date": row.due_date.isoformat(),
            "answered": answered,
            "on_time": answered and _entry_day(replies[-1]) <= row.due_date,
            "overdue": row.status in WITH_DEPARTMENT and today > row.due_date, "visit": result}


def _requests(rows: list[dict]) -> dict[str, Any]:
    answered = [r for r in rows if r["answered"]]
    on_time = sum(1 for r in answered if r["on_time"])
    visited = [r["visit"] for r in rows if r["visit"]]
    satisfied = sum(1 for v in visited if v in ("满意", "基本满意"))
    return {"total": len(rows), "answered": len(answered), "answered_on_time": on_time,
            "on_time_rate": _rate(on_time, len(answered)), "overdue": sum(1 for r in rows if r["overdue"]),
            "follow_ups": len(visited), "by_result": {v: visited.count(v) for v in VISIT_RESULTS},
            "satisfaction_rate": _rate(satisfied, len(visited))}


def _ratings(rows: list[Rating], states: dict[int, str]) -> dict[str, Any]:
    satisfied = sum(1 for r in rows if r.level >= 4)
    bad = [r for r in rows if r.level in rectification.BAD_LEVELS]
    return {"total": len(rows), "by_level": {str(n): sum(1 for r in rows if r.level == n) for n in range(1, 6)},
            "satisfied": satisfied, "satisfaction_rate": _rate(satisfied, len(rows)),
            "indicators": {k: _average([r.indicators[k] for r in rows if k in r.indicators]) for k in INDICATORS},
            "bad": len(bad), "bad_by_state": {s: sum(1 for r in bad if states[r.id] == s)
                                              for s in rectification.STATES}}


def figures(session: Session, today: date | None = None) -> dict[str, Any]:
    """Everything the dashboard shows, as JSON-ready values."""
    today = today or clock.today()
    departments = dict(session.execute(select(Department.code, Department.name).order_by(Department.code)).all())
    applications = [(application_facts(row, today), code) for row, code in session.execute(
        select(Application, Item.department_code).join(Item, Item.code == Application.item_code)
        .order_by(Application.id))]
    requests = [(request_facts(row, today), row.department_code, clock.local(row.submitted_at).date())
                for row in session.scalars(select(HotlineRequest).order_by(HotlineRequest.id))]
    ratings = session.scalars(select(Rating).order_by(Rating.id)).all()
    owner = rectification.Departments.read(session)
    rectified = {r.rating_id: r for r in session.scalars(select(Rectification))}
    states = {r.id: rectification.state(rectified.get(r.id), today) for r in ratings}
    rated_by = {r.id: owner.of(r) for r in ratings}
    names = {"guide": dict(session.execute(select(Item.code, Item.name)).all()),
             "application": {a["number"]: a["item_name"] for a, _ in applications},
             "request": {q["ticket"]: q["type"] for q, _, _ in requests}}

    def block(code: str | None) -> dict[str, Any]:
        return {"applications": _applications([a for a, d in applications if code is None or d == code]),
                "requests": _requests([q for q, d, _ in requests if code is None or d == code]),
                "ratings": _ratings([r for r in ratings if code is None or rated_by[r.id] == code], states)}

    overdue = sorted(({**a, "department": departments.get(d, d)} for a, d in applications if a["overdue"]),
                     key=lambda a: (a["due_date"], a["number"]))
    overdue_requests = sorted(({**q, "department": departments.get(d or "", "")} for q, d, _ in requests
                               if q["overdue"]), key=lambda q: (q["due_date"], q["ticket"]))
    bad = []
    for r in ratings:
        if r.level not in rectification.BAD_LEVELS:
            continue
        fix, default = rectified.get(r.id), rated_by[r.id]
        bad.append({"id": r.id, "level": r.level, "reason": r.reason, "subject_kind": r.subject_kind,
                    "subject_ref": r.subject_ref, "subject_name": names.get(r.subject_kind, {}).get(r.subject_ref, ""),
                    "created_at": clock.iso(r.created_at),
                    "department": default, "department_name": departments.get(default or "", ""),
                    "state": states[r.id], "state_zh": rectification.STATES[states[r.id]],
                    "late": states[r.id] in rectification.LATE,
                    "rectification": None if fix is None else {
                        "department": fix.department_code, "department_name": departments.get(fix.department_code, ""),
                        "note": fix.note, "assigned_by": fix.assigned_by, "assigned_at": clock.iso(fix.assigned_at),
                        "due_date": fix.due_date.isoformat(), "answer": fix.answer, "answered_by": fix.answered_by,
                        "answered_at": fix.answered_at and clock.iso(fix.answered_at)}})
    bad.sort(key=lambda b: (BAD_ORDER.index(b["state"]), b["created_at"]))
    days = [today - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    trend = [{"day": day.isoformat(), "applications": sum(1 for a, _ in applications if a["submitted"] == day.isoformat()),
              "requests": sum(1 for _, _, submitted in requests if submitted == day)} for day in days]
    return {"today": today.isoformat(), "county": block(None),
            "departments": [{"code": code, "name": name, **block(code)} for code, name in departments.items()],
            "overdue": overdue, "overdue_requests": overdue_requests, "bad_ratings": bad, "trend": trend}
