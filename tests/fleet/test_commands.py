"""Commands: queued from the console form, delivered once in a heartbeat answer, result shown."""

import io
import re

from PIL import Image

from testing.fleet import beat, terminal


def png(colour=(200, 30, 30), size=(108, 192)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def queue(operator, terminal_id, **form):
    page = f"/console/terminals/{terminal_id}"
    answer = operator.post_form(f"{page}/commands", form, page)
    assert answer.status_code == 303, answer.text
    return answer


def test_message_round_trip(hall, operator):
    fl = terminal(hall, "fl-04")
    queue(operator, "fl-04", kind="message", text="今日16:00停机维护", seconds="90")
    assert "排队 queued" in operator.get("/console/terminals/fl-04").text
    commands = fl.post("/api/v1/heartbeat", beat()).json()["commands"]
    assert [(c["kind"], c["args"]) for c in commands] == [("message", {"text": "今日16:00停机维护", "seconds": 90})]
    assert fl.post("/api/v1/heartbeat", beat()).json()["commands"] == []  # delivered once
    assert "已下发 sent" in operator.get("/console/terminals/fl-04").text
    result = fl.post(f"/api/v1/commands/{commands[0]['id']}/result", {"ok": True, "detail": "shown 90 s"})
    assert result.status_code == 200 and result.json() == {"id": commands[0]["id"], "status": "done"}
    page = operator.get("/console/terminals/fl-04").text
    assert "完成 done" in page and "shown 90 s" in page


def test_result_rules(hall, operator):
    fl, other = terminal(hall, "fl-05"), terminal(hall, "fl-06")
    queue(operator, "fl-05", kind="restart")
    page = operator.get("/console/terminals/fl-05").text
    command_id = int(re.search(r"<tr><td>(\d+)</td><td>重启应用", page)[1])
    early = fl.post(f"/api/v1/commands/{command_id}/result", {"ok": True})
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_sent"
    [sent] = fl.post("/api/v1/heartbeat", beat()).json()["commands"]
    assert sent == {"id": command_id, "kind": "restart", "args": {}}
    assert other.post(f"/api/v1/commands/{command_id}/result", {"ok": True}).status_code == 404
    bad = fl.post(f"/api/v1/commands/{command_id}/result", {"ok": "maybe", "extra": 1})
    assert bad.status_code == 422
    first = fl.post(f"/api/v1/commands/{command_id}/result", {"ok": False, "detail": "busy"}, key="result-key-0001")
    again = fl.post(f"/api/v1/commands/{command_id}/result", {"ok": False, "detail": "busy"}, key="result-key-0001")
    assert first.status_code == again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    second = fl.post(f"/api/v1/commands/{command_id}/result", {"ok": True}, key="result-key-0002")
    assert second.status_code == 409 and second.json()["error"]["code"] == "already_reported"
    assert "失败 failed" in operator.get("/console/terminals/fl-05").text


def test_screenshot_upload_shown(hall, operator):
    fl = terminal(hall, "fl-06")
    queue(operator, "fl-06", kind="screenshot")
    [command] = fl.post("/api/v1/heartbeat", beat()).json()["commands"]
    url = f"/api/v1/commands/{command['id']}/screenshot"
    image = png()
    wrong_type = fl.post(url, raw=image, headers={"Content-Type": "application/octet-stream"})
    assert wrong_type.status_code == 415
    not_png = fl.post(url, raw=b"GIF89a" + bytes(100), headers={"Content-Type": "image/png"})
    assert not_png.status_code == 422 and not_png.json()["error"]["code"] == "invalid"
    too_big = fl.post(url, raw=b"\x89PNG\r\n\x1a\n" + bytes(2 * 1024 * 1024), headers={"Content-Type": "image/png"})
    assert too_big.status_code == 413
    stored = fl.post(url, raw=image, headers={"Content-Type": "image/png"})
    assert stored.status_code == 201 and stored.json() == {"id": command["id"], "bytes": len(image)}
    assert fl.post(f"/api/v1/commands/{command['id']}/result", {"ok": True}).status_code == 200
    page = operator.get("/console/terminals/fl-06").text
    src = re.search(r'<img class="shot" src="([^"]+)"', page)[1]
    shown = operator.get(src)
    assert shown.headers["content-type"] == "image/png" and shown.content == image
    # Only a screenshot command takes an image.
    queue(operator, "fl-06", kind="print_test")
    [printing] = fl.post("/api/v1/heartbeat", beat()).json()["commands"]
    refused = fl.post(f"/api/v1/commands/{printing['id']}/screenshot", raw=image, headers={"Content-Type": "image/png"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_a_screenshot"


def test_message_needs_text_and_kind_must_be_known(hall, operator):
    page = "/console/terminals/fl-07"
    assert operator.post_form(f"{page}/commands", {"kind": "message", "text": " "}, page).status_code == 422
    assert operator.post_form(f"{page}/commands", {"kind": "format_disk"}, page).status_code == 422
    assert "没有指令" in operator.get(page).text
