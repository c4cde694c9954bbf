"""Security headers: the console's pages may not be framed, leak no referrer, run no script and
take styles only from their own stylesheet; every answer, API ones too, is nosniff."""

import base64
import hashlib
import re
import shutil
import subprocess

import pytest
import requests
from PIL import Image

from testing.fleet import beat, terminal

CHROMIUM = shutil.which("chromium")
HEADER_BLUE = (0x1F, 0x3A, 0x5F)  # base.html's header background


def directives(answer):
    policy = answer.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_console_headers(answer):
    where = f"{answer.request.method} {answer.url} ({answer.status_code})"
    csp = directives(answer)
    assert csp.get("default-src") == ["'none'"], where
    assert "script-src" not in csp, where  # default-src 'none': no script at all, inline or not
    assert csp.get("frame-ancestors") == ["'none'"] and csp.get("base-uri") == ["'none'"], where
    assert csp.get("form-action") == ["'self'"] and csp.get("img-src") == ["'self'"], where
    assert not any("unsafe" in value for values in csp.values() for value in values), where
    assert answer.headers.get("X-Frame-Options") == "DENY", where
    assert answer.headers.get("Referrer-Policy") == "no-referrer", where
    assert answer.headers.get("X-Content-Type-Options") == "nosniff", where


def test_every_console_answer_carries_the_headers(hall, operator):
    terminal(hall, "fl-09").post("/api/v1/heartbeat", beat())
    anonymous = [requests.get(hall.base + path, allow_redirects=False, timeout=30)
                 for path in ("/console/login", "/console/", "/console/terminals/fl-09", "/console/nowhere")]
    assert [a.status_code for a in anonymous] == [200, 303, 303, 404]
    pages = [operator.get(path) for path in ("/console/", "/console/?state=red", "/console/terminals/fl-09")]
    assert {p.status_code for p in pages} == {200}
    missing = operator.get("/console/terminals/no-such-terminal")
    assert missing.status_code == 404
    bad_form = operator.http.post(hall.base + "/console/terminals/fl-09/commands", data={"kind": "restart"},
                                  allow_redirects=False, timeout=30)
    assert bad_form.status_code == 403
    for answer in [*anonymous, *pages, missing, bad_form, operator.answer]:
        assert_console_headers(answer)


def test_pages_have_no_inline_script_and_their_stylesheet_is_the_one_allowed(hall, operator):
    for path in ("/console/", "/console/terminals/fl-09"):
        page = operator.get(path)
        html = page.text
        assert "<script" not in html.lower() and not re.search(r"\son\w+\s*=", html), path  # no handlers
        assert not re.search(r"\sstyle\s*=", html), f"{path}: a style attribute needs 'unsafe-inline'"
        sheets = re.findall(r"<style>(.*?)</style>", html, re.S)
        assert len(sheets) == 1, path
        digest = base64.b64encode(hashlib.sha256(sheets[0].encode()).digest()).decode()
        assert directives(page)["style-src"] == [f"'sha256-{digest}'"], path


def test_api_answers_are_nosniff(hall):
    answers = [requests.get(hall.base + "/api/v1/health", timeout=30),
               requests.get(hall.base + "/api/v1/catalog", timeout=30),  # 401 unsigned
               terminal(hall, "fl-09").post("/api/v1/heartbeat", beat()),
               terminal(hall, "fl-09").post("/api/v1/heartbeat", beat(cpu_percent=300)),  # 422
               requests.get(hall.base + "/metrics", timeout=30)]
    assert [a.status_code for a in answers] == [200, 401, 200, 422, 200]
    for answer in answers:
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", answer.url


@pytest.mark.skipif(CHROMIUM is None, reason="apt-get install chromium")
def test_chromium_applies_the_policy_and_still_draws_the_page(hall, tmp_path):
    """The login page straight from the hall, headers and all: with the stylesheet's hash wrong
    (or missing) Chromium would refuse the styles and draw no blue header."""
    shot = tmp_path / "login.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=800,400",
                    hall.base + "/console/login"], check=True, timeout=120, capture_output=True)
    colours = Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 20)
    assert sum(count for count, colour in colours if colour == HEADER_BLUE) > 5000, "the stylesheet was refused"
