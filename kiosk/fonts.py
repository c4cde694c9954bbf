"""Find a single-face Simplified Chinese font, or say plainly why there is none.

SDL_ttf opens face 0 of a .ttc, and face 0 of Noto Sans CJK is the Japanese one
(直 骨 角 come out in their Japanese forms). So we use a single-face file: one the
admin names in ui.font, one already in assets/fonts, or the SC face extracted
from Debian's Noto Sans CJK collection (fonts-noto-cjk) with fontTools.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from kiosk import paths
from kiosk.errors import FontError

# Characters every screen needs; 直骨角 have distinct Chinese and Japanese forms.
REQUIRED = "办事指南请刷身份证或点击屏幕开始长辈版直骨角，。"
COLLECTIONS = [
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-{weight}.ttc"),
]
SC_FAMILY = "Noto Sans CJK SC"
HOW_TO_FIX = ("install a Simplified Chinese font (Debian/Ubuntu: apt install fonts-noto-cjk) "
              "or set ui.font to a single-face .otf/.ttf that covers Chinese")


@dataclass(frozen=True)
class FontPair:
    regular: Path
    bold: Path


def _missing_glyphs(path: Path) -> str:
    from fontTools.ttLib import TTFont, TTLibError
    try:
        cmap = TTFont(path, lazy=True, fontNumber=0)["cmap"].getBestCmap()
    except (TTLibError, OSError, KeyError) as e:
        raise FontError(f"font {path} cannot be read ({e}); {HOW_TO_FIX}") from None
    return "".join(ch for ch in REQUIRED if ord(ch) not in cmap)


def _extract_sc_face(collection: Path, out: Path) -> bool:
    from fontTools.ttLib import TTCollection
    fonts = TTCollection(collection, lazy=True).fonts
    for font in fonts:
        if font["name"].getDebugName(1) == SC_FAMILY:
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(".tmp")
            font.save(tmp)
            tmp.replace(out)
            return True
    return False


def _bundled(weight: str, cache_dirs: list[Path]) -> Path | None:
    name = f"NotoSansCJKsc-{weight}.otf"
    for folder in [paths.FONTS, *cache_dirs]:
        if (folder / name).is_file():
            return folder / name
    for template in COLLECTIONS:
        collection = Path(str(template).format(weight=weight))
        if not collection.is_file():
            continue
        for folder in [paths.FONTS, *cache_dirs]:
            try:
                if _extract_sc_face(collection, folder / name):
                    return folder / name
            except OSError:
                continue  # not writable here; try the next folder
    return None


def find_cjk_font(configured: str = "", cache_dirs: list[Path] | None = None) -> FontPair:
    """The font pair to register as the app's default; raises FontError if none fits."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontError(f"ui.font: {path} does not exist; {HOW_TO_FIX}")
        if path.suffix.lower() in (".ttc", ".otc"):
            raise FontError(f"ui.font: {path} is a font collection, whose first face may not "
                            f"be Chinese; use a single-face .otf/.ttf")
        missing = _missing_glyphs(path)
        if missing:
            raise FontError(f"ui.font: {path} lacks Chinese characters ({missing[:8]}); {HOW_TO_FIX}")
        return FontPair(path, path)
    regular = _bundled("Regular", cache_dirs or [])
    if regular is None:
        raise FontError(f"no Simplified Chinese font found; {HOW_TO_FIX}")
    bold = _bundled("Bold", cache_dirs or []) or regular
    return FontPair(regular, bold)


if __name__ == "__main__":  # used by the set-up script to prepare assets/fonts once
    try:
        pair = find_cjk_font()
    except FontError as e:
        sys.exit(f"kiosk: {e}")
    print(f"font: {pair.regular} (bold: {pair.bold})")
