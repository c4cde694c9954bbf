"""A terminal's state as the hall derives it: green -> yellow -> red -> offline -> green, with alerts."""

import re
import time

from testing.fleet import beat, terminal


def poll(check, seconds=12):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    return check()


def row_of(operator, terminal_id):
    """The console list's row for one terminal, as text."""
    for row in operator.get("/console/").text.split("<tr>")[2:]:
        if f'/console/terminals/{terminal_id}"' in row:
            return re.search(r'class="badge (\w+)"', row)[1], re.sub(r"<[^>]+>", " ", row)
    raise AssertionError(f"{terminal_id} not listed")


def test_green_yellow_red_offline_and_back(hall, operator, webhook):
    fl = terminal(hall, "fl-01")
    # The console test heartbeats fl-01 too, and it has gone quiet since: count this test's alerts.
    offline_before = len(webhook.received("terminal_offline", "fl-01"))
    answer = fl.post("/api/v1/heartbeat", beat())
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"commands": [], "next_heartbeat_s": 1}
    state, text = row_of(operator, "fl-01")
    assert state == "green" and "正常" in text and "1.4.2" in text

    assert fl.post("/api/v1/heartbeat", beat(paper="low")).status_code == 200
    state, text = row_of(operator, "fl-01")
    assert state == "yellow" and "警告" in text and "printer paper low" in text and "将尽" in text

    assert fl.post("/api/v1/heartbeat", beat(printer="offline", paper="unknown")).status_code == 200
    state, text = row_of(operator, "fl-01")
    assert state == "red" and "故障" in text and "printer offline: no answer on tcp 9100" in text
    failed = poll(lambda: webhook.received("device_failed", "fl-01"))
    assert failed and failed[0]["device"] == "printer" and failed[0]["health"] == "offline"
    assert failed[0]["terminal_name"] == "fl-01" and failed[0]["at"]

    # No more heartbeats: offline after --offline-after (3 s), with one alert.
    assert poll(lambda: row_of(operator, "fl-01")[0] == "offline")
    assert "离线" in row_of(operator, "fl-01")[1]
    assert poll(lambda: len(webhook.received("terminal_offline", "fl-01")) > offline_before)

    assert fl.post("/api/v1/heartbeat", beat()).status_code == 200
    assert row_of(operator, "fl-01")[0] == "green"
    assert len(webhook.received("terminal_offline", "fl-01")) == offline_before + 1
    # Each offline alert is followed by one "back online" when heartbeats resume.
    assert poll(lambda: len(webhook.received("terminal_online", "fl-01")) == offline_before + 1)
    assert len(webhook.received("device_failed", "fl-01")) == 1

    history = operator.get("/console/terminals/fl-01").text
    history = history[history.index("设备健康历史"):]
    # Changes only: ok -> low -> offline/unknown -> ok for the printer; the idcard once.
    assert history.count("<td>printer</td>") == 4 and history.count("<td>idcard</td>") == 1


def test_app_errors_are_red_and_outbox_backlog_yellow(hall, operator):
    fl = terminal(hall, "fl-02")
    fl.post("/api/v1/heartbeat", beat(outbox=25))
    state, text = row_of(operator, "fl-02")
    assert state == "yellow" and "outbox 25 waiting" in text
    fl.post("/api/v1/heartbeat", beat(errors=["hall unreachable: timeout"]))
    state, text = row_of(operator, "fl-02")
    assert state == "red" and "app errors (1): hall unreachable: timeout" in text


def test_never_seen_terminal_is_offline(hall, operator):
    state, text = row_of(operator, "other-07")  # registered by testing.hall, never heartbeats
    assert state == "offline" and "从未上报" in text


def test_filter_by_state(hall, operator):
    terminal(hall, "fl-03").post("/api/v1/heartbeat", beat(printer="error"))
    red = operator.get("/console/?state=red").text
    green = operator.get("/console/?state=green").text
    assert "/console/terminals/fl-03" in red and "/console/terminals/fl-03" not in green
