"""The CJK font (Chinese glyph forms, refusal without one) and the gettext catalogs."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops, ImageDraw, ImageFont

from kiosk import fonts, i18n, paths
from kiosk.errors import FontError
from testing.processes import run_kiosk

ROOT = Path(__file__).resolve().parent.parent


def _render(font_path, text, index=0):
    font = ImageFont.truetype(str(font_path), 96, index=index)
    image = Image.new("L", (360, 120), 0)
    ImageDraw.Draw(image).text((0, 0), text, fill=255, font=font)
    return image


def test_the_font_is_single_face_simplified_chinese():
    pair = fonts.find_cjk_font()
    font = TTFont(pair.regular, lazy=True)
    assert font["name"].getDebugName(1) == "Noto Sans CJK SC"
    assert not str(pair.regular).endswith(".ttc")


def test_zhi_gu_jiao_have_their_chinese_forms():
    """Face 0 of the Noto collection (Japanese) draws 直骨角 differently from the SC font we use."""
    collection = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    if not collection.exists():
        pytest.skip("fonts-noto-cjk not installed")
    ours = fonts.find_cjk_font().regular
    for ch in "直骨角":
        japanese = _render(collection, ch, index=0)
        chinese_face = _render(collection, ch, index=2)
        used = _render(ours, ch)
        assert ImageChops.difference(used, chinese_face).getbbox() is None, ch
        assert ImageChops.difference(used, japanese).getbbox() is not None, ch


def test_a_font_without_chinese_is_refused(tmp_path):
    latin = next(Path("/usr/share/fonts").rglob("DejaVuSans.ttf"), None)
    if latin is None:
        pytest.skip("no DejaVu font to try")
    with pytest.raises(FontError, match="lacks Chinese characters"):
        fonts.find_cjk_font(str(latin))
    with pytest.raises(FontError, match="is a font collection"):
        fonts.find_cjk_font("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    with pytest.raises(FontError, match="does not exist"):
        fonts.find_cjk_font(str(tmp_path / "none.otf"))


def test_the_app_refuses_to_start_without_a_cjk_font(write_config, tmp_path):
    bad = tmp_path / "fake.otf"
    bad.write_bytes(b"not a font")
    path = write_config(f'[ui]\nfont = "{bad}"\n')
    result = run_kiosk("--config", str(path), "screenshot", "home", "--out", str(tmp_path / "x.png"))
    assert result.returncode == 4
    assert "cannot be read" in result.stderr and "fonts-noto-cjk" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "x.png").exists()


def _catalog(lang):
    with open(paths.LOCALE / i18n.LOCALE_OF[lang] / "LC_MESSAGES" / "kiosk.po", "rb") as f:
        return read_po(f)


def _message_ids_in_code():
    ids = set()
    for path in list((ROOT / "screens").glob("*.kv")) + list((ROOT / "screens").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        ids |= set(re.findall(r'app\.t\("((?:[^"\\]|\\.)+)"', text))
        ids |= set(re.findall(r'msgid="([^"]+)"', text))
        ids |= set(re.findall(r'(?:title|label|hint): "([^"]+)"', text))
    from testing.messages import python_message_ids
    return ids | python_message_ids()


def test_every_message_on_screen_has_a_chinese_translation():
    zh = _catalog("zh")
    missing = [m for m in _message_ids_in_code() if not (zh.get(m) and zh.get(m).string)]
    assert missing == []


def test_compiled_catalogs_match_their_sources():
    for lang in ("zh", "en"):
        compiled = i18n.catalog(lang)
        for message in _catalog(lang):
            if message.id:
                expected = message.string or message.id
                assert compiled.gettext(message.id) == expected, f"run scripts/dev i18n ({lang})"


def test_translation_switches_language():
    assert i18n.translate("Service guides", "zh") == "办事指南"
    assert i18n.translate("Service guides", "en") == "Service guides"
