"""电子监察 and 好差评 in the workbench: the supervisors' dashboard (/workbench/supervision/, and its
numbers as figures.json for other systems) with the 差评 they send to a department for 整改,
and the clerks' page of their departments' 整改 (/workbench/rectifications) where they answer.

The pages live under /workbench because the staff session cookie is scoped to it (hall.webforms);
/supervision/ and /supervision/figures.json redirect there.

figures.json is read with a supervisor's session like the page, or, by another system (the
province's 好差评 or 电子监察 platform polling it), with `Authorization: Bearer $HALL_FIGURES_TOKEN`:
a read-only key for this one document, so no script has to keep a supervisor's password and
log in through the CSRF-guarded form. It is as secret as the page: the 差评 reasons are residents'
free text and may name people. Each read with the token is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException

from hall import clock, staff, webforms
from hall.db import Department, Rating, Rectification
from hall.staff import Staff
from hall.workbench import COOKIE, PREFIX, PRIVATE, Who, charts, rectification, templates
from hall.workbench.figures import figures

HOME = f"{PREFIX}/supervision"
router = APIRouter(include_in_schema=False)
KINDS = {"application": "申办件", "request": "12345 工单", "booking": "预约", "guide": "办事指南"}
TOKEN_ENV, TOKEN_MIN = "HALL_FIGURES_TOKEN", 32
LEVEL_ZH = {"5": "非常满意", "4": "满意", "3": "基本满意", "2": "不满意", "1": "非常不满意"}


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


templates.env.globals.update(LEVEL_ZH=LEVEL_ZH, pct=_pct, num=_num)


def token_from_environ(environ: Mapping[str, str] = os.environ) -> bytes | None:
    """The SHA-256 of $HALL_FIGURES_TOKEN, None when unset. ValueError: too short to be a key."""
    token = environ.get(TOKEN_ENV, "")
    if not token:
        return None
    if len(token) < TOKEN_MIN:
        raise ValueError(f"{TOKEN_ENV} must be at least {TOKEN_MIN} characters (e.g. `openssl rand -hex 32`)")
    return hashlib.sha256(token.encode()).digest()


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
def dashboard(request: Request, who: Supervisor):
    return _dashboard(request, who)


def _dashboard(request: Request, who: Staff, error: str = "", status: int = 200):
    with request.app.state.database.read_session() as session:
        numbers = figures(session)
        departments = session.execute(select(Department.code, Department.name).order_by(Department.code)).all()
    county = numbers["county"]
    return templates.TemplateResponse(request, "supervision.html", {
        "who": who, "f": numbers, "c": county, "departments": departments, "kinds": KINDS, "error": error,
        "light_chart": charts.light_bars(numbers["departments"]),
        "level_chart": charts.level_bars(county["ratings"]["by_level"]),
        "indicator_chart": charts.indicator_bars(county["ratings"]["indicators"]),
        "trend_chart": charts.trend(numbers["trend"]), "days": rectification.RECTIFY_DAYS},
        status_code=status, headers=PRIVATE)


def _figures_reader(request: Request) -> str:
    """Who reads figures.json: the token's holder, else a supervisor (session as for the pages)."""
    sent = request.headers.get("authorization", "")
    if sent:
        expected = request.app.state.figures_token
        scheme, _, token = sent.partition(" ")
        if expected is None or scheme.lower() != "bearer" or not hmac.compare_digest(
                hashlib.sha256(token.strip().encode()).digest(), expected):
            raise HTTPException(401, "wrong figures token", headers={"WWW-Authenticate": "Bearer"})
        return "figures token"
    found = staff.find(request.app.state.database, request.cookies.get(COOKIE))
    if found is None:
        raise HTTPException(303, "log in first", headers={"Location": f"{PREFIX}/login"})
    return _supervisor(found).name


@router.get(f"{HOME}/figures.json")
def figures_json(request: Request, reader: Annotated[str, Depends(_figures_reader)]):
    with request.app.state.database.read_session() as session:
        numbers = figures(session)
    if reader == "figures token":
        with request.app.state.database.write_session() as session:
            staff.audit(session, reader, "figures_read", "figures.json", request.client.host if request.client else "")
            session.commit()
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
    except IntegrityError:  # another supervisor's first assignment of it came first
        return _refused(request, who, "该差评刚被他人分派，请查看后再操作")
    return RedirectResponse(f"{HOME}/#bad-{rating_id}", status_code=303)


def _refused(request: Request, who: Staff, message: str):
    return _dashboard(request, who, error=message, status=409)


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
