"""Operators of the fleet console: scrypt password hashes and server-side sessions.

Separate from terminal credentials. The session cookie is a random token; the database
keeps only its SHA-256 (a leaked database gives no usable cookies) with the session's
CSRF token, which every console form must send back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from sqlalchemy import delete

from hall.db import Database
from hall.fleet.models import Operator, OperatorSession

SESSION_S = 8 * 3600
# scrypt with n=2**14, r=8 (16 MB, ~50 ms here): slow enough to make guessing expensive.
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)


def create(database: Database, name: str, password: str) -> None:
    salt = secrets.token_bytes(16)
    with database.write_session() as session:
        row = session.get(Operator, name) or Operator(name=name)
        row.salt, row.hash = salt, _hash(password, salt)
        session.add(row)
        session.commit()


def check_password(database: Database, name: str, password: str) -> bool:
    with database.read_session() as session:
        row = session.get(Operator, name)
    # Hash even for an unknown name, so the answer's timing does not tell names apart.
    expected = row.hash if row else b""
    actual = _hash(password, row.salt if row else b"\0" * 16)
    return row is not None and hmac.compare_digest(actual, expected)


def open_session(database: Database, name: str) -> str:
    token = secrets.token_urlsafe(32)
    now = time.time()
    with database.write_session() as session:
        session.execute(delete(OperatorSession).where(OperatorSession.expires < now))
        session.add(OperatorSession(token_hash=_token_hash(token), operator=name,
                                    csrf=secrets.token_urlsafe(24), expires=now + SESSION_S))
        session.commit()
    return token


def find_session(database: Database, token: str | None) -> OperatorSession | None:
    if not token:
        return None
    with database.read_session() as session:
        row = session.get(OperatorSession, _token_hash(token))
    return row if row is not None and row.expires > time.time() else None


def close_session(database: Database, token: str) -> None:
    with database.write_session() as session:
        session.execute(delete(OperatorSession).where(OperatorSession.token_hash == _token_hash(token)))
        session.commit()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
