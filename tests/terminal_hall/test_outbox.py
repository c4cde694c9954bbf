"""The outbox against a real `kiosk hall`: stopped, restarted, rejected, replayed, and private."""

import logging
import re
import socket
import sqlite3
import threading
import time

import pytest

from kiosk.outbox import Outbox, OutboxError
from kiosk.store import Store
from testing.processes import free_port
from testing.terminal_hall import (RESIDENT, TERMINAL_ID, application, applications_of, id_number,
                                   online_item_code)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "terminal.sqlite3")
    yield s
    s.close()


def make_outbox(store, client):
    return Outbox(store, client, base_delay=0.05, max_delay=0.2)


def test_store_is_wal_and_synchronous_full(store):
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_bad_submissions_are_refused_and_nothing_is_queued(store, client_for):
    outbox = make_outbox(store, client_for("http://127.0.0.1:9"))
    with pytest.raises(OutboxError, match="unknown submission kind"):
        outbox.submit("complaint", {"content": "x"})
    with pytest.raises(OutboxError, match="JSON object"):
        outbox.submit("request", ["not", "an", "object"])
    with pytest.raises(OutboxError, match="not plain JSON"):
        outbox.submit("request", {"content": object()})
    with pytest.raises(OutboxError, match="not plain JSON"):
        outbox.submit("rating", {"level": float("nan")})
    assert outbox.depth() == 0


def test_hall_stopped_then_restarted_sends_once(own_hall, store, client_for, caplog):
    caplog.set_level(logging.DEBUG)
    own_hall.start()
    client = client_for(own_hall.url, retries=0, timeout=2)
    code = online_item_code(client)
    own_hall.stop()

    outbox = make_outbox(store, client)
    id_no = id_number("11010519491231002")
    ref = outbox.submit("application", application(code, id_no, "offline-1"))
    assert re.fullmatch(r"LOCAL-[2-9A-Z]{8}", ref)
    assert outbox.lookup(ref).state == "queued" and outbox.lookup(ref).attempts == 0
    assert outbox.depth() == 1 and outbox.oldest_age() >= 0

    report = outbox.send_now()
    assert (report.sent, report.deferred) == (0, 1)
    row = outbox.lookup(ref)
    assert row.state == "queued" and row.attempts == 1 and row.last_error == "HallUnreachable"
    assert row.payload["applicant"]["id_number"] == id_no  # kept until acknowledged

    own_hall.start()
    report = outbox.send_now()
    assert (report.sent, report.deferred) == (1, 0)
    row = outbox.lookup(ref)
    assert row.state == "sent" and row.payload is None
    assert re.fullmatch(r"SB\d{14}", row.answer["number"])
    assert outbox.send_now().sent == 0 and outbox.depth() == 0 and outbox.oldest_age() is None

    found = applications_of(client, id_no)
    assert [a["number"] for a in found] == [row.answer["number"]]
    assert client.get(f"/api/v1/applications/{row.answer['number']}").data["item_code"] == code

    # personal data never reached the log
    for secret in (id_no, id_no[6:14], RESIDENT["name"], RESIDENT["phone"]):
        assert secret not in caplog.text


def test_worker_thread_sends_each_kind(hall, store, client_for):
    client = client_for(hall.url, retries=0)
    outbox = make_outbox(store, client).start()
    try:
        refs = {
            outbox.submit("request", {"type": "投诉", "content": "小区路灯坏了一个星期", "location": "城关镇幸福路",
                                      "phone": RESIDENT["phone"]}): "ticket",
            outbox.submit("rating", {"level": 5, "indicators": {"整体满意度": 5, "办事效率": 5, "办事指南精确度": 4,
                                                                 "办事便捷度": 5, "平台操作性": 4},
                                     "subject": {"kind": "guide", "ref": online_item_code(client)}}): "id",
        }
        deadline = time.monotonic() + 15
        while outbox.depth() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        outbox.stop()
    for ref, field in refs.items():
        row = outbox.lookup(ref)
        assert row.state == "sent", (row.state, row.last_error)
        assert row.answer[field]
    ticket = next(outbox.lookup(r).answer["ticket"] for r, f in refs.items() if f == "ticket")
    assert client.get(f"/api/v1/requests/{ticket}").status == 200


def test_the_worker_outlives_a_failing_store_call(hall, store, client_for, monkeypatch, caplog):
    """A failure while working out the next wait (a locked database, say) must not end the
    worker thread: the next submission still goes out."""
    real, failures = store.outbox_next_try, []

    def fails_once():
        if not failures:
            failures.append(1)
            raise sqlite3.OperationalError("database is locked")
        return real()
    monkeypatch.setattr(store, "outbox_next_try", fails_once)
    outbox = make_outbox(store, client_for(hall.url, retries=0)).start()
    try:
        deadline = time.monotonic() + 5
        while not failures and time.monotonic() < deadline:
            time.sleep(0.02)
        ref = outbox.submit("request", {"type": "咨询", "content": "户口迁移需要什么材料", "location": "",
                                        "phone": RESIDENT["phone"]})
        deadline = time.monotonic() + 15
        while outbox.lookup(ref).state == "queued" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        outbox.stop()
    assert failures and outbox.lookup(ref).state == "sent"
    assert "unexpected failure" in caplog.text


def test_a_rejected_submission_stops_and_drops_personal_data(hall, store, client_for):
    outbox = make_outbox(store, client_for(hall.url, retries=0))
    ref = outbox.submit("application", application("NO-SUCH-ITEM", id_number("11010519491231002"), "x"))
    report = outbox.send_now()
    assert report.rejected == 1
    row = outbox.lookup(ref)
    assert row.state == "rejected" and row.payload is None
    assert row.answer == {"status": 422, "code": "invalid"}  # the hall's error code (docs/hall-api.md)
    assert "item_code" in row.last_error
    assert outbox.depth() == 0 and outbox.send_now().rejected == 0


def test_a_wrong_secret_is_not_a_rejection(hall, store):
    from kiosk.hall_client import HallClient
    with HallClient(hall.url, TERMINAL_ID, "not-the-secret", retries=0) as client:
        outbox = make_outbox(store, client)
        ref = outbox.submit("request", {"type": "咨询", "content": "请问社保卡怎么补办", "location": "",
                                        "phone": RESIDENT["phone"]})
        assert outbox.send_now().deferred == 1
    row = outbox.lookup(ref)
    assert row.state == "queued" and row.payload is not None and "401" in row.last_error


def test_crash_after_the_hall_committed_is_not_doubled(hall, store, client_for):
    """The hall stored the item but the terminal died before recording it: the resend is a replay."""
    client = client_for(hall.url, retries=0)
    outbox = make_outbox(store, client)
    id_no = id_number("11010519800101003")
    ref = outbox.submit("application", application(online_item_code(client), id_no, "crash"))
    row = outbox.lookup(ref)
    first = client.post("/api/v1/applications", row.payload, idempotency_key=row.idempotency_key)
    report = outbox.send_now()
    assert (report.sent, report.replayed) == (1, 1)
    assert outbox.lookup(ref).answer["number"] == first.data["number"]
    assert len(applications_of(client, id_no)) == 1


def test_acknowledged_personal_data_is_gone_from_the_files(hall, tmp_path, client_for):
    store = Store(tmp_path / "private.sqlite3")
    outbox = make_outbox(store, client_for(hall.url, retries=0))
    id_no = id_number("11010519700707004")
    for i in range(3):
        outbox.submit("application", application(online_item_code(outbox.client), id_no, f"p{i}"))
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("private.sqlite3*"))
    assert id_no.encode() in blob  # queued: kept, durably
    assert outbox.send_now().sent == 3
    # read while the terminal still runs: the WAL too must have lost the old page images
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("private.sqlite3*"))
    store.close()
    for secret in (id_no, RESIDENT["name"], RESIDENT["phone"]):
        assert secret.encode() not in blob


# -- waiting for a submission's outcome (what a screen does after submitting) --------------

def a_request():
    return {"type": "咨询", "content": "请问居住证怎么办理", "location": "", "phone": RESIDENT["phone"]}


def test_wait_is_woken_by_the_hall_s_answer(hall, store, client_for, monkeypatch):
    """The wait ends as soon as the answer is recorded, and it is told so: it does not look
    at the row again and again while the item waits to be sent."""
    outbox = make_outbox(store, client_for(hall.url, retries=0))
    ref = outbox.submit("request", a_request())
    looks, recorded = [], []
    real_get, real_finish = store.outbox_get, store.outbox_finish
    monkeypatch.setattr(store, "outbox_get", lambda r: looks.append(r) or real_get(r))
    monkeypatch.setattr(store, "outbox_finish",
                        lambda *args: (real_finish(*args), recorded.append(time.monotonic())))

    def send_a_second_later():
        time.sleep(1.0)
        outbox.send_now()
    sender = threading.Thread(target=send_a_second_later)
    sender.start()
    row = outbox.wait(ref, timeout=20)
    returned = time.monotonic()
    sender.join()
    assert row.state == "sent" and re.fullmatch(r"RQ\d{14}", row.answer["ticket"])
    assert len(recorded) == 1 and returned - recorded[0] < 0.5
    assert len(looks) == 2, f"looked {len(looks)} times: once before the wait, once when told"


def test_wait_ends_after_one_try_when_the_hall_is_down(store, client_for):
    """Unreachable: the first try is deferred and the screen hears of it then (it shows the
    local reference), long before the timeout."""
    client = client_for(f"http://127.0.0.1:{free_port()}", retries=0)
    outbox = Outbox(store, client, base_delay=30, max_delay=60).start()  # one try in this test
    try:
        started = time.monotonic()
        ref = outbox.submit("request", a_request())
        row = outbox.wait(ref, timeout=20)
        waited = time.monotonic() - started
    finally:
        outbox.stop()
    assert row.state == "queued" and row.attempts == 1 and row.last_error == "HallUnreachable"
    assert waited < 10


def test_wait_times_out_while_the_hall_does_not_answer(store, client_for):
    """A hall that takes the connection and never answers: the wait gives up at its timeout
    with the item still queued and untried."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        client = client_for(f"http://127.0.0.1:{silent.getsockname()[1]}", retries=0, timeout=30)
        outbox = Outbox(store, client, base_delay=30, max_delay=60).start()
        ref = outbox.submit("request", a_request())
        started = time.monotonic()
        row = outbox.wait(ref, timeout=1.0)
        waited = time.monotonic() - started
    # the listening socket is closed: the connection it held is reset and the worker stops
    outbox.stop()
    assert row.state == "queued" and row.attempts == 0
    assert 1.0 <= waited < 3.0
    assert outbox.wait("LOCAL-NOSUCH22", timeout=5) is None  # an unknown reference: at once


def test_one_filled_form_is_queued_and_recorded_once(hall, store, client_for):
    """The same form submitted again under its key gets its first reference; once the hall has
    refused a form, the same key is tried afresh (under the form's next key)."""
    client = client_for(hall.url, retries=0)
    outbox = make_outbox(store, client)
    id_no = id_number("11010519800101005")
    form = application(online_item_code(client), id_no, "twice")
    ref = outbox.submit("application", form, idempotency_key="form-0123456789")
    assert outbox.send_now().sent == 1
    assert outbox.submit("application", form, idempotency_key="form-0123456789") == ref
    assert outbox.send_now().sent == 0 and len(applications_of(client, id_no)) == 1
    assert len(outbox.store.outbox_rows()) == 1
    refused = application("NO-SUCH-ITEM", id_no, "x")
    first = outbox.submit("application", refused, idempotency_key="form-refused-01")
    assert outbox.send_now().rejected == 1
    again = outbox.submit("application", refused, idempotency_key="form-refused-01")
    assert again != first and outbox.lookup(again).idempotency_key == "form-refused-01.2"
    assert outbox.send_now().rejected == 1
    assert outbox.lookup(outbox.submit("application", refused, idempotency_key="form-refused-01")
                         ).idempotency_key == "form-refused-01.3"
