"""An application's pages and signature through the outbox, against a real `kiosk hall` keeping
materials on disk: on the terminal's disk (private, fsynced) before the row says queued, uploaded
once, posted, checked by the back office, then deleted; nothing left by a crash or a refusal."""

import re
import stat

import pytest

from kiosk import hall_api
from kiosk.outbox import Outbox, OutboxError
from kiosk.store import Store, StoreError
from testing.fleet import OPERATOR, Operator
from testing.materials import page_jpeg, sha256, signature_png, tagged
from testing.terminal_hall import HallProcess, application, id_number, online_item_code, with_materials


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hall")
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log",
                          env={"HALL_MATERIALS_DIR": str(folder / "materials")},
                          args=["--operator", ":".join(OPERATOR)]).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def page():
    return page_jpeg(5)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "terminal.sqlite3")
    yield s
    s.close()


@pytest.fixture
def outbox(store, hall, client_for):
    return Outbox(store, client_for(hall.url, retries=0), base_delay=0.05, max_delay=0.2)


def queued_application(outbox, page, marker, item_code=None, pages=2):
    payload, files = with_materials(
        application(item_code or online_item_code(outbox.client), id_number("11010519800101003"), marker),
        [tagged(page, f"{marker}-{i}") for i in range(pages)], signature_png(len(marker)))
    return outbox.submit("application", payload, files), payload, files


def ref_folders(outbox):
    return sorted(p.name for p in outbox.files.folder.iterdir()) if outbox.files.folder.exists() else []


def puts_of(hall, data):
    return hall.log_path.read_text().count(f'"PUT /api/v1/uploads/{sha256(data)} HTTP/1.1"')


def test_files_are_on_disk_privately_before_the_row_names_them(outbox, store, page, tmp_path):
    ref, payload, files = queued_application(outbox, page, "disk")
    folder = tmp_path / "outbox" / ref
    assert stat.S_IMODE(folder.parent.stat().st_mode) == stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == sorted(sha256(f) for f in files.values())
    for data in files.values():
        kept = folder / sha256(data)
        assert kept.read_bytes() == data and stat.S_IMODE(kept.stat().st_mode) == 0o600
    row = store.outbox_get(ref)
    assert row.payload["materials"] == [{"key": "m1", "how": "camera", "pages": [
        {"sha256": sha256(files[n]), "size": len(files[n]), "type": "image/jpeg"} for n in ("m1-1", "m1-2")]}]
    assert row.payload["signature"] == {"sha256": sha256(files["signature"]), "size": len(files["signature"]),
                                        "type": "image/png"}
    assert payload["signature"] == {"file": "signature"}  # the caller's payload is left as it was
    assert [(f.sha256, f.uploaded_at) for f in store.outbox_files(ref)] == [
        (sha256(files[n]), None) for n in ("m1-1", "m1-2", "signature")]


@pytest.mark.parametrize("files, payload, message", [
    ({"a": b"\xff\xd8\xff page"}, {"page": {"file": "b"}}, "names a file it was not given"),
    ({"a": b"\xff\xd8\xff page", "b": b"\xff\xd8\xff other"}, {"page": {"file": "a"}}, "not named"),
    ({"a": b"GIF89a..."}, {"page": {"file": "a"}}, "not a JPEG or PNG"),
    ({"a": "\xff\xd8\xff text"}, {"page": {"file": "a"}}, "not a JPEG or PNG"),
])
def test_files_that_do_not_fit_are_refused_and_nothing_is_kept(outbox, files, payload, message):
    with pytest.raises(OutboxError, match=message):
        outbox.submit("application", payload, files)
    assert outbox.depth() == 0 and ref_folders(outbox) == []


def test_a_row_that_is_not_committed_takes_its_files_with_it(outbox, store, page, monkeypatch):
    def full_disk(*args):
        raise StoreError("cannot write the terminal's data file (database or disk is full)")
    monkeypatch.setattr(store, "outbox_add", full_disk)
    with pytest.raises(StoreError):
        queued_application(outbox, page, "uncommitted")
    assert ref_folders(outbox) == []


def test_sent_with_every_file_then_deleted(outbox, store, hall, page):
    ref, _, files = queued_application(outbox, page, "sent", pages=3)
    assert outbox.send_now().sent == 1
    row = store.outbox_get(ref)
    assert row.state == "sent" and row.payload is None and re.fullmatch(r"SB\d{14}", row.answer["number"])
    assert ref_folders(outbox) == [] and store.outbox_files(ref) == []
    clerk = Operator(hall.url)
    kept = clerk.get(f"/console/applications/{row.answer['number']}/materials").json()["files"]
    assert [f["sha256"] for f in kept] == [sha256(files[n]) for n in ("m1-1", "m1-2", "m1-3", "signature")]
    assert all(clerk.get(f["url"]).content == files[n] for f, n in zip(kept, ("m1-1", "m1-2", "m1-3", "signature")))
    assert all(puts_of(hall, data) == 1 for data in files.values())


def test_a_resend_uploads_only_what_the_hall_has_not_acknowledged(outbox, store, hall, page):
    """A terminal killed after its first upload was acknowledged: the next try sends the rest."""
    ref, _, files = queued_application(outbox, page, "resend")
    first = files["m1-1"]
    assert hall_api.upload(outbox.client, sha256(first), first, "image/jpeg").replayed is False
    store.outbox_file_uploaded(ref, sha256(first), 1.0)
    assert outbox.send_now().sent == 1
    assert [puts_of(hall, files[n]) for n in ("m1-1", "m1-2", "signature")] == [1, 1, 1]


def test_uploads_the_hall_no_longer_has_are_sent_again(outbox, store, hall, page):
    """Acknowledged uploads the hall dropped (kept a day when not attached): it answers
    missing_upload, and the outbox sends them again, once, in the same try."""
    ref, _, files = queued_application(outbox, page, "dropped")
    for data in files.values():
        store.outbox_file_uploaded(ref, sha256(data), 1.0)  # as if acknowledged, but never sent
    assert outbox.send_now().sent == 1
    assert store.outbox_get(ref).state == "sent"
    assert all(puts_of(hall, data) == 1 for data in files.values())


def test_an_application_the_hall_refuses_takes_its_files_with_it(outbox, store, page):
    ref, _, _ = queued_application(outbox, page, "refused", item_code="NO-SUCH-ITEM")
    assert outbox.send_now().rejected == 1
    row = store.outbox_get(ref)
    assert row.state == "rejected" and row.payload is None and row.answer == {"status": 422, "code": "invalid"}
    assert ref_folders(outbox) == [] and store.outbox_files(ref) == []


def test_a_file_the_hall_cannot_decode_rejects_the_application(outbox, store):
    payload, files = with_materials(application("X", id_number("11010519800101003"), "broken"),
                                    [b"\xff\xd8\xff" + b"\x00" * 4000])
    ref = outbox.submit("application", payload, files)
    assert outbox.send_now().rejected == 1
    assert store.outbox_get(ref).answer == {"status": 422, "code": "not_an_image"}
    assert ref_folders(outbox) == []


def test_files_no_queued_row_names_are_removed_at_start(outbox, store, page):
    queued, _, _ = queued_application(outbox, page, "kept")
    sent, _, _ = queued_application(outbox, page, "done")
    store.outbox_finish(sent, "sent", {"number": "SB20260101000001"}, None, 2.0)  # died before deleting
    orphan = outbox.files.folder / "LOCAL-ABCDEFGH"  # died before committing its row
    orphan.mkdir()
    (orphan / ("0" * 64)).write_bytes(b"half a page")
    assert sorted(ref_folders(outbox)) == sorted([queued, sent, orphan.name])
    outbox.base_delay = 60  # started for its recovery: nothing sent meanwhile
    store.outbox_retry_later(queued, 1e12, "later")
    outbox.start()
    outbox.stop()
    assert ref_folders(outbox) == [queued]


def test_the_hall_down_keeps_the_files_until_it_takes_them(own_hall, store, client_for, page):
    own_hall.start()
    client = client_for(own_hall.url, retries=0, timeout=2)
    code = online_item_code(client)
    own_hall.stop()
    outbox = Outbox(store, client, base_delay=0.05, max_delay=0.2)
    ref, _, files = queued_application(outbox, page, "offline", item_code=code)
    assert outbox.send_now().deferred == 1
    assert ref_folders(outbox) == [ref] and store.outbox_get(ref).state == "queued"
    own_hall.start()
    assert outbox.send_now().sent == 1
    assert ref_folders(outbox) == []
