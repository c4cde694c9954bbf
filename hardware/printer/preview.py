"""Render a parsed print job to a PNG preview, one image pixel per printer dot.

Text is laid out in the printer's character cells (12 dots per half-width
column, 24 per full-width character, times the magnification) and wraps at the
paper edge as a printer does, so a line that is too long shows as one.
QR codes are drawn from the stored data with `qrcode`, CODE128 barcodes symbol by symbol
as the printer was told (code sets, switches; python-barcode's table of bar patterns) and
left out, as a printer does, when wider than the paper; raster images as received. Text is drawn in
the fonts the caller passes (the terminal's: kiosk.fonts).
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import qrcode
from PIL import Image, ImageDraw, ImageFont

from hardware.printer.stream import Barcode, Feed, Job, QrCode, Raster, TextLine

CELL = 12          # dots per half-width column at normal size
LINE = 30          # default line spacing in dots (ESC 2)
MARGIN = 16        # blank paper around the printable area (also the QR quiet zone)
_INVERT = bytes(255 - b for b in range(256))
_QR_LEVELS = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
              "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}


class Fonts(Protocol):
    """A regular and a bold font file that cover Chinese (kiosk.fonts.FontPair is one)."""

    @property
    def regular(self) -> Path: ...

    @property
    def bold(self) -> Path: ...


@lru_cache(maxsize=16)
def _face(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _font(fonts: Fonts, bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return _face(fonts.bold if bold else fonts.regular, size)


def _x(align: int, width: int, dots: int) -> int:
    return {0: 0, 1: (dots - width) // 2, 2: dots - width}.get(align, 0)


def _text(line: TextLine, dots: int, fonts: Fonts) -> Image.Image:
    # place every character in its cell; break into rows where the paper ends
    rows: list[list[tuple]] = [[]]
    used = 0
    for run in line.runs:
        size = 24 * run.style.height
        for ch in run.text:
            cell = CELL * run.style.width * (2 if run.multibyte and ch >= "\x80" else 1)
            if used + cell > dots:
                rows.append([])
                used = 0
            rows[-1].append((ch, cell, run.style))
            used += cell
    heights = [max((24 * s.height for _, _, s in row), default=24) + LINE - 24 for row in rows]
    image = Image.new("L", (dots, sum(heights)), 255)
    draw = ImageDraw.Draw(image)
    top = 0
    for row, height in zip(rows, heights):
        x = _x(line.align, sum(cell for _, cell, _ in row), dots)
        for ch, cell, style in row:
            font = _font(fonts, style.bold, 24 * style.height)
            glyph = font.getlength(ch)
            # baseline at 88 % of the character cell: CJK faces have a 12 % descent
            baseline = top + height - (LINE - 24) - round(24 * style.height * 0.12)
            draw.text((x + (cell - glyph) / 2, baseline), ch, font=font, fill=0, anchor="ls")
            x += cell
        top += height
    return image


def _qr(block: QrCode, dots: int, fonts: Fonts) -> Image.Image:
    try:
        code = qrcode.QRCode(box_size=max(1, block.module), border=0,
                             error_correction=_QR_LEVELS[block.level])
        code.add_data(block.data)
        code.make(fit=True)
        symbol = code.make_image().get_image().convert("L")
    except (ValueError, qrcode.exceptions.DataOverflowError):
        return _note("[QR code: data too long for any QR version]", dots, fonts)
    image = Image.new("L", (dots, symbol.height + 2 * LINE), 255)
    image.paste(symbol, (max(0, _x(block.align, symbol.width, dots)), LINE))
    return image


def _raster(block: Raster, dots: int) -> Image.Image:
    size = (block.width_bytes * 8, block.height)
    if not size[0] or not size[1]:
        return Image.new("L", (dots, 1), 255)
    bitmap = Image.frombytes("1", size, block.data.translate(_INVERT)).convert("L")
    image = Image.new("L", (dots, block.height), 255)
    image.paste(bitmap, (max(0, _x(block.align, size[0], dots)), 0))
    return image


def code128_symbols(payload: bytes) -> list[int] | None:
    """The symbol values a GS k 73 payload stands for, with the check symbol the printer adds
    (without the stop); None when it does not start with a code set ({A, {B or {C)."""
    if len(payload) < 3 or payload[0] != 0x7B or chr(payload[1]) not in "ABC":
        return None
    codeset = chr(payload[1])
    values, i = [{"A": 103, "B": 104, "C": 105}[codeset]], 2
    while i < len(payload):
        byte = payload[i]
        if byte == 0x7B and i + 1 < len(payload) and payload[i + 1] != 0x7B:
            f = chr(payload[i + 1])
            switch = {"A": 101, "B": 100, "C": 99, "S": 98, "1": 102, "2": 97, "3": 96,
                      "4": 101 if codeset == "A" else 100}.get(f)
            if switch is None or f == codeset:
                return None
            values.append(switch)
            codeset = f if f in "ABC" else codeset
            i += 2
            continue
        i += 2 if byte == 0x7B else 1  # "{{" is a "{"
        if codeset == "C":
            if byte > 99:
                return None
            values.append(byte)
        elif codeset == "B":
            if not 32 <= byte < 128:
                return None
            values.append(byte - 32)
        else:
            if byte >= 96:
                return None
            values.append(byte + 64 if byte < 32 else byte - 32)
    values.append((values[0] + sum(k * v for k, v in enumerate(values[1:], 1))) % 103)
    return values


def _code128_modules(payload: bytes) -> str | None:
    from barcode.charsets.code128 import CODES, STOP
    values = code128_symbols(payload)
    return None if values is None else "".join(CODES[v] for v in values) + STOP + "11"


def _barcode(block: Barcode, dots: int, fonts: Fonts) -> Image.Image:
    modules = _code128_modules(block.payload) if block.kind == 73 else None
    if not modules:
        return _note(f"[barcode type {block.kind}: {block.data}]", dots, fonts)
    unit = max(1, block.module)
    if len(modules) * unit > dots:  # a printer leaves out a barcode wider than its paper
        return _note(f"[barcode wider than the paper, not printed: {block.data}]", dots, fonts)
    height = max(1, block.height)
    hri = 30 if block.hri in (1, 2, 3) else 0
    image = Image.new("L", (dots, height + hri + 8), 255)
    draw = ImageDraw.Draw(image)
    x0 = max(0, _x(block.align, len(modules) * unit, dots))
    for k, bit in enumerate(modules):
        if bit == "1":
            draw.rectangle([x0 + k * unit, 0, x0 + (k + 1) * unit - 1, height - 1], fill=0)
    if hri:
        font = _font(fonts, False, 24)
        draw.text(((dots - font.getlength(block.data)) / 2, height + 4), block.data,
                  font=font, fill=0)
    return image


def _note(text: str, dots: int, fonts: Fonts) -> Image.Image:
    image = Image.new("L", (dots, LINE), 255)
    ImageDraw.Draw(image).text((0, 4), text[:60], font=_font(fonts, False, 20), fill=0)
    return image


def render(job: Job, dots: int, fonts: Fonts) -> Image.Image:
    """The job as printed on paper `dots` wide (384 for 58 mm, 576 for 80 mm)."""
    parts: list[Image.Image] = []
    for block in job.blocks:
        if isinstance(block, TextLine):
            parts.append(_text(block, dots, fonts))
        elif isinstance(block, QrCode):
            parts.append(_qr(block, dots, fonts))
        elif isinstance(block, Raster):
            parts.append(_raster(block, dots))
        elif isinstance(block, Barcode):
            parts.append(_barcode(block, dots, fonts))
        elif isinstance(block, Feed) and block.dots:
            parts.append(Image.new("L", (dots, min(block.dots, 2000)), 255))
    height = sum(p.height for p in parts) + 2 * MARGIN
    paper = Image.new("L", (dots + 2 * MARGIN, height), 255)
    top = MARGIN
    for part in parts:
        paper.paste(part, (MARGIN, top))
        top += part.height
    return paper


def render_png(job: Job, dots: int, fonts: Fonts) -> bytes:
    out = io.BytesIO()
    render(job, dots, fonts).save(out, format="PNG")
    return out.getvalue()
