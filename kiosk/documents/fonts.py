"""The Chinese face for PDFs, embedded: a subset of the Noto Sans CJK SC face kiosk.fonts finds.

reportlab embeds TrueType outlines only, and Noto Sans CJK has CFF (cubic) ones. So for
each document the face is cut down to the characters it uses (fontTools subset) and its
outlines turned into quadratic TrueType glyphs (cu2qu): a few kilobytes, in well under a
second, where converting the whole 65,000-glyph face would take minutes and 30 MB.
"""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import table__g_l_y_f

_lock = threading.Lock()
_registered: set[str] = set()
MAXP_ZERO = ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours", "maxTwilightPoints",
             "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
             "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth")


def truetype_subset(path: Path, text: str, name: str = "") -> bytes:
    """A TrueType font with the glyphs of `text` (and .notdef) from the OpenType face at `path`,
    named `name` if given (reportlab keeps one face per PostScript name: each subset needs its own)."""
    font = TTFont(path, lazy=True)
    options = subset.Options()
    options.layout_features, options.name_IDs, options.notdef_outline, options.hinting = [], ["*"], True, False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text + " ")
    subsetter.subset(font)
    if "CFF " in font:
        order, glyphs = font.getGlyphOrder(), font.getGlyphSet()
        glyf = table__g_l_y_f()
        glyf.glyphOrder, glyf.glyphs = order, {}
        for glyph in order:
            pen = TTGlyphPen(glyphs)
            glyphs[glyph].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyf.glyphs[glyph] = pen.glyph()
        font["glyf"], font["loca"] = glyf, newTable("loca")
        for tag in ("CFF ", "VORG"):
            if tag in font:
                del font[tag]
        maxp = font["maxp"]
        maxp.tableVersion, maxp.maxZones = 0x00010000, 1
        for field in MAXP_ZERO:
            setattr(maxp, field, 0)
        font["head"].glyphDataFormat = 0
        font["post"].formatType = 3.0
        font.sfntVersion = "\0\1\0\0"
    if name:
        for record in font["name"].names:
            if record.nameID in (4, 6):
                record.string = name
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def register(path: Path, text: str) -> str:
    """Register the subset for `text` with reportlab; returns its font name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont as ReportlabTTFont
    chars = "".join(sorted(set(text + "0123456789 ")))
    name = "cjk-" + hashlib.sha1(f"{path}\0{chars}".encode()).hexdigest()[:12]
    with _lock:
        if name not in _registered:
            pdfmetrics.registerFont(ReportlabTTFont(name, io.BytesIO(truetype_subset(path, chars, name))))
            _registered.add(name)
    return name
