"""补正 from a terminal (POST /api/v1/supplements) against a running `kiosk hall`: the applicant's ID
number as proof (a wrong one answered as an unknown number), only in 补正 and only for the
materials asked for, once per Idempotency-Key; the clerk then sees the pages and accepts."""

import sqlite3
import uuid

import pytest

from testing.hall import person
from testing.materials import tagged
from testing.supplementing import accept, ask_for_supplement, send_supplement, supplement_body, upload
from testing.workbench import StaffUser, submit


@pytest.fixture
def applicant():
    return person()


@pytest.fixture
def number(terminal, page, applicant, request):
    return submit(terminal, page, who=applicant, tag=request.node.name)["number"]


def files_of(hall, number):
    with sqlite3.connect(hall.db) as db:
        return db.execute("SELECT f.field, f.material_key, f.page FROM application_files f JOIN applications a "
                          "ON a.id = f.application_id WHERE a.number = ? ORDER BY f.id", (number,)).fetchall()


def progress(terminal, number):
    return terminal.get(f"/api/v1/applications/{number}").json()


def test_the_pages_asked_for_are_taken_with_the_applicants_id_number(hall, terminal, page, applicant, number):
    clerk = ask_for_supplement(hall.base, number, {"m2": "缺少", "m1": "不清晰"}, note="请拍清楚身份证正反面")
    asked = progress(terminal, number)
    assert asked["status"] == "补正"
    assert asked["supplement"] == {"asked_at": asked["timeline"][-1]["at"], "note": "请拍清楚身份证正反面",
                                   "supplied_at": None, "materials": [
        {"key": "m1", "name": "居民身份证", "name_en": "Resident ID card", "why": "不清晰"},
        {"key": "m2", "name": "申请表", "name_en": "Application form", "why": "缺少"}]}
    pages = {"m1": [tagged(page, f"{number} id front"), tagged(page, f"{number} id back")],
             "m2": [tagged(page, f"{number} form")]}
    answer = send_supplement(terminal, number, applicant["id_number"], pages)
    assert answer.status_code == 201, answer.text
    assert answer.json() | {"at": ""} == {"number": number, "status": "补正", "supplement": 1, "pages": 3, "at": ""}
    assert files_of(hall, number)[-3:] == [("supplement.1.m1.pages.0", "m1", 0), ("supplement.1.m1.pages.1", "m1", 1),
                                           ("supplement.1.m2.pages.0", "m2", 0)]
    after = progress(terminal, number)
    assert after["status"] == "补正" and after["timeline"][-1]["note"] == "已补交材料：居民身份证（2页）、申请表（1页）"
    assert after["supplement"]["supplied_at"] == answer.json()["at"]

    queue = clerk.get("/workbench/?state=补正").text
    row = queue[queue.index(number):].split("</tr>")[0]
    assert "已补交" in row, "the queue marks it for the clerk"
    shown = clerk.get(f"/workbench/applications/{number}").text
    assert shown.count("补正 提交于 ") == 2 and "（2 页）" in shown and "（1 页）" in shown
    sha = files_of_sha(hall, number, "supplement.1.m2.pages.0")
    assert f"/files/{sha}" in shown
    served = clerk.get(f"/workbench/applications/{number}/files/{sha}")
    assert served.status_code == 200 and served.content == pages["m2"][0]
    with sqlite3.connect(hall.db) as db:
        assert db.execute("SELECT COUNT(*) FROM staff_audit WHERE subject = ? AND action = 'view_file' "
                          "AND detail = 'supplement.1.m2.pages.0'", (number,)).fetchone()[0] == 1
    accept(clerk, number, "材料已补齐")
    assert progress(terminal, number)["status"] == "受理"
    assert progress(terminal, number)["supplement"] is None
    late = send_supplement(terminal, number, applicant["id_number"], {"m2": [tagged(page, f"{number} late")]})
    assert late.status_code == 409 and late.json()["error"]["code"] == "not_awaiting_supplement"


def files_of_sha(hall, number, field):
    with sqlite3.connect(hall.db) as db:
        return db.execute("SELECT f.sha256 FROM application_files f JOIN applications a ON a.id = f.application_id "
                          "WHERE a.number = ? AND f.field = ?", (number, field)).fetchone()[0]


def test_a_wrong_id_number_is_answered_like_an_unknown_number(hall, terminal, page, number):
    ask_for_supplement(hall.base, number, {"m2": "缺少"})
    pages = {"m2": [tagged(page, f"{number} stranger")]}
    stranger = send_supplement(terminal, number, person()["id_number"], pages)
    unknown = send_supplement(terminal, "SB20990101000001", person()["id_number"], pages)
    assert stranger.status_code == unknown.status_code == 404
    assert stranger.json() == unknown.json() == {"error": unknown.json()["error"]}
    assert stranger.json()["error"]["code"] == "not_found"
    assert [f for f, *_ in files_of(hall, number) if f.startswith("supplement.")] == []


def test_refused_when_not_in_correction_or_for_a_material_not_asked_for(hall, terminal, page, applicant, number):
    pages = {"m2": [tagged(page, f"{number} early")]}
    early = send_supplement(terminal, number, applicant["id_number"], pages)
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_awaiting_supplement"
    ask_for_supplement(hall.base, number, {"m2": "缺少"})
    other = send_supplement(terminal, number, applicant["id_number"], {"m1": [tagged(page, f"{number} m1")]})
    assert other.status_code == 409 and other.json()["error"]["code"] == "material_not_requested"
    assert [f for f, *_ in files_of(hall, number) if f.startswith("supplement.")] == []
    assert progress(terminal, number)["timeline"][-1]["stage"] == "补正"


def test_the_same_idempotency_key_twice_keeps_one_set_of_pages(hall, terminal, page, applicant, number):
    ask_for_supplement(hall.base, number, {"m2": "不清晰"})
    pages = {"m2": [tagged(page, f"{number} again")]}
    key = uuid.uuid4().hex
    first = send_supplement(terminal, number, applicant["id_number"], pages, key=key)
    again = terminal.post("/api/v1/supplements", supplement_body(number, applicant["id_number"], pages), key=key)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true" and again.content == first.content
    assert [f for f, *_ in files_of(hall, number) if f.startswith("supplement.")] == ["supplement.1.m2.pages.0"]
    assert sum(1 for e in progress(terminal, number)["timeline"] if e["note"].startswith("已补交")) == 1
    # a second supplement (another key) is kept as the second
    upload(terminal, pages["m2"][0])
    second = send_supplement(terminal, number, applicant["id_number"], pages)
    assert second.status_code == 201 and second.json()["supplement"] == 2


def test_pages_not_uploaded_are_named(hall, terminal, page, applicant, number):
    ask_for_supplement(hall.base, number, {"m2": "缺少"})
    body = supplement_body(number, applicant["id_number"], {"m2": [tagged(page, f"{number} never sent")]})
    answer = terminal.post("/api/v1/supplements", body)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "missing_upload"
    assert answer.json()["error"]["fields"][0]["field"] == "materials.m2.pages.0"


def test_a_supervisor_sees_the_pages_too_and_the_clerk_of_another_department_does_not(hall, terminal, page,
                                                                                       applicant, number):
    ask_for_supplement(hall.base, number, {"m2": "缺少"})
    assert send_supplement(terminal, number, applicant["id_number"],
                           {"m2": [tagged(page, f"{number} for the supervisor")]}).status_code == 201
    assert "补正 提交于" in StaffUser(hall.base, "supervisor").get(f"/workbench/applications/{number}").text
    assert StaffUser(hall.base, "rs-clerk").get(f"/workbench/applications/{number}").status_code == 403
