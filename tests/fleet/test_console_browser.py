"""The console list in headless Chromium (Debian's `chromium`), terminals in every state.

Chromium's --screenshot mode cannot log in, so the page is fetched as a logged-in
operator and Chromium renders that HTML (self-contained: inline CSS, no scripts).
With KIOSK_GALLERY set (`bash scripts/dev screens` sets it to docs/screens) the PNG is kept
there as fleet-console.png for people to look at; a plain test run leaves the checkout alone.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from testing.fleet import OFFLINE_AFTER, beat, terminal

CHROMIUM = shutil.which("chromium")
GALLERY = os.environ.get("KIOSK_GALLERY")
BADGES = {"green": (0x1E, 0x7B, 0x34), "yellow": (0xF2, 0xC2, 0x00), "red": (0xB3, 0x26, 0x1E),
          "offline": (0x5F, 0x63, 0x68)}


@pytest.mark.skipif(CHROMIUM is None, reason="apt-get install chromium")
def test_console_in_chromium(hall, operator, tmp_path):
    terminal(hall, "fl-04").post("/api/v1/heartbeat", beat())
    time.sleep(OFFLINE_AFTER + 0.5)  # fl-04 goes quiet: offline
    for terminal_id, body in {"fl-01": beat(), "fl-02": beat(paper="low"), "fl-03": beat(printer="offline"),
                              "fl-05": beat(outbox=31), "fl-06": beat(errors=["catalogue sync failed"])}.items():
        assert terminal(hall, terminal_id).post("/api/v1/heartbeat", body).status_code == 200
    html = operator.get("/console/").text
    for state in BADGES:
        assert f'class="badge {state}"' in html
    page, shot = tmp_path / "console.html", tmp_path / "console.png"
    page.write_text(html, encoding="utf-8")
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,900",
                    page.as_uri()], check=True, timeout=120, capture_output=True)
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 900)
    colours = image.getcolors(maxcolors=1 << 20)
    assert len(colours) > 50, "the screenshot is blank"
    for state, rgb in BADGES.items():
        badge_pixels = sum(count for count, colour in colours if colour == rgb)
        assert badge_pixels > 200, f"no {state} badge drawn"
    if GALLERY:
        Path(GALLERY).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(GALLERY) / "fleet-console.png")
