"""The terminal's HTTP client for the online hall: transport only, no paths of the API.

One requests.Session with connect/read timeouts; every request signed with the
terminal's HMAC credentials; every POST carries an Idempotency-Key; retries with
exponential backoff on connection errors, timeouts and 5xx only (never on 4xx).
Failures become typed errors with one plain line a screen can explain; neither
they nor the log ever carry a request or response body (personal data).
The endpoints themselves (paths, arguments, answers) are in kiosk/hall_api.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlsplit

import requests

from kiosk.errors import ConfigError, KioskError

log = logging.getLogger("kiosk.hall")

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
EMBEDDED_URL = "http://127.0.0.1:8765"  # where `kiosk demo` starts its embedded hall


class HallError(KioskError):
    """The hall could not give an answer; the message says so in plain words."""

    exit_code = 5


class HallUnreachable(HallError):
    pass


class HallTimeout(HallError):
    pass


class HallServerError(HallError):
    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


class HallUnreadable(HallServerError):
    """A 2xx whose body is not what the contract says (not JSON, or not the object or list)."""


class HallRejected(HallError):
    """A 4xx: the hall refused this request; retrying the same request will not help (but for
    a 429, after `retry_after` seconds, when the hall says)."""

    def __init__(self, status: int, code: str, message: str, fields: list[dict] | None = None,
                 retry_after: float | None = None):
        self.status, self.code, self.fields = status, code, list(fields or [])
        self.retry_after = retry_after
        text = f"the hall refused the request ({status} {code}): {message}"
        if self.fields:
            text += " [" + ", ".join(f"{f.get('field', '?')}: {f.get('problem', '?')}"
                                     for f in self.fields) + "]"
        super().__init__(scrub(text))


class InsecureHallURL(ConfigError):
    pass


_LONG_NUMBER = re.compile(r"\d{6,}[\dXx]?")


def scrub(text: str) -> str:
    """Mask long digit runs (ID numbers, phone numbers) a hall message might echo back."""
    return _LONG_NUMBER.sub(lambda m: m[0][:2] + "*" * (len(m[0]) - 2), text)


def check_url(url: str) -> str:
    """The hall's base URL, refused unless https, or plain http to this machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InsecureHallURL(f"hall URL must be http:// or https:// with a host (got {url[:60]!r})")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise InsecureHallURL(f"refusing plain http to {parts.hostname}: use https:// "
                              "(plain http is allowed only to localhost, 127.0.0.1 or ::1)")
    return url.rstrip("/")


def signature(secret: str, method: str, path_with_query: str, body: bytes,
              timestamp: int, nonce: str) -> str:
    text = "\n".join([method.upper(), path_with_query, hashlib.sha256(body).hexdigest(),
                      str(timestamp), nonce])
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


@dataclass
class HallResponse:
    status: int
    headers: Mapping[str, str]
    data: Any = None
    raw: bytes = field(default=b"", repr=False)


class HallClient:
    def __init__(self, base_url: str, terminal_id: str, secret: str, *, timeout: float = 5.0,
                 connect_timeout: float | None = None, retries: int = 3, backoff: float = 0.3,
                 max_backoff: float = 5.0):
        self.base_url = check_url(base_url)
        self.terminal_id, self._secret = terminal_id, secret
        self.timeout = (connect_timeout or min(timeout, 3.0), timeout)
        self.retries, self.backoff, self.max_backoff = retries, backoff, max_backoff
        self.session = requests.Session()
        self.session.verify = True
        self.session.headers["User-Agent"] = f"kiosk-terminal/{terminal_id}"

    @classmethod
    def from_settings(cls, settings, **options: Any) -> "HallClient":
        url = EMBEDDED_URL if settings.hall.url == "embedded" else settings.hall.url
        return cls(url, settings.terminal.id, settings.terminal.secret,
                   timeout=settings.hall.timeout, **options)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "HallClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- the API -----------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None) -> HallResponse:
        return self.request("GET", path, params=params, headers=headers)

    def post(self, path: str, body: Any, idempotency_key: str | None = None) -> HallResponse:
        key = idempotency_key or uuid.uuid4().hex
        return self.request("POST", path, body=body, headers={"Idempotency-Key": key})

    def post_bytes(self, path: str, data: bytes, content_type: str) -> HallResponse:
        """POST raw bytes (a screenshot PNG), signed like the rest; no Idempotency-Key."""
        return self.request("POST", path, body=data, headers={"Content-Type": content_type})

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                body: Any = None, headers: Mapping[str, str] | None = None) -> HallResponse:
        """Send, retrying where it is safe; 2xx and 304 come back, the rest raise a HallError."""
        data = b"" if body is None else body if isinstance(body, bytes) else \
            json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
        attempt = 0
        while True:
            try:
                return self._once(method, path, params, data, headers)
            except (HallUnreachable, HallTimeout, HallServerError) as e:
                if attempt >= self.retries:
                    raise
                delay = min(self.max_backoff, self.backoff * 2 ** attempt) * random.uniform(0.5, 1.0)
                log.info("hall %s %s failed (%s); retry %d in %.2fs", method, path,
                         type(e).__name__, attempt + 1, delay)
                attempt += 1
                time.sleep(delay)

    # -- one attempt -------------------------------------------------------------

    def _once(self, method: str, path: str, params, data: bytes, headers) -> HallResponse:
        # Signed afresh on every attempt: a retry re-using the first nonce would be refused
        # as replayed, which is why urllib3's own Retry (it resends identical headers) is not used.
        req = requests.Request(method, self.base_url + path, params=params, data=data or None,
                               headers=dict(headers or {}))
        prepared = self.session.prepare_request(req)
        if data:
            prepared.headers.setdefault("Content-Type", "application/json; charset=utf-8")
        timestamp, nonce = int(time.time()), secrets.token_urlsafe(18)
        prepared.headers.update({
            "X-Terminal-Id": self.terminal_id,
            "X-Timestamp": str(timestamp),
            "X-Nonce": nonce,
            "X-Signature": signature(self._secret, method, prepared.path_url, data, timestamp, nonce),
        })
        started = time.monotonic()
        try:
            resp = self.session.send(prepared, timeout=self.timeout, allow_redirects=False)
        except requests.Timeout:
            raise HallTimeout(f"the online hall did not answer within {self.timeout[1]:g} s") from None
        except requests.exceptions.SSLError:
            raise HallUnreachable("the online hall's TLS certificate could not be verified") from None
        except requests.ConnectionError:
            raise HallUnreachable("cannot reach the online hall (network down or hall stopped)") from None
        log.info("hall %s %s -> %d in %.0f ms", method, prepared.path_url.split("?")[0],
                 resp.status_code, 1000 * (time.monotonic() - started))
        return self._answer(resp)

    @staticmethod
    def _answer(resp: requests.Response) -> HallResponse:
        status = resp.status_code
        if status == 304:
            return HallResponse(status, resp.headers)
        try:
            payload = resp.json() if resp.content else None
        except ValueError:
            payload = None
        if 200 <= status < 300:
            if resp.content and payload is None:
                raise HallUnreadable("the online hall sent an answer the terminal cannot read", status)
            return HallResponse(status, resp.headers, payload, resp.content)
        if 400 <= status < 500:
            error = payload.get("error") if isinstance(payload, dict) else None
            if not isinstance(error, dict):
                error = {"code": f"http_{status}", "message": resp.reason or "refused"}
            fields = error.get("fields") if isinstance(error.get("fields"), list) else []
            raise HallRejected(status, str(error.get("code", f"http_{status}")),
                               str(error.get("message", "")), [f for f in fields if isinstance(f, dict)],
                               _seconds(resp.headers.get("Retry-After")))
        if status >= 500:
            raise HallServerError(f"the online hall had an internal problem ({status}); try again later",
                                  status)
        raise HallServerError(f"the online hall gave an unexpected answer ({status})", status)


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After in seconds (its HTTP-date form is not used by the hall: None)."""
    try:
        return max(0.0, float(retry_after)) if retry_after else None
    except ValueError:
        return None
