"""The clerk workbench (/workbench/): staff log in, see their departments' queue, open an
application and move it on (hall.workbench.states). Server-rendered, Chinese first, no script.

Who may do what: a clerk reads and acts on the applications of their departments; a
supervisor reads every application and the audit trail and acts on none; a 12345 dispatcher
has no business with applications (12345 requests: hall.workbench.hotline). Every view of a resident's unmasked data (the "show"
button, each material page) and every decision is audited (hall.staff.audit).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select, update
from starlette.exceptions import HTTPException

from hall import clock, corrections, staff, webforms
from hall.api.applications import signal
from hall.db import Application, ApplicationFile, Department, Form as FormRow, Item
from hall.identity import mask_name
from hall.workbench import states

PREFIX = "/workbench"
router = APIRouter(prefix=PREFIX, include_in_schema=False)
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
COOKIE, LOGIN_CSRF = "staff_session", "staff_login_csrf"
PRIVATE = {"Cache-Control": "private, no-store"}
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
LIGHT_ZH = {"green": "正常", "yellow": "临近时限", "red": "已超期"}
STAGES = ("收件", "补正", "受理", "审查", "决定", "办结", "不予受理")
MASKED_TYPES = ("phone", "address", "id_number")  # form values shown only after "show"
QUEUE_LIMIT = 300


def _when(ts: float) -> str:
    return clock.local(datetime.fromtimestamp(ts, timezone.utc).replace(tzinfo=None)).strftime("%Y-%m-%d %H:%M:%S")


def _stored(moment: datetime) -> str:
    return clock.local(moment).strftime("%Y-%m-%d %H:%M")


templates.env.globals.update(LIGHT_ZH=LIGHT_ZH, ROLE_ZH=staff.ROLE_ZH, when=_when, stored=_stored, PREFIX=PREFIX)


def _staff(request: Request) -> staff.Staff:
    found = staff.find(request.app.state.database, request.cookies.get(COOKIE))
    if found is None:
        raise HTTPException(303, "log in first", headers={"Location": f"{PREFIX}/login"})
    return found


Who = Annotated[staff.Staff, Depends(_staff)]


def _reader(request: Request, who: Who) -> staff.Staff:
    if who.role == "dispatcher" and request.url.path == f"{PREFIX}/":
        raise HTTPException(303, "a dispatcher's work is the 12345 requests", headers={"Location": f"{PREFIX}/requests"})
    if who.role not in ("clerk", "supervisor"):
        raise HTTPException(403, "applications are for clerks and supervisors")
    return who


Reader = Annotated[staff.Staff, Depends(_reader)]


def mask_phone(phone: str) -> str:
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, error: str = ""):
    token = webforms.login_token()
    page = templates.TemplateResponse(request, "login.html", {"csrf": token, "error": error, "who": None})
    webforms.set_login_cookie(page, LOGIN_CSRF, token, PREFIX)
    return page


@router.post("/login")
def login(request: Request, name: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=200)], csrf: Annotated[str, Form()] = ""):
    webforms.check_csrf(csrf, request.cookies.get(LOGIN_CSRF, ""))
    result, token = staff.log_in(request.app.state.database, name, password)
    if result != "ok":
        return RedirectResponse(f"{PREFIX}/login?error={result}", status_code=303)
    answer = RedirectResponse(f"{PREFIX}/", status_code=303)
    webforms.set_session(answer, COOKIE, token, staff.SESSION_S, PREFIX)
    answer.delete_cookie(LOGIN_CSRF, path=PREFIX)
    return answer


@router.post("/logout")
def logout(request: Request, who: Who, csrf: Annotated[str, Form()] = ""):
    webforms.check_csrf(csrf, who.csrf)
    staff.log_out(request.app.state.database, request.cookies[COOKIE])
    answer = RedirectResponse(f"{PREFIX}/login", status_code=303)
    answer.delete_cookie(COOKIE, path=PREFIX)
    return answer


@router.get("/static/workbench.css")
def stylesheet():
    return FileResponse(HERE / "static" / "workbench.css", media_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})


def _light(row: Application) -> tuple[int, str]:
    submitted = clock.local(row.submitted_at).date()
    end = date.fromisoformat(row.timeline[-1]["at"][:10]) if row.status in states.FINISHED else clock.today()
    return signal(row.limit_days, submitted, row.due_date, end)


def _visible(query, who: staff.Staff):
    query = query.join(Item, Item.code == Application.item_code)
    return query if who.role == "supervisor" else query.where(Item.department_code.in_(who.departments))


@router.get("/", response_class=HTMLResponse)
def queue(request: Request, who: Reader, q: str = "", item: str = "", state: str = "", light: str = ""):
    database = request.app.state.database
    query = _visible(select(Application, Item.department_code), who)
    if q.strip():
        query = query.where(Application.number.contains(q.strip().upper()))
    if item:
        query = query.where(Application.item_code == item)
    if state in STAGES:
        query = query.where(Application.status == state)
    with database.read_session() as session:
        rows = session.execute(query.order_by(Application.due_date, Application.id).limit(QUEUE_LIMIT)).all()
        items = session.execute(_items(who)).all()
        departments = dict(session.execute(select(Department.code, Department.name)).all())
    listed = []
    for row, department in rows:
        elapsed, colour = _light(row)
        if light in LIGHT_ZH and colour != light:
            continue
        listed.append({"row": row, "department": departments.get(department, department), "elapsed": elapsed,
                       "light": colour, "name": mask_name(row.applicant_name),
                       "supplied": row.status == "补正" and corrections.supplied_since_asked(row.timeline)})
    counts = {c: sum(1 for x in listed if x["light"] == c) for c in LIGHT_ZH}
    return templates.TemplateResponse(request, "queue.html", {
        "who": who, "listed": listed, "counts": counts, "items": items, "stages": STAGES,
        "q": q, "item": item, "state": state, "light": light,
        "departments": [departments.get(d, d) for d in who.departments]}, headers=PRIVATE)


def _items(who: staff.Staff):
    """The items with a form (those applied for online) the staff member sees."""
    query = select(Item.code, Item.name).join(FormRow, FormRow.item_code == Item.code).order_by(Item.code)
    return query if who.role == "supervisor" else query.where(Item.department_code.in_(who.departments))


def _application(session, number: str, who: staff.Staff) -> Application:
    row = session.execute(select(Application, Item.department_code).join(Item, Item.code == Application.item_code)
                          .where(Application.number == number)).first()
    if row is None:
        raise HTTPException(404, "no such application")
    if who.role != "supervisor" and row[1] not in who.departments:
        raise HTTPException(403, "this application belongs to another department")
    return row[0]


def _page(request: Request, who: staff.Staff, number: str, zoom: int, revealed: bool, error: str = "",
          status: int = 200) -> Response:
    with request.app.state.database.read_session() as session:
        row = _application(session, number, who)
        definition = (session.get(FormRow, row.item_code) or FormRow(definition={})).definition
        files = session.scalars(select(ApplicationFile).where(ApplicationFile.application_id == row.id)
                                .order_by(ApplicationFile.id)).all()
    elapsed, colour = _light(row)
    types = {f["key"]: f for f in definition.get("fields", [])}
    fields = []
    for key, value in (row.form or {}).items():
        field = types.get(key, {})
        label = (field.get("label") or {}).get("zh", key)
        if field.get("type") == "choice":
            value = next((c["zh"] for c in field.get("choices", []) if c["value"] == value), value)
        elif field.get("type") == "yes_no":
            value = {True: "是", False: "否"}.get(value, value)
        masked = field.get("type") in MASKED_TYPES and not revealed and value not in (None, "")
        fields.append({"label": label, "value": "＊＊＊（点击“显示”查看）" if masked else value})
    names = {m["key"]: m["name"] for m in definition.get("materials", [])}
    given = {m.get("key"): m.get("how", "") for m in row.materials or []}
    # A 补正's pages (supplement.<n>.<key>.pages.<i>) under their material, with when they came.
    came = {e.get("supplement"): e.get("at", "") for e in row.timeline if e.get("supplied")}
    materials = []
    for key, name in names.items():
        pages = [f for f in files if f.material_key == key]
        supplements = {}
        for f in pages:
            if f.field.startswith("supplement."):
                n = int(f.field.split(".")[1])
                supplements.setdefault(n, {"at": came.get(n, "")[:16].replace("T", " "), "pages": []})["pages"].append(f)
        materials.append({"key": key, "name": name, "how": given.get(key, ""),
                          "pages": [f for f in pages if not f.field.startswith("supplement.")],
                          "supplements": [supplements[n] for n in sorted(supplements)]})
    signature = next((f for f in files if f.field == "signature"), None)
    applicant = {"name": row.applicant_name if revealed else mask_name(row.applicant_name),
                 "phone": row.applicant_phone if revealed else mask_phone(row.applicant_phone),
                 "id": row.id_masked}
    return templates.TemplateResponse(request, "application.html", {
        "who": who, "a": row, "elapsed": elapsed, "light": colour, "fields": fields, "materials": materials,
        "signature": signature, "applicant": applicant, "revealed": revealed, "zoom": zoom, "error": error,
        "allowed": states.allowed(row.status) if who.role == "clerk" else [], "actions": states.ACTIONS,
        "outcomes": states.OUTCOMES, "collection": states.COLLECTION,
        "can_act": who.role == "clerk"}, status_code=status, headers=PRIVATE)


@router.get("/applications/{number}", response_class=HTMLResponse)
def application(request: Request, number: str, who: Reader, zoom: int = 1):
    return _page(request, who, number, min(max(zoom, 1), 3), revealed=False)


@router.post("/applications/{number}/reveal", response_class=HTMLResponse)
def reveal(request: Request, number: str, who: Reader, csrf: Annotated[str, Form()] = ""):
    webforms.check_csrf(csrf, who.csrf)
    with request.app.state.database.write_session() as session:
        _application(session, number, who)
        staff.audit(session, who.name, "reveal", number, "applicant and form shown unmasked")
        session.commit()
    return _page(request, who, number, 1, revealed=True)


@router.get("/applications/{number}/files/{sha256}")
def material(request: Request, number: str, sha256: str, who: Reader):
    with request.app.state.database.write_session() as session:
        row = _application(session, number, who)
        found = session.scalar(select(ApplicationFile).where(ApplicationFile.application_id == row.id,
                                                            ApplicationFile.sha256 == sha256))
        if found is None:
            raise HTTPException(404, "no such file in this application")
        staff.audit(session, who.name, "view_file", number, found.field)
        session.commit()
    kept = request.app.state.materials.read(sha256)
    if kept is None:
        raise HTTPException(404, "the file's bytes are gone")
    data, content_type = kept
    return Response(data, media_type=content_type, headers=PRIVATE)


@router.post("/applications/{number}/{action}", response_class=HTMLResponse)
async def act(request: Request, number: str, action: str, who: Who):
    form = await request.form()
    webforms.check_csrf(str(form.get("csrf", "")), who.csrf)
    if who.role != "clerk":
        raise HTTPException(403, "only a clerk of the application's department decides it")
    note = str(form.get("note", ""))[:500]
    missing = {}
    with request.app.state.database.read_session() as session:
        row = _application(session, number, who)
        definition = (session.get(FormRow, row.item_code) or FormRow(definition={})).definition
    for m in definition.get("materials", []):
        why = str(form.get(f"missing_{m['key']}", ""))
        if why in ("缺少", "不清晰"):
            missing[m["name"]] = why
    try:
        with request.app.state.database.write_session() as session:
            row = _application(session, number, who)  # read again inside the write transaction
            new, text = states.move(row.status, action, note=note, missing=missing,
                                    outcome=str(form.get("outcome", "")),
                                    collection=str(form.get("collection", "")))
            entry = {"stage": new, "at": clock.now().isoformat(timespec="seconds"), "note": text}
            if missing:
                entry["missing"] = missing
                entry["clerk_note"] = note.strip()  # the resident's terminal shows it apart from the list
            # Only from the state it was read in: a second, concurrent submit finds it moved on.
            changed = session.execute(update(Application).where(Application.id == row.id,
                                                                Application.status == row.status)
                                      .values(status=new, timeline=[*row.timeline, entry])).rowcount
            if changed != 1:
                raise states.IllegalMove("本件刚被他人处理，请刷新后再试")
            staff.audit(session, who.name, action, number, text)
            session.commit()
    except states.IllegalMove as e:
        return _page(request, who, number, 1, revealed=False, error=str(e), status=409)
    return RedirectResponse(f"{PREFIX}/applications/{number}", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_trail(request: Request, who: Who, subject: str = "", person: str = ""):
    if who.role != "supervisor":
        raise HTTPException(403, "the audit trail is for supervisors")
    query = select(staff.AuditEntry).order_by(staff.AuditEntry.id.desc()).limit(500)
    if subject.strip():
        query = query.where(staff.AuditEntry.subject == subject.strip())
    if person.strip():
        query = query.where(staff.AuditEntry.staff == person.strip())
    with request.app.state.database.read_session() as session:
        rows = session.scalars(query).all()
    return templates.TemplateResponse(request, "audit.html", {"who": who, "rows": rows, "subject": subject,
                                                              "person": person}, headers=PRIVATE)
