"""The online hall's API v1 as the terminal calls it: one function per endpoint.

The contract is docs/hall-api.md (the hall's OpenAPI document is authoritative); this
module is the only place in the terminal that knows its paths. Each function takes the
terminal's HallClient (signing, timeouts, retries) and returns the hall's answer typed
as below. Answers are TypedDicts, so they stay plain JSON: the outbox stores them and
the screens read them as they are (dates and times are ISO strings, as sent).

Errors are the client's: HallError when no answer came, HallRejected for a 4xx (the
look-up of an application the hall does not know returns None instead: 404), and
HallUnreadable when a read's answer is not the object or list the contract names.
A POST that created or changed something is acknowledged by its 2xx alone: its answer
is kept when it is an object and is None otherwise, never an error (a resend would
only be replayed the same).
"""

# No `from __future__ import annotations` here: with it, Python 3.11's TypedDict takes
# NotRequired fields for required ones.
from dataclasses import dataclass
from typing import Any, Generic, Literal, NotRequired, TypedDict, TypeVar
from urllib.parse import quote

from kiosk.hall_client import HallClient, HallRejected, HallResponse, HallUnreadable

PREFIX = "/api/v1"
T = TypeVar("T")


# -- the catalogue -------------------------------------------------------------------

class Health(TypedDict):
    status: str
    version: str


class DepartmentRef(TypedDict):
    code: str
    name: str


class ItemSummary(TypedDict):
    code: str
    name: str
    type: str
    audience: list[str]  # 个人 | 法人
    department: DepartmentRef
    themes: list[str]
    online: bool
    promised_limit_days: int


class CatalogPage(TypedDict):
    items: list[ItemSummary]
    total: int


class Agency(TypedDict):
    name: str
    address: str
    phone: str


class Material(TypedDict):
    name: str
    form: str  # 原件 | 复印件 | 电子版
    count: int
    notes: str


class Fee(TypedDict):
    standard: str
    basis: str


class Faq(TypedDict):
    q: str
    a: str


class Item(TypedDict):
    """A service guide (办事指南), every field; names as in ../shared/reference/government.md."""
    code: str
    name: str
    type: str
    audience: list[str]
    department: DepartmentRef
    themes: list[str]
    agency: Agency
    conditions: str
    materials: list[Material]
    steps: list[str]
    special_steps: str
    legal_limit_days: int | None
    promised_limit_days: int  # 0 = 当场办结
    fee: Fee
    legal_basis: list[str]
    place: str
    hours: str
    visits: int
    online: bool
    consult_phone: str
    complaint_phone: str
    faq: list[Faq]
    form: NotRequired[dict[str, Any]]  # online items: the item's form definition (docs/hall-api.md)


@dataclass(frozen=True)
class CatalogExport:
    version: str        # a hash of the catalogue's content ("" if the hall sent none)
    etag: str | None    # to send as If-None-Match next time
    items: list[Item]


def health(client: HallClient) -> Health:
    """No signature needed: says whether the hall is up, and its version."""
    return _object(client.get(f"{PREFIX}/health"), "a health answer")


def catalog_page(client: HallClient, *, q: str | None = None, audience: str | None = None,
                 department: str | None = None, theme: str | None = None,
                 limit: int | None = None, offset: int | None = None) -> CatalogPage:
    params = {k: v for k, v in (("q", q), ("audience", audience), ("department", department),
                                ("theme", theme), ("limit", limit), ("offset", offset)) if v is not None}
    return _object(client.get(f"{PREFIX}/catalog", params=params), "a catalogue page")


def catalog_export(client: HallClient, etag: str | None = None) -> CatalogExport | None:
    """The whole catalogue; None when `etag` (the copy's ETag) is still current (304)."""
    resp = client.get(f"{PREFIX}/catalog/export", headers={"If-None-Match": etag} if etag else None)
    if resp.status == 304 and etag:
        return None
    data = resp.data
    if not isinstance(data, dict) or not isinstance(data.get("items"), list) or not all(
            isinstance(i, dict) and isinstance(i.get("code"), str) for i in data["items"]):
        raise HallUnreadable("the online hall sent a catalogue the terminal cannot read", resp.status)
    return CatalogExport(str(data.get("version") or ""), resp.headers.get("ETag"), data["items"])


# -- applications (网上申办, 办件进度) -------------------------------------------------

FormValue = str | int | float | bool | None


class Applicant(TypedDict):
    name: str
    id_number: str
    phone: str


class FileRef(TypedDict):
    """A file sent first with upload(): a material's page (JPEG) or the signature (PNG)."""
    sha256: str  # lower-case hex
    size: int
    type: Literal["image/jpeg", "image/png"]


class MaterialRef(TypedDict):
    key: str  # m1, m2, … as in the item's form
    how: Literal["camera", "id_card", "window"]
    pages: NotRequired[list[FileRef]]  # how=camera


class NewApplication(TypedDict):
    item_code: str
    applicant: Applicant
    form: NotRequired[dict[str, FormValue]]  # at most 50 fields
    channel: NotRequired[Literal["kiosk", "web", "window"]]
    form_version: NotRequired[str]  # the version of the item's form that was filled
    materials: NotRequired[list[MaterialRef]]
    signature: NotRequired[FileRef]


class TimelineEntry(TypedDict):
    stage: str  # 收件 | 受理 | 不予受理 | 补正 | 审查 | 决定 | 办结
    at: str
    note: str


class MaskedApplicant(TypedDict):
    name_masked: str
    id_masked: str


class Requested(TypedDict):
    key: str | None  # m1, m2, … in the item's form (None: the form has it no more)
    name: str
    name_en: str
    why: Literal["缺少", "不清晰"]


class SupplementAsked(TypedDict):
    """While an application is in 补正: what the clerk asks the resident to send."""
    asked_at: str
    note: str  # the clerk's own words, may be empty
    materials: list[Requested]
    supplied_at: str | None  # when pages last came for this 补正


class Progress(TypedDict):
    """An application as a look-up answers it: what the progress screen shows, no more."""
    number: str  # 申办流水号: SB + yyyymmdd + 6 digits
    item_code: str
    item_name: str
    status: str
    limit_days: int
    due_date: str
    elapsed_working_days: int
    signal: Literal["green", "yellow", "red"]
    timeline: list[TimelineEntry]
    applicant: MaskedApplicant
    supplement: NotRequired[SupplementAsked | None]  # only while in 补正


class Application(Progress):
    """An application as its creation answers it."""
    submitted_at: str


def application(client: HallClient, number: str) -> Progress | None:
    """One application with its timeline; None when the hall has no such number."""
    try:
        return _object(client.get(f"{PREFIX}/applications/{quote(number, safe='')}"), "an application")
    except HallRejected as e:
        if e.status == 404:
            return None
        raise


def applications_of(client: HallClient, id_number: str) -> list[Progress]:
    """A resident's applications, newest 50 (the ID number goes in the body, never in a URL)."""
    answer = _object(client.post(f"{PREFIX}/applications/lookup", {"id_number": id_number}),
                     "a list of applications")
    items = answer.get("items")
    if not isinstance(items, list) or not all(isinstance(a, dict) for a in items):
        raise HallUnreadable("the online hall sent a list of applications the terminal cannot read")
    return items


# -- what residents submit (through kiosk/outbox.py) ----------------------------------

class NewRequest(TypedDict):
    """A 12345 request."""
    type: Literal["咨询", "求助", "投诉", "建议", "举报"]
    content: str
    location: NotRequired[str]
    phone: str
    name: NotRequired[str]


class HistoryEntry(TypedDict):
    status: str  # 受理 | 派单 | 办理 | 回复 | 督办 | 办结 | 回访 | 评价
    at: str
    note: str


class HotlineRequest(TypedDict):
    ticket: str  # RQ + yyyymmdd + 6 digits
    type: str
    status: str
    submitted_at: str
    limit_days: int
    due_date: str
    history: list[HistoryEntry]
    department: NotRequired[str | None]  # the department's name once sent to it (派单)
    reply: NotRequired[str | None]       # the department's answer (回复)


def hotline_request(client: HallClient, ticket: str) -> HotlineRequest | None:
    """A 12345 request's status, history and reply; None when the hall has no such ticket."""
    try:
        return _object(client.get(f"{PREFIX}/requests/{quote(ticket, safe='')}"), "a 12345 request")
    except HallRejected as e:
        if e.status == 404:
            return None
        raise


class Subject(TypedDict):
    kind: Literal["application", "request", "booking", "guide"]
    ref: str


class Proof(TypedDict, total=False):
    """That the rater is the resident who was served: the applicant's (or booker's) ID
    number, or the phone a 12345 request was filed with."""
    id_number: str
    phone: str


class NewRating(TypedDict):
    """好差评: indicators are 整体满意度, 办事效率, 办事指南精确度, 办事便捷度, 平台操作性 (1..5)."""
    level: int
    indicators: dict[str, int]
    subject: Subject
    reason: NotRequired[str]  # required when level <= 2
    proof: NotRequired[Proof]  # required for an application, request or booking; none for a guide


class RatingId(TypedDict):
    id: int


class NewBooking(TypedDict):
    slot_id: int
    item_code: str
    name: str
    id_number: str
    phone: str


class OutletRef(TypedDict):
    id: str
    name: str
    address: str


class Booking(TypedDict):
    booking_number: str  # YY + yyyymmdd + 6 digits
    ticket: str          # the window's call number, e.g. Y093002
    outlet: OutletRef
    item_code: str
    date: str
    start: str
    end: str
    status: str


@dataclass(frozen=True)
class Acknowledged(Generic[T]):
    """A POST the hall took (2xx)."""
    answer: T | None  # None when it sent no object the terminal can read
    replayed: bool    # the hall had this Idempotency-Key already and sent its first answer again


def create_application(client: HallClient, body: NewApplication, idempotency_key: str
                       ) -> Acknowledged[Application]:
    return _acknowledged(client.post(f"{PREFIX}/applications", body, idempotency_key))


class SuppliedMaterial(TypedDict):
    key: str  # a material the 补正 asks for
    pages: list[FileRef]


class NewSupplement(TypedDict):
    number: str  # 申办流水号
    proof: Proof  # {"id_number": the applicant's}
    materials: list[SuppliedMaterial]


class Supplement(TypedDict):
    number: str
    status: str  # 补正 until the clerk accepts
    supplement: int  # 1 for the application's first
    pages: int
    at: str


def send_supplement(client: HallClient, body: NewSupplement, idempotency_key: str) -> Acknowledged[Supplement]:
    """The pages a 补正 asks for. 404 not_found also when the ID number is not the applicant's;
    409 not_awaiting_supplement / material_not_requested."""
    return _acknowledged(client.post(f"{PREFIX}/supplements", body, idempotency_key))


class Uploaded(TypedDict):
    sha256: str
    size: int
    type: str


def upload(client: HallClient, sha256: str, data: bytes, content_type: str) -> Acknowledged[Uploaded]:
    """PUT one file before the submission naming it; `replayed` when this terminal had sent it
    already (200 rather than 201). HallRejected: 413 too_large, 415, 422 hash_mismatch or
    not_an_image."""
    resp = client.request("PUT", f"{PREFIX}/uploads/{quote(sha256, safe='')}", body=data,
                          headers={"Content-Type": content_type})
    return Acknowledged(resp.data if isinstance(resp.data, dict) else None, resp.status == 200)


def create_request(client: HallClient, body: NewRequest, idempotency_key: str
                   ) -> Acknowledged[HotlineRequest]:
    return _acknowledged(client.post(f"{PREFIX}/requests", body, idempotency_key))


def create_rating(client: HallClient, body: NewRating, idempotency_key: str) -> Acknowledged[RatingId]:
    return _acknowledged(client.post(f"{PREFIX}/ratings", body, idempotency_key))


def book_appointment(client: HallClient, body: NewBooking, idempotency_key: str
                     ) -> Acknowledged[Booking]:
    return _acknowledged(client.post(f"{PREFIX}/appointments", body, idempotency_key))



# -- certificates (证明开具) ---------------------------------------------------------------

class CertificateKind(TypedDict):
    kind: str
    title: str
    issuer: str


class CertificateFact(TypedDict):
    label: str
    value: str
    personal: bool  # a screen shows it masked (the paper in full)


class Certificate(TypedDict):
    """What the paper says; `code` and `verify_url` only once issued (None in a preview)."""
    kind: str
    title: str
    issuer: str
    holder_name: str
    id_masked: str
    statement: str
    facts: list[CertificateFact]
    issued_at: str
    code: str | None
    verify_url: str | None


def certificate_kinds(client: HallClient) -> list[CertificateKind]:
    return _objects(client.get(f"{PREFIX}/certificates/kinds"), "a list of certificates")


def certificate_preview(client: HallClient, kind: str, id_number: str) -> Certificate | None:
    """What the certificate would say (nothing recorded); None when the hall has no record."""
    try:
        return _object(client.post(f"{PREFIX}/certificates/preview", {"kind": kind, "id_number": id_number}),
                       "a certificate")
    except HallRejected as e:
        if e.status == 404:
            return None
        raise


def issue_certificate(client: HallClient, kind: str, id_number: str, idempotency_key: str) -> Certificate:
    """Issue (the hall records it, with its verification code). HallRejected 404: no record."""
    return _object(client.post(f"{PREFIX}/certificates", {"kind": kind, "id_number": id_number},
                               idempotency_key), "a certificate")

# -- outlets, notices, appointment times -------------------------------------------

class Outlet(TypedDict):
    id: str
    name: str
    address: str
    hours: str
    phone: str
    lat: float
    lon: float
    items: list[str]  # item codes handled there
    appointments: bool


class Notice(TypedDict):
    id: str
    title: str
    published: str
    department: str
    body: str


class Day(TypedDict):
    date: str
    available: int


class Slot(TypedDict):
    slot_id: int
    start: str  # "09:00"
    end: str
    capacity: int
    booked: int


def outlets(client: HallClient) -> list[Outlet]:
    return _objects(client.get(f"{PREFIX}/outlets"), "a list of outlets")


def notices(client: HallClient, limit: int = 20, offset: int = 0) -> list[Notice]:
    """Newest first; `limit` 1..100."""
    return _objects(client.get(f"{PREFIX}/notices", params={"limit": limit, "offset": offset}),
                    "a list of notices")


def appointment_days(client: HallClient, item_code: str, outlet_id: str) -> list[Day]:
    """The next 14 working days with their free places. HallRejected: 404 when the outlet takes
    no appointments, 422 when it does not handle the item."""
    return _objects(client.get(f"{PREFIX}/appointments/days",
                               params={"item_code": item_code, "outlet_id": outlet_id}), "a list of days")


def appointment_slots(client: HallClient, outlet_id: str, date: str) -> list[Slot]:
    """The day's time slots (none outside the 14-day window)."""
    return _objects(client.get(f"{PREFIX}/appointments/slots", params={"outlet_id": outlet_id, "date": date}),
                    "a list of time slots")


# -- the fleet: heartbeats and the console's commands --------------------------------

class DeviceReport(TypedDict):
    health: Literal["ok", "warning", "error", "offline", "absent"]
    reason: str
    paper: Literal["ok", "low", "empty", "unknown"] | None


class Heartbeat(TypedDict):
    app_version: str
    uptime_s: int
    cpu_percent: float
    memory_mb: float
    disk_free_mb: float
    outbox_depth: int
    outbox_oldest_s: float | None
    transactions_today: dict[str, int]
    devices: dict[str, DeviceReport]  # configured devices only
    last_errors: list[str]
    screen: str


class Command(TypedDict):
    id: int
    kind: str  # reload_settings | restart | print_test | screenshot | message
    args: dict[str, Any]  # message: {text, seconds}


class HeartbeatAnswer(TypedDict):
    commands: list[Command]
    next_heartbeat_s: int


class CommandResult(TypedDict):
    ok: bool
    detail: str


class CommandStatus(TypedDict):
    id: int
    status: Literal["done", "failed"]


class ScreenshotStored(TypedDict):
    id: int
    bytes: int


def heartbeat(client: HallClient, body: Heartbeat) -> HeartbeatAnswer:
    """No Idempotency-Key is needed (a heartbeat replaces the previous one); the answer
    carries the commands queued for this terminal, each delivered once."""
    return _object(client.post(f"{PREFIX}/heartbeat", body), "a heartbeat answer")


def command_result(client: HallClient, command_id: int, result: CommandResult, idempotency_key: str
                   ) -> Acknowledged[CommandStatus]:
    return _acknowledged(client.post(f"{PREFIX}/commands/{int(command_id)}/result", result, idempotency_key))


def upload_screenshot(client: HallClient, command_id: int, png: bytes) -> Acknowledged[ScreenshotStored]:
    """Before the result of a screenshot command; a second upload replaces the first."""
    return _acknowledged(client.post_bytes(f"{PREFIX}/commands/{int(command_id)}/screenshot", png,
                                           "image/png"))


# -- answers -------------------------------------------------------------------------

def _object(resp: HallResponse, what: str) -> Any:
    if not isinstance(resp.data, dict):
        raise HallUnreadable(f"the online hall sent {what} the terminal cannot read", resp.status)
    return resp.data


def _objects(resp: HallResponse, what: str) -> Any:
    if not isinstance(resp.data, list) or not all(isinstance(r, dict) for r in resp.data):
        raise HallUnreadable(f"the online hall sent {what} the terminal cannot read", resp.status)
    return resp.data


def _acknowledged(resp: HallResponse) -> Acknowledged:
    return Acknowledged(resp.data if isinstance(resp.data, dict) else None,
                        resp.headers.get("Idempotent-Replayed") == "true")
