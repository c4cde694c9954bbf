"""证明开具 at the hall: preview (nothing recorded), issue (recorded, with a code), the public check page."""

import requests

from testing.hall import Hall, person

ZHANG = "430102199003075518"   # the demo ID card's holder (assets/seed/certificates.json)
LIU = "640104195011200028"     # no real estate on record
STRANGER = person()["id_number"]  # a valid number with no record


def test_kinds_are_the_three_certificates(client):
    answer = client.get("/api/v1/certificates/kinds")
    assert answer.status_code == 200
    assert [k["title"] for k in answer.json()] == ["社会保险参保缴费证明", "户籍证明", "不动产登记信息查询结果"]


def test_a_preview_says_what_the_paper_will_say_and_records_nothing(client):
    answer = client.post("/api/v1/certificates/preview", {"kind": "social-insurance", "id_number": ZHANG})
    assert answer.status_code == 200, answer.text
    cert = answer.json()
    assert cert["code"] is None and cert["verify_url"] is None
    assert cert["holder_name"] == "张晓明" and cert["id_masked"] == "4301**********5518"
    assert {"label": "累计缴费月数", "value": "161 个月", "personal": False} in cert["facts"]
    assert {"label": "参保单位", "value": "青山县演示科技有限公司", "personal": True} in cert["facts"]


def test_an_issued_certificate_is_checked_on_the_public_page_masked(client, hall):
    answer = client.post("/api/v1/certificates", {"kind": "real-estate", "id_number": ZHANG})
    assert answer.status_code == 201, answer.text
    cert = answer.json()
    code = cert["code"]
    assert len(code) == 14 and cert["verify_url"] == f"{hall.base}/verify/{code}"
    assert ZHANG not in answer.text  # the ID number only masked, even to the terminal

    page = requests.get(cert["verify_url"], timeout=10)  # no signature: anyone with the paper
    assert page.status_code == 200
    assert "此证明真实有效" in page.text and "不动产登记信息查询结果" in page.text
    assert "张*明" in page.text and "4301**********5518" in page.text
    assert "张晓明" not in page.text and ZHANG not in page.text
    assert "98.60 平方米" in page.text  # what the paper states, not personal
    assert "青山县城关镇青山路18号" not in page.text  # the address only begun
    assert "湘（2" in page.text and "第0003187号" not in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"

    again = requests.get(f"{hall.base}/verify/{code.lower()}", timeout=10)
    assert again.status_code == 200  # typed off the paper in lower case


def test_no_real_estate_is_a_result_too(client):
    cert = client.post("/api/v1/certificates", {"kind": "real-estate", "id_number": LIU}).json()
    assert cert["facts"] == [{"label": "查询结果", "value": "未查询到不动产登记信息", "personal": False}]


def test_unknown_code_and_unknown_person(client, hall):
    page = requests.get(f"{hall.base}/verify/ABCD-EFGH-JKMN", timeout=10)
    assert page.status_code == 404 and "未查到此证明" in page.text
    answer = client.post("/api/v1/certificates", {"kind": "household", "id_number": STRANGER})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "no_record"


def test_the_same_idempotency_key_issues_one_certificate(client):
    body = {"kind": "household", "id_number": ZHANG}
    first = client.post("/api/v1/certificates", body, key="cert-once-0001")
    second = client.post("/api/v1/certificates", body, key="cert-once-0001")
    assert first.status_code == second.status_code == 201
    assert first.json()["code"] == second.json()["code"]


def test_issuing_needs_a_terminal_signature(hall):
    answer = requests.post(f"{hall.base}/api/v1/certificates", json={"kind": "household", "id_number": ZHANG},
                           timeout=10)
    assert answer.status_code == 401


def test_the_check_page_is_rate_limited_per_address(tmp_path):
    server = Hall(tmp_path, env={"HALL_VERIFY_LIMIT": "3/600"})
    try:
        answers = [requests.get(f"{server.base}/verify/ABCD-EFGH-JKMN", timeout=10) for _ in range(4)]
        assert [a.status_code for a in answers] == [404, 404, 404, 429]
        assert int(answers[-1].headers["Retry-After"]) > 0
    finally:
        assert server.stop() == 0
