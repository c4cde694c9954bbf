"""The fleet console: server-rendered pages for operators (no build step, works without JS).

Every form carries the session's CSRF token; the login form, which has no session yet,
uses a double-submit cookie (hall.webforms, shared with the workbench). Pages run no script,
may not be framed, and take styles only from base.html's one <style> element, allowed by its
hash (so no style="..." attributes): PAGE_HEADERS, sent by hall.headers.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import case, func, select
from starlette.exceptions import HTTPException

from hall import clock, webforms
from hall.db import Terminal
from hall.fleet import operators
from hall.fleet.metrics import STATES, state_column
from hall.fleet.models import COMMAND_KINDS, Command, DeviceEvent, Screenshot, Snapshot
from hall.fleet.status import HEALTH_ZH, PAPER_ZH

router = APIRouter(prefix="/console", include_in_schema=False)
TEMPLATES = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES)
COOKIE, LOGIN_CSRF = "fleet_session", "fleet_login_csrf"
PAGE = 200
STATE_LABELS = {"green": ("✔", "正常", "OK"), "yellow": ("▲", "警告", "Warning"),
                "red": ("✖", "故障", "Fault"), "offline": ("○", "离线", "Offline")}
COMMAND_LABELS = {"reload_settings": "重新加载设置 Reload settings", "restart": "重启应用 Restart",
                  "print_test": "打印测试页 Print test", "screenshot": "截屏 Screenshot",
                  "message": "显示消息 Show message"}
STATUS_LABELS = {"queued": "排队 queued", "sent": "已下发 sent", "done": "完成 done", "failed": "失败 failed"}


def _stylesheet_source() -> str:
    (sheet,) = re.findall(r"<style>(.*?)</style>", (TEMPLATES / "base.html").read_text(encoding="utf-8"), re.S)
    return "'sha256-" + base64.b64encode(hashlib.sha256(sheet.encode()).digest()).decode() + "'"


PAGE_HEADERS = {
    "Content-Security-Policy": f"default-src 'none'; style-src {_stylesheet_source()}; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",  # for browsers older than frame-ancestors
    "Referrer-Policy": "no-referrer",
}


def _when(ts: float | None) -> str:
    """A Unix time in China Standard Time, as every page says under its content (base.html)."""
    if ts is None:
        return "从未 never"
    return clock.local(datetime.fromtimestamp(ts, timezone.utc).replace(tzinfo=None)).strftime("%m-%d %H:%M:%S")


def _ago(ts: float | None) -> str:
    if ts is None:
        return ""
    seconds = int(time.time() - ts)
    return f"{seconds} 秒前" if seconds < 120 else f"{seconds // 60} 分钟前" if seconds < 7200 \
        else f"{seconds // 3600} 小时前"


templates.env.globals.update(when=_when, ago=_ago, STATE_LABELS=STATE_LABELS, HEALTH_ZH=HEALTH_ZH,
                             PAPER_ZH=PAPER_ZH, COMMAND_LABELS=COMMAND_LABELS, STATUS_LABELS=STATUS_LABELS)


def _operator(request: Request):
    found = operators.find_session(request.app.state.database, request.cookies.get(COOKIE))
    if found is None:
        raise HTTPException(303, "log in first", headers={"Location": "/console/login"})
    return found


Operator = Annotated[operators.OperatorSession, Depends(_operator)]


_check_csrf = webforms.check_csrf


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, error: str = ""):
    token = webforms.login_token()
    page = templates.TemplateResponse(request, "login.html", {"csrf": token, "error": error})
    webforms.set_login_cookie(page, LOGIN_CSRF, token, "/console")
    return page


@router.post("/login")
def login(request: Request, name: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=200)], csrf: Annotated[str, Form()] = ""):
    _check_csrf(csrf, request.cookies.get(LOGIN_CSRF, ""))
    database = request.app.state.database
    if not operators.check_password(database, name, password):
        return RedirectResponse("/console/login?error=1", status_code=303)
    answer = RedirectResponse("/console/", status_code=303)
    webforms.set_session(answer, COOKIE, operators.open_session(database, name), operators.SESSION_S, "/console")
    answer.delete_cookie(LOGIN_CSRF, path="/console")
    return answer


@router.post("/logout")
def logout(request: Request, who: Operator, csrf: Annotated[str, Form()] = ""):
    _check_csrf(csrf, who.csrf)
    operators.close_session(request.app.state.database, request.cookies[COOKIE])
    answer = RedirectResponse("/console/login", status_code=303)
    answer.delete_cookie(COOKIE, path="/console")
    return answer


@router.get("/", response_class=HTMLResponse)
def fleet(request: Request, who: Operator, state: str = "", page: int = 0):
    fleet_ = request.app.state.fleet
    shown = state_column(time.time() - fleet_.offline_after).label("shown")
    severity = case({"red": 0, "offline": 1, "yellow": 2}, value=shown, else_=3)
    query = (select(Terminal.id, Terminal.name, shown, Snapshot.reason, Snapshot.last_seen, Snapshot.app_version,
                    Snapshot.outbox_depth, Snapshot.transactions, Snapshot.paper)
             .join(Snapshot, Snapshot.terminal_id == Terminal.id, isouter=True))
    with request.app.state.database.read_session() as session:
        counts = dict(session.execute(select(shown, func.count()).select_from(Terminal)
                                      .join(Snapshot, Snapshot.terminal_id == Terminal.id, isouter=True)
                                      .group_by(shown)).all())
        if state in STATES:
            query = query.where(shown == state)
        rows = session.execute(query.order_by(severity, Terminal.id).limit(PAGE).offset(max(page, 0) * PAGE)).all()
    total = counts.get(state, 0) if state in STATES else sum(counts.values())
    return templates.TemplateResponse(request, "fleet.html", {
        "who": who, "rows": rows, "counts": counts, "state": state if state in STATES else "",
        "total": total, "page": max(page, 0), "pages": max(1, -(-total // PAGE)), "states": STATES})


@router.get("/terminals/{terminal_id}", response_class=HTMLResponse)
def terminal(request: Request, terminal_id: str, who: Operator):
    fleet_ = request.app.state.fleet
    with request.app.state.database.read_session() as session:
        row = session.get(Terminal, terminal_id)
        if row is None:
            raise HTTPException(404, "no such terminal")
        snapshot = session.get(Snapshot, terminal_id)
        history = session.scalars(select(DeviceEvent).where(DeviceEvent.terminal_id == terminal_id)
                                  .order_by(DeviceEvent.at.desc(), DeviceEvent.id.desc()).limit(100)).all()
        commands = session.scalars(select(Command).where(Command.terminal_id == terminal_id)
                                   .order_by(Command.id.desc()).limit(20)).all()
        shot = session.execute(select(Screenshot.command_id, Screenshot.at)
                               .where(Screenshot.terminal_id == terminal_id)
                               .order_by(Screenshot.at.desc()).limit(1)).first()
    shown = "offline"
    if snapshot is not None and time.time() - snapshot.last_seen <= fleet_.offline_after:
        shown = snapshot.state
    return templates.TemplateResponse(request, "terminal.html", {
        "who": who, "terminal": row, "snapshot": snapshot, "shown": shown, "history": history,
        "commands": commands, "shot": shot, "kinds": COMMAND_KINDS})


@router.post("/terminals/{terminal_id}/commands")
def queue_command(request: Request, terminal_id: str, who: Operator, kind: Annotated[str, Form()],
                  csrf: Annotated[str, Form()] = "", text: Annotated[str, Form(max_length=200)] = "",
                  seconds: Annotated[int, Form(ge=5, le=3600)] = 60):
    _check_csrf(csrf, who.csrf)
    if kind not in COMMAND_KINDS:
        raise HTTPException(422, "unknown command kind")
    args = {}
    if kind == "message":
        if not text.strip():
            raise HTTPException(422, "a message needs its text")
        args = {"text": text.strip(), "seconds": seconds}
    with request.app.state.database.write_session() as session:
        if session.get(Terminal, terminal_id) is None:
            raise HTTPException(404, "no such terminal")
        session.add(Command(terminal_id=terminal_id, kind=kind, args=args, status="queued",
                            operator=who.operator, created_at=time.time(), detail=""))
        session.commit()
    return RedirectResponse(f"/console/terminals/{terminal_id}", status_code=303)


@router.get("/screenshots/{command_id}.png")
def screenshot(request: Request, command_id: int, who: Operator):
    with request.app.state.database.read_session() as session:
        row = session.get(Screenshot, command_id)
        if row is None:
            raise HTTPException(404, "no such screenshot")
        return Response(row.png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
