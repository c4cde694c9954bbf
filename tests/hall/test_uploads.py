"""Uploads and an application's materials on a running hall, kept in the database and on disk:
checked (hash, size, decodes), idempotent, scoped to their terminal, attached with the
application in one transaction, served only to the back office; a bad file is a 4xx, never a 5xx."""

import hashlib
import io
import os
import sqlite3
import stat
import time

import pytest
import requests
from PIL import Image

from testing.fleet import OPERATOR, Operator
from testing.hall import OTHER, Client, Hall, Sign, person
from testing.materials import page_jpeg, ref, sha256, signature_png, tagged

ITEM = "XK00101001"  # online in tests/hall/seed


@pytest.fixture(scope="module", params=["database", "disk"])
def hall(request, tmp_path_factory):
    """A hall keeping materials in its database, then one keeping them in a directory."""
    folder = tmp_path_factory.mktemp(request.param)
    materials = folder / "materials" if request.param == "disk" else None
    server = Hall(folder, "--operator", ":".join(OPERATOR),
                  env={"HALL_MATERIALS_DIR": str(materials)} if materials else {})
    server.materials = materials
    yield server
    assert server.stop() == 0


@pytest.fixture(scope="module")
def page():
    return page_jpeg(11)


@pytest.fixture
def terminal(hall):
    return Client(hall.base, Sign(*OTHER))


@pytest.fixture
def clerk(hall):
    return Operator(hall.base)


def put(client, data, kind=None, digest=None):
    return client.http.put(f"{client.base}/api/v1/uploads/{digest or sha256(data)}", data=data, timeout=30,
                           headers={"Content-Type": kind or ref(data)["type"]})


def body(pages, signature=None, materials=None, who=None):
    """An application naming `pages` as material m1 (or `materials` as given) and `signature`
    (bytes, or what names them)."""
    out = {"item_code": ITEM, "applicant": who or person(), "form": {},
           "materials": materials if materials is not None else
           [{"key": "m1", "how": "camera", "pages": [ref(p) for p in pages]}]}
    if signature is not None:
        out["signature"] = signature if isinstance(signature, dict) else ref(signature)
    return out


def applied(client, who):
    return client.post("/api/v1/applications/lookup", {"id_number": who["id_number"]}).json()["items"]


def small_jpeg(tag):
    out = io.BytesIO()
    Image.new("L", (64, 64), 200).save(out, "JPEG")
    return tagged(out.getvalue(), tag)


def test_an_upload_answers_201_then_200(terminal, page):
    data = tagged(page, "idempotent")
    first, again = put(terminal, data), put(terminal, data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json() == {"sha256": sha256(data), "size": len(data), "type": "image/jpeg"}


def _jpeg_of_size(width, height):
    """A small JPEG whose frame header says width x height (what a decompression bomb does)."""
    data = bytearray(small_jpeg("bomb"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def _png_of_size(width, height):
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, "PNG")
    return out.getvalue()


REFUSED = {
    "a wrong hash": (lambda page: (page, "image/jpeg", "0" * 64), 422, "hash_mismatch"),
    "a page over 1.5 MB": (lambda page: (page + os.urandom(1_500_001 - len(page)), "image/jpeg", None),
                           413, "too_large"),
    "a signature over 200 KB": (lambda page: (signature_png() + os.urandom(200_001), "image/png", None),
                                413, "too_large"),
    "bytes that are no image": (lambda page: (b"\xff\xd8\xff" + os.urandom(5000), "image/jpeg", None),
                                422, "not_an_image"),
    "half a JPEG": (lambda page: (page[:len(page) // 2], "image/jpeg", None), 422, "not_an_image"),
    "a PNG said to be a JPEG": (lambda page: (signature_png(), "image/jpeg", None), 422, "not_an_image"),
    "a JPEG of 81 megapixels": (lambda page: (_jpeg_of_size(9000, 9000), "image/jpeg", None), 422, "not_an_image"),
    "a PNG of 16 megapixels": (lambda page: (_png_of_size(4000, 4000), "image/png", None), 422, "not_an_image"),
    "another type": (lambda page: (page, "application/pdf", None), 415, "unsupported_media_type"),
    "a hash in capitals": (lambda page: (page, "image/jpeg", sha256(page).upper()), 422, "invalid"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_bad_upload_is_refused_with_its_code(terminal, page, case):
    make, status, code = REFUSED[case]
    data, kind, digest = make(page)
    answer = put(terminal, data, kind, digest)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code


def test_an_application_keeps_its_files_for_the_back_office(hall, terminal, clerk, page):
    pages, signature = [tagged(page, "kept-1"), tagged(page, "kept-2")], signature_png(1)
    for data in (*pages, signature):
        assert put(terminal, data).status_code == 201
    created = terminal.post("/api/v1/applications", body(pages, signature))
    assert created.status_code == 201, created.text
    number = created.json()["number"]

    listing = clerk.get(f"/console/applications/{number}/materials")
    assert listing.status_code == 200 and listing.headers["cache-control"] == "private, no-store"
    files = listing.json()["files"]
    assert [(f["field"], f["material"], f["page"], f["sha256"], f["type"]) for f in files] == [
        ("materials.m1.pages.0", "m1", 0, sha256(pages[0]), "image/jpeg"),
        ("materials.m1.pages.1", "m1", 1, sha256(pages[1]), "image/jpeg"),
        ("signature", None, None, sha256(signature), "image/png")]
    for f, data in zip(files, (*pages, signature)):
        served = clerk.get(f["url"])
        assert served.status_code == 200 and served.content == data
        assert served.headers["content-type"] == f["type"] and served.headers["cache-control"] == "private, no-store"

    with sqlite3.connect(hall.db) as db:
        in_db = [db.execute("SELECT data FROM material_blobs WHERE sha256 = ?", (sha256(d),)).fetchone()[0]
                 for d in (*pages, signature)]
    if hall.materials is None:
        assert in_db == [*pages, signature]
    else:
        assert in_db == [None] * 3  # on disk instead, named by hash, private
        assert stat.S_IMODE(hall.materials.stat().st_mode) == 0o700
        for data in (*pages, signature):
            kept = hall.materials / sha256(data)
            assert kept.read_bytes() == data and stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_materials_are_not_served_to_terminals_or_strangers(hall, terminal, clerk, page):
    data = tagged(page, "private")
    put(terminal, data)
    number = terminal.post("/api/v1/applications", body([data])).json()["number"]
    url = f"/console/applications/{number}/materials/{sha256(data)}"
    assert clerk.get(url).content == data
    for answer in (requests.get(hall.base + url, allow_redirects=False, timeout=30),  # no session
                   terminal.get(url, allow_redirects=False),  # signed as the terminal that sent it
                   terminal.get(f"/console/applications/{number}/materials", allow_redirects=False)):
        assert answer.status_code == 303 and answer.headers["location"] == "/console/login"
        assert data not in answer.content
    on_the_api = terminal.get(f"/api/v1/uploads/{sha256(data)}")
    assert on_the_api.status_code == 405 and data not in on_the_api.content  # uploads are PUT only
    other = terminal.post("/api/v1/applications", body([], materials=[])).json()["number"]
    assert clerk.get(f"/console/applications/{other}/materials/{sha256(data)}").status_code == 404


def test_an_upload_belongs_to_the_terminal_that_sent_it(hall, terminal, page):
    data = tagged(page, "scoped")
    assert put(terminal, data).status_code == 201
    demo = Client(hall.base, Sign())  # demo-001: another terminal
    who = person()
    refused = demo.post("/api/v1/applications", body([data], who=who))
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "missing_upload"
    assert refused.json()["error"]["fields"] == [{"field": "materials.m1.pages.0",
                                                  "problem": "not uploaded by this terminal"}]
    assert applied(demo, who) == []
    assert put(demo, data).status_code == 201  # its own upload of the same bytes
    assert demo.post("/api/v1/applications", body([data], who=who)).status_code == 201


def test_every_file_problem_is_named_and_nothing_is_half_stored(hall, terminal, page):
    pages, signature = [tagged(page, "named-1"), tagged(page, "named-2"), tagged(page, "named-3")], signature_png(2)
    for data in (pages[0], pages[1], signature):
        put(terminal, data)
    wrong_size = dict(ref(pages[1]), size=len(pages[1]) + 1)
    materials = [{"key": "m1", "how": "camera", "pages": [ref(pages[0]), wrong_size]},
                 {"key": "m2", "how": "camera", "pages": [dict(ref(pages[0]), type="image/png"), ref(pages[2])]}]
    who = person()
    refused = terminal.post("/api/v1/applications", body([], dict(ref(signature), type="image/jpeg"),
                                                         materials, who))
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "missing_upload"  # pages[2] was never sent: the terminal may send it and retry
    assert error["fields"] == [
        {"field": "materials.m1.pages.1", "problem": "size or type does not match the upload"},
        {"field": "materials.m2.pages.0", "problem": "must be image/jpeg"},
        {"field": "materials.m2.pages.1", "problem": "not uploaded by this terminal"},
        {"field": "signature", "problem": "must be image/png"}]
    assert applied(terminal, who) == []  # no application without its files

    materials[1]["pages"] = [ref(pages[0])]
    materials[0]["pages"][1] = ref(pages[1])
    invalid = terminal.post("/api/v1/applications", body([], signature, materials + [materials[1]], who))
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "invalid"
    assert invalid.json()["error"]["fields"] == [{"field": "materials.m2", "problem": "given twice"}]
    # the same uploads are still there to attach
    assert terminal.post("/api/v1/applications", body([], signature, materials, who)).status_code == 201
    assert len(applied(terminal, who)) == 1


def test_more_than_20_pages_are_refused(terminal):
    pages = [small_jpeg(f"many-{i}") for i in range(21)]
    for data in pages:
        assert put(terminal, data).status_code == 201
    materials = [{"key": "m1", "how": "camera", "pages": [ref(p) for p in pages[:11]]},
                 {"key": "m2", "how": "camera", "pages": [ref(p) for p in pages[11:]]}]
    refused = terminal.post("/api/v1/applications", body([], materials=materials))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid"
    assert refused.json()["error"]["fields"] == [{"field": "materials", "problem": "too many pages"}]
    materials[1]["pages"].pop()
    assert terminal.post("/api/v1/applications", body([], materials=materials)).status_code == 201


def _wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_unattached_uploads_go_after_their_time_and_crash_leftovers_at_start(tmp_path, page):
    """HALL_UPLOAD_TTL=8 (long enough for the first application to take its upload on a busy
    machine): the cleanup runs every 4 s. Restarted, the hall removes files in its
    directory that no row names (a crash between writing one and committing its row)."""
    materials = tmp_path / "materials"
    env = {"HALL_MATERIALS_DIR": str(materials), "HALL_UPLOAD_TTL": "8"}
    hall = Hall(tmp_path, "--operator", ":".join(OPERATOR), env=env)
    try:
        terminal = Client(hall.base, Sign(*OTHER))
        attached, forgotten = tagged(page, "attached"), tagged(page, "forgotten")
        put(terminal, attached)
        put(terminal, forgotten)
        number = terminal.post("/api/v1/applications", body([attached])).json()["number"]
        assert _wait_for(lambda: not (materials / sha256(forgotten)).exists(), timeout=40)
        late = terminal.post("/api/v1/applications", body([forgotten]))
        assert late.status_code == 422 and late.json()["error"]["code"] == "missing_upload"
        assert Operator(hall.base).get(f"/console/applications/{number}/materials/{sha256(attached)}"
                                       ).content == attached
    finally:
        assert hall.stop() == 0
    old, fresh = materials / hashlib.sha256(b"old").hexdigest(), materials / ".half-written.tmp"
    for leftover in (old, fresh):
        leftover.write_bytes(b"left by a crash")
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    hall = Hall(tmp_path, env=env)
    try:
        assert _wait_for(lambda: not old.exists())
        assert fresh.exists()  # it may be an upload being written by another worker
        assert (materials / sha256(attached)).read_bytes() == attached
    finally:
        assert hall.stop() == 0
