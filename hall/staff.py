"""Staff of the back office: accounts with a role, argon2 password hashes, lock-out, sessions, audit.

Roles: `clerk` (handles the applications of one or more departments), `dispatcher` (12345),
`supervisor` (reads everything and the audit trail, decides nothing). Sessions are server-side
like the fleet console's (hall.fleet.operators): the cookie is a random token, the database
keeps its SHA-256 and the session's CSRF token. Five wrong passwords in a row lock an account
for LOCK_S seconds. `audit()` writes who did what to which subject, in the caller's transaction,
so a decision and its audit row are committed together or not at all.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import JSON, Float, Integer, String, Text, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from hall.db import Base, Database, Department

ROLES = ("clerk", "dispatcher", "supervisor")
ROLE_ZH = {"clerk": "审批人员", "dispatcher": "12345派单员", "supervisor": "监察人员"}
MAX_FAILURES = 5
LOCK_S = 15 * 60
SESSION_S = 8 * 3600
HASHER = PasswordHasher()  # argon2id with the library's (RFC 9106) defaults
_UNKNOWN = HASHER.hash(secrets.token_urlsafe(16))  # checked for unknown names: same timing


class StaffAccount(Base):
    __tablename__ = "staff_accounts"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    departments: Mapped[list[Any]] = mapped_column(JSON)
    hash: Mapped[str] = mapped_column(String(200))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[float] = mapped_column(Float, default=0.0)


class StaffSession(Base):
    __tablename__ = "staff_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # the cookie is not stored
    name: Mapped[str] = mapped_column(String(64))
    csrf: Mapped[str] = mapped_column(String(64))
    expires: Mapped[float] = mapped_column(Float, index=True)


class AuditEntry(Base):
    __tablename__ = "staff_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    staff: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64), index=True)  # 申办流水号, RQ number, or the account
    detail: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class Staff:
    """Who is logged in: what every workbench page is given."""
    name: str
    role: str
    departments: tuple[str, ...]
    csrf: str


class StaffError(ValueError):
    pass


def create(database: Database, name: str, role: str, departments: list[str], password: str) -> None:
    """Create or reset an account (its lock cleared). StaffError: unknown role or department."""
    if role not in ROLES:
        raise StaffError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if role == "clerk" and not departments:
        raise StaffError(f"clerk {name} needs one or more departments (NAME:clerk:CODE,CODE)")
    with database.write_session() as session:
        known = set(session.scalars(select(Department.code)))
        unknown = [d for d in departments if d not in known]
        if unknown:
            raise StaffError(f"unknown department {', '.join(unknown)}: one of {', '.join(sorted(known))}")
        row = session.get(StaffAccount, name) or StaffAccount(name=name)
        row.role, row.departments, row.hash = role, list(departments), HASHER.hash(password)
        row.failures, row.locked_until = 0, 0.0
        session.add(row)
        audit(session, "kiosk hall", "account_set", name, f"{role} {','.join(departments)}".strip())
        session.commit()


LoginResult = Literal["ok", "wrong", "locked"]


def log_in(database: Database, name: str, password: str) -> tuple[LoginResult, str]:
    """(result, session token or ""). A locked account is refused even with the right password."""
    with database.read_session() as session:
        row = session.get(StaffAccount, name)
    if row is not None and row.locked_until > time.time():
        return "locked", ""
    right = _verify(row.hash if row else _UNKNOWN, password) and row is not None
    now = time.time()
    with database.write_session() as session:
        if not right:
            if row is None:
                return "wrong", ""
            # Counted in SQL, so concurrent guesses cannot each read the same count.
            session.execute(update(StaffAccount).where(StaffAccount.name == name)
                            .values(failures=StaffAccount.failures + 1))
            if session.scalar(select(StaffAccount.failures).where(StaffAccount.name == name)) >= MAX_FAILURES:
                session.execute(update(StaffAccount).where(StaffAccount.name == name)
                                .values(failures=0, locked_until=now + LOCK_S))
                audit(session, name, "locked", name, f"{MAX_FAILURES} wrong passwords")
                session.commit()
                return "locked", ""
            session.commit()
            return "wrong", ""
        if session.scalar(select(StaffAccount.locked_until).where(StaffAccount.name == name)) > now:
            return "locked", ""  # locked by guesses made while this password was being checked
        values: dict[str, Any] = {"failures": 0}
        if HASHER.check_needs_rehash(row.hash):
            values["hash"] = HASHER.hash(password)
        session.execute(update(StaffAccount).where(StaffAccount.name == name).values(**values))
        session.execute(delete(StaffSession).where(StaffSession.expires < now))
        token = secrets.token_urlsafe(32)
        session.add(StaffSession(token_hash=_token_hash(token), name=name, csrf=secrets.token_urlsafe(24),
                                 expires=now + SESSION_S))
        audit(session, name, "login", name)
        session.commit()
    return "ok", token


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def find(database: Database, token: str | None) -> Staff | None:
    if not token:
        return None
    with database.read_session() as session:
        found = session.get(StaffSession, _token_hash(token))
        if found is None or found.expires <= time.time():
            return None
        account = session.get(StaffAccount, found.name)
    if account is None:
        return None
    return Staff(account.name, account.role, tuple(account.departments), found.csrf)


def log_out(database: Database, token: str) -> None:
    with database.write_session() as session:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
        session.commit()


def audit(session: Session, staff: str, action: str, subject: str, detail: str = "") -> None:
    session.add(AuditEntry(at=time.time(), staff=staff, action=action, subject=subject, detail=detail[:1000]))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
