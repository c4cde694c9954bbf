"""12345 requests in the workbench (/workbench/requests): the dispatcher 派单 to a department,
its clerks 办理 and 回复, the dispatcher 办结 and records the 回访; overdue ones 督办
(hall.workbench.states). Every move writes its history entry (what the kiosk's 办件进度 shows
for an RQ number) and its audit row. Supervisors read everything and act on nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select, update
from starlette.exceptions import HTTPException

from hall import clock, staff, webforms
from hall.api.applications import signal
from hall.api.requests import LIMIT_DAYS
from hall.db import Department, HotlineRequest
from hall.identity import mask_name
from hall.workbench import PREFIX, PRIVATE, Who, mask_phone, states, templates

router = APIRouter(prefix=f"{PREFIX}/requests", include_in_schema=False)
STATUSES = ("受理", "派单", "办理", "督办", "回复", "办结", "回访", "评价")
WITH_DEPARTMENT = ("派单", "办理", "督办")  # the time counts against the department


def _light(row: HotlineRequest) -> tuple[int, str]:
    submitted = clock.local(row.submitted_at).date()
    return signal(LIMIT_DAYS[row.type], submitted, row.due_date, clock.today())


def _overdue(row: HotlineRequest) -> bool:
    return row.status in WITH_DEPARTMENT and clock.today() > row.due_date


def _visible(query, who: staff.Staff):
    if who.role == "clerk":
        return query.where(HotlineRequest.department_code.in_(who.departments))
    return query


def _request(session, ticket: str, who: staff.Staff) -> HotlineRequest:
    row = session.scalar(select(HotlineRequest).where(HotlineRequest.ticket == ticket))
    if row is None:
        raise HTTPException(404, "no such request")
    if who.role == "clerk" and row.department_code not in who.departments:
        raise HTTPException(403, "this request was not sent to your department")
    return row


@router.get("", response_class=HTMLResponse)
def requests_list(request: Request, who: Who, q: str = "", state: str = ""):
    query = _visible(select(HotlineRequest), who)
    if q.strip():
        query = query.where(HotlineRequest.ticket.contains(q.strip().upper()))
    if state in STATUSES:
        query = query.where(HotlineRequest.status == state)
    with request.app.state.database.read_session() as session:
        rows = session.scalars(query.order_by(HotlineRequest.due_date, HotlineRequest.id).limit(300)).all()
        departments = dict(session.execute(select(Department.code, Department.name)).all())
    listed = [{"row": r, "light": _light(r)[1], "overdue": _overdue(r),
               "department": departments.get(r.department_code or "", "")} for r in rows]
    return templates.TemplateResponse(request, "requests.html", {
        "who": who, "listed": listed, "q": q, "state": state, "statuses": STATUSES}, headers=PRIVATE)


def _page(request: Request, who: staff.Staff, ticket: str, error: str = "", status: int = 200) -> Response:
    with request.app.state.database.read_session() as session:
        row = _request(session, ticket, who)
        departments = session.execute(select(Department.code, Department.name).order_by(Department.code)).all()
    elapsed, colour = _light(row)
    return templates.TemplateResponse(request, "request.html", {
        "who": who, "r": row, "light": colour, "elapsed": elapsed, "limit": LIMIT_DAYS[row.type],
        "overdue": _overdue(row), "departments": departments, "department": dict(departments).get(
            row.department_code or "", ""), "name": mask_name(row.name), "phone": mask_phone(row.phone),
        "allowed": states.request_allowed(row.status, who.role, _overdue(row)), "actions": states.REQUEST_ACTIONS,
        "results": states.VISIT_RESULTS, "error": error}, status_code=status, headers=PRIVATE)


@router.get("/{ticket}", response_class=HTMLResponse)
def request_page(request: Request, ticket: str, who: Who):
    return _page(request, who, ticket)


@router.post("/{ticket}/{action}", response_class=HTMLResponse)
def act(request: Request, ticket: str, action: str, who: Who, csrf: Annotated[str, Form()] = "",
        note: Annotated[str, Form(max_length=1000)] = "", department: Annotated[str, Form(max_length=32)] = "",
        result: Annotated[str, Form(max_length=8)] = ""):
    webforms.check_csrf(csrf, who.csrf)
    found = states.REQUEST_ACTIONS.get(action)
    if found is not None and found.role != who.role:
        raise HTTPException(403, f"{action} is for the {found.role} role")
    try:
        with request.app.state.database.write_session() as session:
            row = _request(session, ticket, who)
            name = ""
            if action == "dispatch":
                name = (session.get(Department, department) or Department(name="")).name if department else ""
            new, text = states.move_request(row.status, action, overdue=_overdue(row), note=note,
                                            department=name, result=result)
            values = {"status": new, "history": [*row.history, {
                "status": new, "at": clock.now().isoformat(timespec="seconds"), "note": text}]}
            if action == "dispatch":
                values["department_code"] = department
            if action == "reply":
                values["reply"] = text
            changed = session.execute(update(HotlineRequest).where(HotlineRequest.id == row.id,
                                                                   HotlineRequest.status == row.status)
                                      .values(**values)).rowcount
            if changed != 1:
                raise states.IllegalMove("工单刚被他人处理，请刷新后再试")
            staff.audit(session, who.name, f"request_{action}", ticket, text)
            session.commit()
    except states.IllegalMove as e:
        return _page(request, who, ticket, error=str(e), status=409)
    return RedirectResponse(f"{PREFIX}/requests/{ticket}", status_code=303)
