"""Terminal authentication: every refusal reason, and that a refused request changes nothing."""

import asyncio
import json
import secrets
import sqlite3
import time

import pytest
import requests

from testing.hall import OTHER, Client, Sign, fill_path, openapi, signature, signed_operations


def headers(path, body=b"", method="GET", terminal="demo-001", secret="demo-secret", timestamp=None, nonce=None):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(12)
    return {"X-Terminal-Id": terminal, "X-Timestamp": timestamp, "X-Nonce": nonce,
            "X-Signature": signature(secret, method, path, body, timestamp, nonce)}


def refusal(response):
    assert response.status_code == 401, response.text
    return response.json()["error"]["code"]


def test_signed_request_passes(hall):
    path = "/api/v1/catalog?q=sfz"
    response = requests.get(hall.base + path, headers=headers(path))
    assert response.status_code == 200
    assert response.json()["total"] >= 1


def test_unsigned(hall):
    assert refusal(requests.get(hall.base + "/api/v1/catalog")) == "unsigned"
    assert refusal(requests.post(hall.base + "/api/v1/requests", data=b"{not json")) == "unsigned"


def test_unknown_terminal(hall):
    path = "/api/v1/outlets"
    assert refusal(requests.get(hall.base + path, headers=headers(path, terminal="nobody-01"))) == "unknown_terminal"


@pytest.mark.parametrize("offset", [-301, 301, -10_000])
def test_stale(hall, offset):
    path = "/api/v1/outlets"
    response = requests.get(hall.base + path, headers=headers(path, timestamp=int(time.time()) + offset))
    assert refusal(response) == "stale"


def test_timestamp_within_window_passes(hall):
    path = "/api/v1/outlets"
    assert requests.get(hall.base + path, headers=headers(path, timestamp=int(time.time()) - 250)).status_code == 200


def test_replayed(hall):
    path = "/api/v1/notices"
    signed = headers(path)
    assert requests.get(hall.base + path, headers=signed).status_code == 200
    assert refusal(requests.get(hall.base + path, headers=signed)) == "replayed"


def test_same_nonce_other_terminal_is_not_a_replay(hall):
    path, nonce = "/api/v1/notices", secrets.token_hex(12)
    assert requests.get(hall.base + path, headers=headers(path, nonce=nonce)).status_code == 200
    other = headers(path, terminal=OTHER[0], secret=OTHER[1], nonce=nonce)
    assert requests.get(hall.base + path, headers=other).status_code == 200


def test_wrong_secret(hall):
    path = "/api/v1/outlets"
    assert refusal(requests.get(hall.base + path, headers=headers(path, secret="guessed-secret"))) == "bad_signature"


def test_signature_covers_query_and_body(hall):
    signed = headers("/api/v1/catalog?q=sfz")
    assert refusal(requests.get(hall.base + "/api/v1/catalog?q=hk", headers=signed)) == "bad_signature"
    body = b'{"id_number": "11010519491231002X"}'
    signed = headers("/api/v1/applications/lookup", body, "POST")
    tampered = body.replace(b"2X", b"3X")
    response = requests.post(hall.base + "/api/v1/applications/lookup", data=tampered, headers=signed)
    assert refusal(response) == "bad_signature"


def test_bad_signature_does_not_burn_the_nonce(hall):
    path, nonce = "/api/v1/outlets", secrets.token_hex(12)
    assert refusal(requests.get(hall.base + path, headers=headers(path, secret="x" * 12, nonce=nonce))) \
        == "bad_signature"
    assert requests.get(hall.base + path, headers=headers(path, nonce=nonce)).status_code == 200


@pytest.mark.parametrize("field,value", [("X-Nonce", "short"), ("X-Nonce", "has space in it 123456"),
                                         ("X-Timestamp", "yesterday"), ("X-Signature", "")])
def test_malformed_headers(hall, field, value):
    path = "/api/v1/outlets"
    signed = headers(path)
    signed[field] = value
    assert refusal(requests.get(hall.base + path, headers=signed)) == "unsigned"


def test_second_terminal_from_command_line(hall):
    response = Client(hall.base, Sign(*OTHER)).get("/api/v1/departments")
    assert response.status_code == 200 and response.json()


def test_health_and_contract_are_open(hall):
    assert requests.get(hall.base + "/api/v1/health").json()["status"] == "ok"
    assert requests.get(hall.base + "/api/v1/openapi.json").json()["info"]["version"]


def test_refused_post_creates_nothing(hall, client, applicant):
    assert client.post("/api/v1/applications", {"item_code": "XK00101001", "applicant": applicant}).status_code == 201
    forged = Client(hall.base, Sign("demo-001", "not-the-secret"))
    response = forged.post("/api/v1/applications", {"item_code": "XK00102001", "applicant": applicant})
    assert refusal(response) == "bad_signature"
    found = client.post("/api/v1/applications/lookup", {"id_number": applicant["id_number"]}).json()["items"]
    assert [a["item_code"] for a in found] == ["XK00101001"]


def test_oversized_body_refused(hall, client):
    response = client.post("/api/v1/requests", raw=b"x" * (65 * 1024))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_terminal_added_or_rekeyed_by_another_process_is_honoured_at_once(hall):
    """The hall keeps secrets in memory; a row it has not seen, or a signature its remembered
    secret does not match, makes it read the row again before refusing."""
    path = "/api/v1/outlets"
    with sqlite3.connect(hall.db, timeout=30) as db:
        db.execute("INSERT INTO terminals (id, name, secret) VALUES ('late-01', 'late', 'first-secret')")
    assert requests.get(hall.base + path, headers=headers(path, terminal="late-01", secret="first-secret")) \
        .status_code == 200
    with sqlite3.connect(hall.db, timeout=30) as db:
        db.execute("UPDATE terminals SET secret = 'second-secret' WHERE id = 'late-01'")
    assert requests.get(hall.base + path, headers=headers(path, terminal="late-01", secret="second-secret")) \
        .status_code == 200
    old = requests.get(hall.base + path, headers=headers(path, terminal="late-01", secret="first-secret"))
    assert refusal(old) == "bad_signature"


def test_terminal_keys_forget_a_removed_terminal_at_the_next_reload(tmp_path):
    from hall.auth import TerminalKeys
    from hall.db import Database

    database = Database(str(tmp_path / "keys.db"))
    with sqlite3.connect(tmp_path / "keys.db") as db:
        db.execute("INSERT INTO terminals (id, name, secret) VALUES ('t-1', 't', 'secret-one')")
    keys = TerminalKeys(database, refresh_s=1.0)

    async def scenario():
        assert await keys.get("t-1") == "secret-one"
        with sqlite3.connect(tmp_path / "keys.db") as db:  # another process changes the table
            db.execute("UPDATE terminals SET secret = 'secret-two' WHERE id = 't-1'")
        assert await keys.get("t-1") == "secret-one"  # remembered until the next reload ...
        assert await keys.get("t-1", fresh=True) == "secret-two"  # ... unless asked to look
        assert await keys.get("t-1") == "secret-two"
        with sqlite3.connect(tmp_path / "keys.db") as db:
            db.execute("DELETE FROM terminals WHERE id = 't-1'")
        await asyncio.sleep(1.1)
        assert await keys.get("t-1") is None

    asyncio.run(scenario())
    database.dispose()


# --- every signed operation of the OpenAPI document, so that a new endpoint is covered by itself

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
HEARTBEAT = json.dumps({"app_version": "1", "uptime_s": 1, "cpu_percent": 1, "memory_mb": 1, "disk_free_mb": 9999,
                        "outbox_depth": 0}).encode()


def forgeries(method, path, body):
    """(what, the 401 code due, headers, path, body) of requests no terminal signed as sent."""
    def signed(**kw):
        return headers(path, body, method, **kw)

    genuine = signed()
    yield "unsigned", "unsigned", {}, path, body
    for name in ("X-Terminal-Id", "X-Timestamp", "X-Nonce", "X-Signature"):
        yield f"no {name}", "unsigned", {k: v for k, v in signed().items() if k != name}, path, body
    yield "unknown terminal", "unknown_terminal", signed(terminal="nobody-01"), path, body
    yield "wrong secret", "bad_signature", signed(secret="guessed-secret"), path, body
    for offset in (-310, 310, -86400):  # 300 s is the limit; 10 s for the time the cases take to send
        yield f"stale {offset:+d} s", "stale", signed(timestamp=int(time.time()) + offset), path, body
    flipped = dict(genuine, **{"X-Signature": ("0" if genuine["X-Signature"][0] != "0" else "1")
                               + genuine["X-Signature"][1:]})
    yield "signature altered", "bad_signature", flipped, path, body
    yield "query added", "bad_signature", signed(), path + ("&" if "?" in path else "?") + "limit=1", body
    if method == "POST":
        yield "body altered", "bad_signature", signed(), path, body + b" "
    yield "another terminal's secret", "bad_signature", signed(secret=OTHER[1]), path, body  # claims demo-001
    yield "another terminal's request", "bad_signature", dict(signed(terminal=OTHER[0], secret=OTHER[1]),
                                                              **{"X-Terminal-Id": "demo-001"}), path, body


def test_every_signed_operation_refuses_what_no_terminal_signed(hall):
    """Unsigned, stale, replayed, tampered and cross-terminal requests on every operation the
    OpenAPI document says is signed (everything holding personal data, and the rest): 100 % 401."""
    doc = openapi(hall.base)
    sent, refused, server_errors, wrong = 0, 0, 0, []
    operations = list(signed_operations(doc))
    for method, template, operation in operations:
        path = fill_path(template, default="1")
        content = operation.get("requestBody", {}).get("content", {})
        body = PNG if "image/png" in content else HEARTBEAT if template.endswith("/heartbeat") else \
            b"{}" if method == "POST" else b""
        kind = {"Content-Type": "image/png" if body == PNG else "application/json"} if method == "POST" else {}
        cases = list(forgeries(method, path, body))
        replayed = headers(path, body, method)
        first = requests.request(method, hall.base + path, data=body, headers={**replayed, **kind}, timeout=30)
        assert first.status_code != 401, f"{method} {path}: a genuine request was refused: {first.text}"
        cases.append(("replayed", "replayed", replayed, path, body))
        for what, code, signed, sent_path, sent_body in cases:
            answer = requests.request(method, hall.base + sent_path, data=sent_body, timeout=30,
                                      headers={**signed, **kind, "Idempotency-Key": secrets.token_hex(8)})
            sent += 1
            refused += answer.status_code == 401
            server_errors += answer.status_code >= 500
            if answer.status_code != 401 or answer.json()["error"]["code"] != code:
                wrong.append(f"{method} {sent_path} {what}: {answer.status_code} {answer.text[:120]}")
    print(f"\n{len(operations)} signed operations, {sent} forged requests, {refused} refused (401), "
          f"{server_errors} 5xx")
    assert len(operations) >= 20
    assert not wrong, "\n".join(wrong)
