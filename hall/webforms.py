"""What the hall's server-rendered pages (fleet console, workbench) share: CSRF checks and cookies.

Every form carries its session's CSRF token; a login form, which has no session yet, uses a
double-submit cookie (`login_token`, `set_login_cookie`). Cookies are HttpOnly and SameSite=Strict, scoped to the
pages' prefix.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi.responses import Response
from starlette.exceptions import HTTPException


def check_csrf(sent: str, expected: str) -> None:
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "the form's CSRF token is missing or wrong: reload the page and try again")


def login_token() -> str:
    """A fresh token for a login form: put it in the form, and `set_login_cookie` it on the page."""
    return secrets.token_urlsafe(24)


def set_login_cookie(page: Response, cookie: str, token: str, path: str) -> None:
    page.set_cookie(cookie, token, httponly=True, samesite="strict", path=path)


def set_session(answer: Response, cookie: str, token: str, max_age: int, path: str) -> None:
    answer.set_cookie(cookie, token, max_age=max_age, httponly=True, samesite="strict", path=path)
