"""The heartbeat endpoint's contract: signing, replay, validation, and /metrics."""

import json
import re
import secrets
import time

import requests

from testing.fleet import TERMINALS, beat, terminal
from testing.hall import signature


def test_heartbeat_needs_no_idempotency_key_and_ignores_unknown_fields(hall):
    fl = terminal(hall, "fl-07")
    answer = fl.post("/api/v1/heartbeat", beat(new_field_from_a_newer_terminal={"x": 1}),
                     headers={"Idempotency-Key": ""})
    assert answer.status_code == 200, answer.text


def test_replayed_and_unsigned_heartbeats_refused(hall):
    body = b'{"app_version":"1","uptime_s":1,"cpu_percent":1,"memory_mb":1,"disk_free_mb":9999,"outbox_depth":0}'
    timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
    headers = {"X-Terminal-Id": "fl-07", "X-Timestamp": timestamp, "X-Nonce": nonce, "Content-Type": "application/json",
               "X-Signature": signature(TERMINALS["fl-07"], "POST", "/api/v1/heartbeat", body, timestamp, nonce)}
    assert requests.post(hall.base + "/api/v1/heartbeat", data=body, headers=headers).status_code == 200
    again = requests.post(hall.base + "/api/v1/heartbeat", data=body, headers=headers)
    assert again.status_code == 401 and again.json()["error"]["code"] == "replayed"
    unsigned = requests.post(hall.base + "/api/v1/heartbeat", data=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "unsigned"
    forged = dict(headers, **{"X-Nonce": secrets.token_hex(12)})
    assert requests.post(hall.base + "/api/v1/heartbeat", data=body, headers=forged).json()["error"]["code"] \
        == "bad_signature"


def test_bad_heartbeats_name_the_field(hall):
    fl = terminal(hall, "fl-07")
    cases = {"body.cpu_percent": beat(cpu_percent=250), "body.devices.printer.health": beat(printer="on fire"),
             "body.app_version": beat(app_version=""), "body.last_errors.0": beat(errors=["x" * 201]),
             "body.transactions_today": beat(transactions_today={f"k{i}": 1 for i in range(21)})}
    for field, body in cases.items():
        answer = fl.post("/api/v1/heartbeat", body)
        assert answer.status_code == 422, (field, answer.text)
        assert field in [f["field"] for f in answer.json()["error"]["fields"]], (field, answer.text)
    assert fl.post("/api/v1/heartbeat", raw=b"{not json").status_code == 422


def metric(text, name, **labels):
    label = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = rf"^{re.escape(name)}{{{re.escape(label)}}} (\S+)$" if labels else rf"^{re.escape(name)} (\S+)$"
    return float(re.search(pattern, text, re.M)[1])


def test_metrics(hall):
    before = requests.get(hall.base + "/metrics").text
    fl = terminal(hall, "fl-08")
    for body in (beat(outbox=7), beat(outbox=7, printer="error")):
        assert fl.post("/api/v1/heartbeat", body).status_code == 200
    after = requests.get(hall.base + "/metrics").text
    assert metric(after, "fleet_heartbeats_received_total") - metric(before, "fleet_heartbeats_received_total") >= 2
    assert metric(after, "fleet_terminals", state="red") >= 1
    assert sum(metric(after, "fleet_terminals", state=s) for s in ("green", "yellow", "red", "offline")) \
        == len(TERMINALS) + 3  # and demo-001, other-07, fuzz-01
    assert metric(after, "fleet_devices", kind="printer", health="error") >= 1
    assert metric(after, "fleet_outbox_depth_sum") >= 7
    assert "fleet_alerts_sent_total" in after
    assert "fl-08" not in after  # no per-terminal labels


def test_non_finite_numbers_are_refused_not_a_server_error(hall):
    """Python's json reads Infinity, NaN and 1e999 (as infinity): each is a 422 naming the field."""
    fl = terminal(hall, "fl-07")
    for field in ("cpu_percent", "memory_mb", "disk_free_mb", "outbox_oldest_s", "uptime_s", "outbox_depth"):
        for token in ("1e999", "-1e999", "Infinity", "-Infinity", "NaN"):
            raw = json.dumps(beat(outbox=1, **{field: 12345.5})).replace("12345.5", token).encode()
            answer = fl.post("/api/v1/heartbeat", raw=raw)
            assert answer.status_code == 422, (field, token, answer.status_code, answer.text[:200])
            assert [f["field"] for f in answer.json()["error"]["fields"]] == [f"body.{field}"], (field, token)
    assert fl.post("/api/v1/heartbeat", beat(outbox=1, outbox_oldest_s=12345.5)).status_code == 200
