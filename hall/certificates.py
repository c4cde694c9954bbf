"""证明开具: certificates issued at a terminal, and the public page that checks them.

The registers behind them (social insurance, household, real estate: the seed's
certificates.json) are kept by the ID number's keyed hash, never the number. A
terminal asks for a preview (nothing recorded) and then issues (recorded, with a
verification code of 60 random bits); both count as look-ups by identity (hall.limits).

`/verify/{code}` is public: no terminal signature, so a bank clerk's phone can open
the QR. It is rate limited per address (HALL_VERIFY_LIMIT, default 30/60) and shows no
more than the paper shows, masked: the name and ID number masked, the facts a
certificate states about a person's property or address cut to their first characters.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import JSON, DateTime, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from hall import clock, db
from hall.api.deps import ReadDB, WriteDB
from hall.checks import Body, IdNumber
from hall.errors import COMMON_ERRORS, POST_ERRORS, HallError
from hall.identity import id_hash, mask_id, mask_name
from hall.idempotency import IdempotencyDep
from hall.limits import LOOKUP_ERRORS, LookupLimited, Lookups, MemoryLimiter, Rate

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read off paper and typed
KindName = Literal["social-insurance", "household", "real-estate"]


@dataclass(frozen=True)
class Kind:
    title: str
    issuer: str
    statement: str
    public: frozenset[str]  # facts the check page shows whole; the others masked


KINDS: dict[str, Kind] = {
    "social-insurance": Kind(
        "社会保险参保缴费证明", "青山县社会保险事业管理中心",
        "兹证明上述人员在本县参加社会保险，参保缴费情况如上表所列。本证明仅证明出具之日的参保缴费情况。",
        frozenset({"险种", "参保状态", "首次参保年月", "累计缴费月数", "最近缴费年月"})),
    "household": Kind(
        "户籍证明", "青山县公安局城关派出所",
        "兹证明上述人员户籍登记在本辖区，户籍登记信息如上表所列。特此证明。",
        frozenset({"与户主关系", "民族", "户籍登记日期"})),
    "real-estate": Kind(
        "不动产登记信息查询结果", "青山县不动产登记中心",
        "经查询青山县不动产登记信息系统，截至出具之时，上述人员名下的不动产登记信息如上表所列。",
        frozenset({"查询结果", "建筑面积", "规划用途", "权利类型", "登记时间"})),
}


class CertificateRecord(db.Base):
    """One person's entries in the registers (seed data), by ID-number hash."""
    __tablename__ = "certificate_records"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class IssuedCertificate(db.Base):
    __tablename__ = "issued_certificates"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    name_masked: Mapped[str] = mapped_column(String(50))
    id_masked: Mapped[str] = mapped_column(String(40))
    facts: Mapped[list[Any]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    terminal_id: Mapped[str] = mapped_column(String(64))


def load(database: db.Database, key: bytes, seed_dir: Path) -> None:
    """The registers from seed_dir/certificates.json, into an empty table (none: no certificates)."""
    path = seed_dir / "certificates.json"
    if not path.is_file():
        return
    with database.write_session() as session:
        if session.scalar(select(func.count()).select_from(CertificateRecord)):
            return
        for record in json.loads(path.read_text(encoding="utf-8"))["records"]:
            data = {k: v for k, v in record.items() if k in KINDS}
            session.add(CertificateRecord(id_hash=id_hash(key, record["id_number"]), name=record["name"], data=data))
        session.commit()


def _facts(kind: str, entry: Any) -> list[dict[str, Any]]:
    return [{**fact, "personal": fact["label"].split("（")[0] not in KINDS[kind].public}
            for fact in _fact_rows(kind, entry)]


def _fact_rows(kind: str, entry: Any) -> list[dict[str, str]]:
    if kind == "real-estate":
        rows = [{"label": "查询结果", "value": f"查询到 {len(entry)} 条不动产登记信息" if entry
                 else "未查询到不动产登记信息"}]
        for n, unit in enumerate(entry or [], 1):
            rows += [{"label": f"{label}（{n}）" if len(entry) > 1 else label, "value": value}
                     for label, value in unit.items()]
        return rows
    return [{"label": label, "value": value} for label, value in entry.items()]


def new_code(exists) -> str:
    for _ in range(20):
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
        code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        if not exists(code):
            return code
    raise RuntimeError("could not find a free verification code")


# the terminal's API ----------------------------------------------------------------
router = APIRouter(tags=["certificates"], responses=COMMON_ERRORS)


class KindOut(BaseModel):
    kind: str
    title: str
    issuer: str


class CertificateIn(Body):
    kind: KindName
    id_number: IdNumber = Field(description="read from the resident's ID card or social security card")


class Fact(BaseModel):
    label: str
    value: str
    personal: bool = Field(False, description="about the person's property, address or household: "
                                              "a screen shows it masked, the check page too")


class CertificateOut(BaseModel):
    kind: str
    title: str
    issuer: str
    holder_name: str = Field(description="in full, as the paper shows it (the resident is at the terminal)")
    id_masked: str
    statement: str
    facts: list[Fact]
    issued_at: str
    code: str | None = Field(None, description="the verification code; none in a preview")
    verify_url: str | None = None


@router.get("/certificates/kinds", response_model=list[KindOut])
def kinds():
    return [{"kind": name, "title": k.title, "issuer": k.issuer} for name, k in KINDS.items()]


def _content(request: Request, session, lookups: Lookups, body: CertificateIn) -> dict:
    hashed = id_hash(request.app.state.id_key, body.id_number)
    lookups.resident(hashed)
    record = session.get(CertificateRecord, hashed)
    if record is None or (body.kind not in record.data and body.kind != "real-estate"):
        raise HallError(404, "no_record", "no record of this person for this certificate")
    kind = KINDS[body.kind]
    return {"kind": body.kind, "title": kind.title, "issuer": kind.issuer, "holder_name": record.name,
            "id_masked": mask_id(body.id_number.upper()), "statement": kind.statement,
            "facts": _facts(body.kind, record.data.get(body.kind)),
            "issued_at": clock.now().isoformat(timespec="seconds"), "hash": hashed}


def verify_base(request: Request) -> str:
    return os.environ.get("HALL_PUBLIC_URL", "").rstrip("/") or str(request.base_url).rstrip("/")


@router.post("/certificates/preview", response_model=CertificateOut, responses=LOOKUP_ERRORS,
             description="What the certificate would say, nothing recorded, no code.")
def preview(body: CertificateIn, request: Request, session: ReadDB, lookups: LookupLimited):
    content = _content(request, session, lookups, body)
    content.pop("hash")
    return content


@router.post("/certificates", status_code=201, response_model=CertificateOut,
             responses={**POST_ERRORS, **LOOKUP_ERRORS}, description="Issue (and record) the certificate.")
def issue(body: CertificateIn, request: Request, session: WriteDB, idem: IdempotencyDep, lookups: LookupLimited):
    idem.check(session)
    content = _content(request, session, lookups, body)
    hashed = content.pop("hash")
    code = new_code(lambda c: session.get(IssuedCertificate, c) is not None)
    session.add(IssuedCertificate(code=code, kind=body.kind, id_hash=hashed,
                                  name_masked=mask_name(content["holder_name"]), id_masked=content["id_masked"],
                                  facts=content["facts"], issued_at=clock.utc_naive(clock.now()),
                                  terminal_id=idem.terminal_id))
    return idem.answer(session, 201, {**content, "code": code, "verify_url": f"{verify_base(request)}/verify/{code}"})


# the public check page -------------------------------------------------------------
pages = APIRouter()
STYLE = ("body{font-family:'Noto Sans CJK SC',sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;"
         "color:#1a1a1a}h1{font-size:1.5rem}.ok{color:#14632b}.bad{color:#a01919}"
         "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.4rem;text-align:left}"
         "th{width:9rem;background:#f2f2f2}p.note{color:#555;font-size:.9rem}")
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'sha256-"
                               + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
                               + "'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
}
_verify_limiter = MemoryLimiter()


def _verify_rate() -> Rate:
    text = os.environ.get("HALL_VERIFY_LIMIT", "")
    return Rate.parse(text, "HALL_VERIFY_LIMIT") if text else Rate(30, 60)


def masked_fact(kind: str, label: str, value: str) -> str:
    if label.split("（")[0] in KINDS[kind].public:
        return value
    return value[:3] + "＊" * min(6, max(2, len(value) - 3))


def _page(status: int, body: str) -> HTMLResponse:
    text = (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>证明核验</title><style>{STYLE}</style></head><body>{body}</body></html>")
    return HTMLResponse(text, status_code=status, headers=PAGE_HEADERS)


@pages.get("/verify/{code}", include_in_schema=False)
def verify(code: str, request: Request, session: ReadDB):
    limiter_key = "verify:" + (request.client.host if request.client else "?")
    wait = _verify_limiter.take(limiter_key, _verify_rate())
    if wait:
        response = _page(429, "<h1>请稍后再试</h1><p>核验次数过多，请稍后再试。</p>")
        response.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
        return response
    row = session.get(IssuedCertificate, code.strip().upper()[:20])
    if row is None:
        return _page(404, "<h1 class='bad'>未查到此证明</h1><p>验证码不存在。请核对验证码；"
                          "查不到的证明不是本平台出具的，不能作为有效证明。</p>")
    kind = KINDS[row.kind]
    cells = [("证明名称", kind.title), ("持证人", row.name_masked), ("公民身份号码", row.id_masked)]
    cells += [(f["label"], masked_fact(row.kind, f["label"], f["value"])) for f in row.facts]
    cells += [("出具单位", kind.issuer), ("出具时间", f"{row.issued_at:%Y-%m-%d %H:%M}（UTC）"),
              ("验证码", row.code)]
    table = "".join(f"<tr><th>{html.escape(a)}</th><td>{html.escape(b)}</td></tr>" for a, b in cells)
    return _page(200, f"<h1 class='ok'>此证明真实有效</h1><p>本平台于下列时间出具了这份证明。"
                      f"请与纸质证明逐项核对，内容不一致的，纸质证明无效。</p><table>{table}</table>"
                      f"<p class='note'>为保护个人信息，此处只显示部分内容。</p>")
