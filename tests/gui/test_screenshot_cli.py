"""`kiosk screenshot` renders a real frame offscreen: checked by its pixels."""

import pytest
from PIL import Image

from screens.theme import ELDERLY_PALETTE, NORMAL_PALETTE, rgba
from testing.processes import run_kiosk

pytestmark = pytest.mark.gui


def _rgb(hex_colour):
    return tuple(round(c * 255) for c in rgba(hex_colour)[:3])


def _near(a, b, tolerance=6):
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


def test_screenshots_in_both_languages_and_modes(tmp_path):
    shots = {}
    for lang in ("zh", "en"):
        for elderly in (False, True):
            out = tmp_path / f"home-{lang}-{elderly}.png"
            args = ["screenshot", "home", "--out", str(out), "--lang", lang, "--size", "540x960"]
            result = run_kiosk(*args, *(["--elderly"] if elderly else []))
            assert result.returncode == 0, result.stderr
            image = Image.open(out).convert("RGB")
            assert image.size == (540, 960)
            palette = ELDERLY_PALETTE if elderly else NORMAL_PALETTE
            assert _near(image.getpixel((270, 5)), _rgb(palette.bar)), "top bar colour"
            assert len(image.getcolors(1 << 20)) > 50, "a real frame, not a blank one"
            shots[lang, elderly] = image.tobytes()
    assert len(set(shots.values())) == 4


def test_idle_warning_screenshot_shows_the_warning(tmp_path):
    out = tmp_path / "idle.png"
    result = run_kiosk("screenshot", "idle-warning", "--out", str(out), "--size", "540x960")
    assert result.returncode == 0, result.stderr
    image = Image.open(out).convert("RGB")
    assert _near(image.getpixel((270, 480)), _rgb(NORMAL_PALETTE.warning), 40)


def test_unwritable_output_is_one_line(tmp_path):
    result = run_kiosk("screenshot", "home", "--out", str(tmp_path / "no" / "such" / "dir.png"))
    assert result.returncode == 1
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr
