"""A 补正's pages through the outbox against a real `kiosk hall`: queued on the terminal's disk while
the hall is down, kept across a terminal restart, delivered once when the hall is back (a resend
under the same key adds nothing), the ID number dropped once acknowledged."""

import pytest

from kiosk import hall_api
from kiosk.outbox import Outbox
from kiosk.store import Store
from testing.materials import page_jpeg, sha256, tagged
from testing.materials import ref as file_ref
from testing.supplementing import ask_for_supplement
from testing.terminal_hall import HallProcess, application, id_number, with_materials
from testing.workbench import staff_args

ITEM = "GF00208001"  # 就业登记, department RS: m1 居民身份证, m2 劳动合同或营业执照
APPLICANT = id_number("43010219900307551")


@pytest.fixture
def hall(tmp_path):
    args, passwords = staff_args()
    process = HallProcess(tmp_path / "hall.sqlite3", log_path=tmp_path / "hall.log", args=args,
                          stdin=passwords).start()
    yield process
    process.stop()


def outbox_on(store, hall, client_for):
    return Outbox(store, client_for(hall.url, retries=0), base_delay=0.05, max_delay=0.2)


def test_queued_while_the_hall_is_down_and_delivered_once_when_it_is_back(hall, client_for, tmp_path):
    page = page_jpeg(3)
    store = Store(tmp_path / "terminal.sqlite3")
    outbox = outbox_on(store, hall, client_for)
    payload, files = with_materials(application(ITEM, APPLICANT, "supplement"), [tagged(page, "first")])
    ref = outbox.submit("application", payload, files)
    outbox.send_due()
    number = store.outbox_get(ref).answer["number"]
    ask_for_supplement(hall.url, number, {"m2": "缺少"}, note="请补交劳动合同", clerk="rs-clerk")

    hall.stop()
    pages = [tagged(page, "contract 1"), tagged(page, "contract 2")]
    body = {"number": number, "proof": {"id_number": APPLICANT},
            "materials": [{"key": "m2", "pages": [{"file": "p1"}, {"file": "p2"}]}]}
    sent = outbox.submit("supplement", body, {"p1": pages[0], "p2": pages[1]}, idempotency_key="form-supplement-1")
    assert outbox.send_due().deferred == 1
    row = store.outbox_get(sent)
    assert row.state == "queued" and row.attempts == 1
    assert sorted(p.name for p in (tmp_path / "outbox" / sent).iterdir()) == sorted(map(sha256, pages))
    store.close()  # the terminal restarts too

    store = Store(tmp_path / "terminal.sqlite3")
    outbox = outbox_on(store, hall, client_for)
    assert outbox.recover() == 0, "a queued supplement keeps its pages"
    hall.start()
    store.outbox_make_due(outbox.clock())
    report = outbox.send_due()
    assert (report.sent, report.rejected) == (1, 0)
    row = store.outbox_get(sent)
    assert row.state == "sent" and row.payload is None, "the ID number goes with the payload"
    assert row.answer | {"at": ""} == {"number": number, "status": "补正", "supplement": 1, "pages": 2, "at": ""}
    assert not (tmp_path / "outbox" / sent).exists()
    # the same form again: kept once on the terminal, and the hall answers a resend with its first answer
    assert outbox.submit("supplement", body, {"p1": pages[0], "p2": pages[1]},
                         idempotency_key="form-supplement-1") == sent
    assert outbox.send_due().sent == 0
    refs = {**body, "materials": [{"key": "m2", "pages": [file_ref(p) for p in pages]}]}
    again = hall_api.send_supplement(outbox.client, refs, row.idempotency_key)  # as after a crash before our commit
    assert again.replayed and again.answer["supplement"] == 1
    assert hall.count("application_files", material_key="m2") == 2
    progress = hall_api.application(outbox.client, number)
    assert [e["note"] for e in progress["timeline"]].count("已补交材料：劳动合同或营业执照（2页）") == 1
    assert progress["supplement"]["supplied_at"] == row.answer["at"]
    store.close()


def test_a_wrong_id_number_is_rejected_and_its_pages_deleted(hall, client_for, tmp_path):
    page = page_jpeg(4)
    store = Store(tmp_path / "terminal.sqlite3")
    outbox = outbox_on(store, hall, client_for)
    payload, files = with_materials(application(ITEM, APPLICANT, "wrong card"), [tagged(page, "first")])
    ref = outbox.submit("application", payload, files)
    outbox.send_due()
    number = store.outbox_get(ref).answer["number"]
    ask_for_supplement(hall.url, number, {"m2": "不清晰"}, clerk="rs-clerk")
    body = {"number": number, "proof": {"id_number": id_number("11010519800101003")},
            "materials": [{"key": "m2", "pages": [{"file": "p1"}]}]}
    sent = outbox.submit("supplement", body, {"p1": tagged(page, "stranger")})
    assert outbox.send_due().rejected == 1
    row = store.outbox_get(sent)
    assert (row.state, row.answer, row.payload) == ("rejected", {"status": 404, "code": "not_found"}, None)
    assert not (tmp_path / "outbox" / sent).exists()
    assert hall.count("application_files", material_key="m2") == 0
    store.close()
