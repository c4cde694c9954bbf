"""Helpers for the hall tests: a running `kiosk hall` and a signing client.

The signer here is written from docs/hall-api.md, not imported from hall/, so a
mistake in the hall's own signing cannot agree with itself.
"""

import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

SEED = Path(__file__).resolve().parents[1] / "tests" / "hall" / "seed"  # a small seed set
OTHER = ("other-07", "other-secret-07")
FUZZER = ("fuzz-01", "fuzz-secret-01")  # test_fuzz's own terminal: its look-ups count against no one else's


def signature(secret, method, path_with_query, body, timestamp, nonce):
    message = "\n".join([method, path_with_query, hashlib.sha256(body).hexdigest(), timestamp, nonce])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


class Sign(requests.auth.AuthBase):
    """Signs a prepared request as a terminal would; adds an Idempotency-Key to POSTs without one."""

    def __init__(self, terminal_id="demo-001", secret="demo-secret"):
        self.terminal_id, self.secret = terminal_id, secret

    def __call__(self, request):
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        timestamp, nonce = str(int(time.time())), secrets.token_urlsafe(18)
        request.headers.update({
            "X-Terminal-Id": self.terminal_id, "X-Timestamp": timestamp, "X-Nonce": nonce,
            "X-Signature": signature(self.secret, request.method, request.path_url, body, timestamp, nonce)})
        if request.method == "POST" and "Idempotency-Key" not in request.headers:
            request.headers["Idempotency-Key"] = uuid.uuid4().hex
        return request


class Client:
    def __init__(self, base, auth=None):
        self.base, self.http = base, requests.Session()
        self.http.auth = auth or Sign()

    def get(self, path, **kw):
        return self.http.get(self.base + path, timeout=30, **kw)

    def post(self, path, body=None, key=None, raw=None, **kw):
        headers = kw.pop("headers", {})
        if key:
            headers["Idempotency-Key"] = key
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        headers.setdefault("Content-Type", "application/json")
        return self.http.post(self.base + path, data=data, headers=headers, timeout=30, **kw)

    def request(self, method, path, raw=None):
        """GET, or POST of these raw bytes as JSON."""
        return self.get(path) if method == "GET" else self.post(path, raw=raw or b"")


class Hall:
    def __init__(self, tmp: Path, *extra, env=None, stdin=""):
        """`stdin`: what the hall reads on standard input (staff passwords, one line per --staff)."""
        self.db = tmp / "hall.db"
        self.log = tmp / "hall.log"
        self._log = open(self.log, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "hall", "--port", "0", "--db", str(self.db), "--seed", str(SEED),
             "--terminal", ":".join(OTHER), "--terminal", ":".join(FUZZER), *extra],
            stdin=subprocess.PIPE, stdout=self._log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        self.process.stdin.write(stdin.encode())
        self.process.stdin.close()
        deadline, match = time.monotonic() + 90, None  # a ceiling against a hang: --demo seeds a month first
        while not match and self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            match = re.search(r"serving (http://[\d.]+:\d+)/api/v1", self.log.read_text(errors="replace"))
        if not match:
            self.stop()
            raise RuntimeError(f"kiosk hall did not start: {self.log.read_text()}")
        self.base = match[1]

    def stop(self) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
        code = self.process.wait(timeout=20)
        self._log.close()
        return code


_people = itertools.count(secrets.randbelow(1000))


def person(seq=None):
    """A fictional applicant with a valid GB 11643 ID number, different on each call.

    Sequence numbers come from a counter: the hall is shared by a whole test run, and two
    tests drawing the same random number would see each other's applications."""
    seq = next(_people) % 1000 if seq is None else seq
    first17 = f"5201021990{(seq % 12) + 1:02d}15{seq % 1000:03d}"
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]
    return {"name": "王小" + "明亮华"[seq % 3], "id_number": first17 + check, "phone": f"139{seq:08d}"}


# --- the hall's own OpenAPI document, read as a client would: new endpoints are covered by themselves

def openapi(base):
    return requests.get(base + "/api/v1/openapi.json", timeout=30).json()


def signed_operations(doc):
    """(METHOD, path template, operation) of every operation that needs a terminal's signature."""
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if operation.get("security"):
                yield method.upper(), path, operation


def resolve(doc, schema):
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def number_paths(doc, schema, at=()):
    """Paths (tuples of keys) to every number or integer a JSON body may hold."""
    schema = resolve(doc, schema)
    if schema.get("type") in ("number", "integer"):
        yield at
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from number_paths(doc, option, at)
    for name, child in schema.get("properties", {}).items():
        yield from number_paths(doc, child, at + (name,))
    if isinstance(schema.get("additionalProperties"), dict):
        yield from number_paths(doc, schema["additionalProperties"], at + ("k1",))
    if isinstance(schema.get("items"), dict):
        yield from number_paths(doc, schema["items"], at + (0,))


def fill_path(template, values=None, default="x1"):
    """A path template with each {parameter} replaced (by `values[name]`, else `default`)."""
    return re.sub(r"\{(\w+)\}", lambda m: str((values or {}).get(m[1], default)), template)
