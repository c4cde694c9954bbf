"""电子监察 and 好差评 in the workbench: the supervisors' dashboard (/workbench/supervision/, and its
numbers as figures.json for other systems) with the 差评 they send to a department for 整改,
and the clerks' page of their departments' 整改 (/workbench/rectifications) where they answer.

The pages live under /workbench because the staff session cookie is scoped to it (hall.webforms);
/supervision/ and /supervision/figures.json redirect there. figures.json wants a supervisor's
session like the page: it holds residents' 差评 reasons, free text that may name people.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import select
from starlette.exceptions import HTTPException

from hall import clock, webforms
from hall.db import Department, Rating, Rectification
from hall.staff import Staff
from hall.workbench import PREFIX, PRIVATE, Who, charts, rectification, templates
from hall.workbench.figures import figures

HOME = f"{PREFIX}/supervision"
router = APIRouter(include_in_schema=False)
KINDS = {"application": "申办件", "request": "12345 工单", "booking": "预约", "guide": "办事指南"}
LEVEL_ZH = {"5": "非常满意", "4": "满意", "3": "基本满意", "2": "不满意", "1": "非常不满意"}


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


templates.env.globals.update(LEVEL_ZH=LEVEL_ZH, pct=_pct, num=_num)


def _supervisor(who: Who) -> Staff:
    if who.role != "supervisor":
        raise HTTPException(403, "e-supervision is for supervisors")
    return who


Supervisor = Annotated[Staff, Depends(_supervisor)]


@router.get("/supervision", include_in_schema=False)
@router.get("/supervision/", include_in_schema=False)
def short_path():
    return RedirectResponse(f"{HOME}/", status_code=307)


@router.get("/supervision/figures.json", include_in_schema=False)
def short_json():
    return RedirectResponse(f"{HOME}/figures.json", status_code=307)


@router.get(f"{HOME}/", response_class=HTMLResponse)
def dashboard(request: Request, who: Supervisor, error: str = ""):
    with request.app.state.database.read_session() as session:
        numbers = figures(session)
        departments = session.execute(select(Department.code, Department.name).order_by(Department.code)).all()
    county = numbers["county"]
    return templates.TemplateResponse(request, "supervision.html", {
        "who": who, "f": numbers, "c": county, "departments": departments, "kinds": KINDS, "error": error,
        "light_chart": charts.light_bars(numbers["departments"]),
        "level_chart": charts.level_bars(county["ratings"]["by_level"]),
        "indicator_chart": charts.indicator_bars(county["ratings"]["indicators"]),
        "trend_chart": charts.trend(numbers["trend"]), "days": rectification.RECTIFY_DAYS}, headers=PRIVATE)


@router.get(f"{HOME}/figures.json")
def figures_json(request: Request, who: Supervisor):
    with request.app.state.database.read_session() as session:
        numbers = figures(session)
    return JSONResponse({"generated_at": clock.now().isoformat(timespec="seconds"), **numbers}, headers=PRIVATE)


@router.post(f"{HOME}/ratings/{{rating_id}}/assign")
def assign(request: Request, rating_id: int, who: Who, csrf: Annotated[str, Form()] = "",
           department: Annotated[str, Form(max_length=32)] = "", note: Annotated[str, Form(max_length=1000)] = ""):
    webforms.check_csrf(csrf, who.csrf)
    _supervisor(who)
    try:
        with request.app.state.database.write_session() as session:
            rectification.assign(session, who, rating_id, department, note)
            session.commit()
    except rectification.RectifyError as e:
        return _refused(request, who, str(e))
    return RedirectResponse(f"{HOME}/#bad-{rating_id}", status_code=303)


def _refused(request: Request, who: Staff, message: str):
    page = dashboard(request, who, error=message)
    page.status_code = 409
    return page


def _clerk_or_supervisor(who: Who) -> Staff:
    if who.role not in ("clerk", "supervisor"):
        raise HTTPException(403, "整改 is answered by the clerks of the department it was sent to")
    return who


@router.get(f"{PREFIX}/rectifications", response_class=HTMLResponse)
def rectifications(request: Request, who: Annotated[Staff, Depends(_clerk_or_supervisor)]):
    return _rectifications(request, who)


def _rectifications(request: Request, who: Staff, error: str = "", status: int = 200):
    query = select(Rectification, Rating).join(Rating, Rating.id == Rectification.rating_id)
    if who.role == "clerk":
        query = query.where(Rectification.department_code.in_(who.departments))
    today = clock.today()
    with request.app.state.database.read_session() as session:
        rows = session.execute(query.order_by(Rectification.due_date, Rectification.id)).all()
        names = dict(session.execute(select(Department.code, Department.name)).all())
    listed = [{"r": fix, "rating": rating, "state": rectification.state(fix, today), "department": names.get(
        fix.department_code, fix.department_code)} for fix, rating in rows]
    for x in listed:
        x["state_zh"], x["late"] = rectification.STATES[x["state"]], x["state"] in rectification.LATE
    return templates.TemplateResponse(request, "rectifications.html", {
        "who": who, "listed": listed, "kinds": KINDS, "error": error, "days": rectification.RECTIFY_DAYS,
        "departments": [names.get(d, d) for d in who.departments]}, status_code=status, headers=PRIVATE)


@router.post(f"{PREFIX}/rectifications/{{rating_id}}/answer")
def answer(request: Request, rating_id: int, who: Who, csrf: Annotated[str, Form()] = "",
           text: Annotated[str, Form(max_length=2000)] = ""):
    webforms.check_csrf(csrf, who.csrf)
    if who.role != "clerk":
        raise HTTPException(403, "only a clerk of the department it was sent to answers a 整改")
    try:
        with request.app.state.database.write_session() as session:
            rectification.answer(session, who, rating_id, text)
            session.commit()
    except PermissionError:
        raise HTTPException(403, "this 差评 was sent to another department") from None
    except rectification.RectifyError as e:
        return _rectifications(request, who, error=str(e), status=409)
    return RedirectResponse(f"{PREFIX}/rectifications#rect-{rating_id}", status_code=303)
