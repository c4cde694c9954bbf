"""A4 pages drawn with reportlab, Chinese text in an embedded subset of the SC face.

A `Document` records what to draw (text, wrapped paragraphs, rows of label and value,
images, a QR code) and lays it out from the top of an A4 page down, starting a new
page when one is full. Only at `pdf()` does it know every character it uses, so the
font subset is cut then (kiosk.documents.fonts).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from kiosk.documents import fonts

WIDTH, HEIGHT = A4
MARGIN = 20 * mm
BODY = 11  # points


@dataclass
class Document:
    title: str
    regular: Path
    bold: Path
    author: str = ""
    _ops: list[tuple[str, tuple]] = field(default_factory=list)
    _footer: str = ""

    # what to draw ---------------------------------------------------------------
    def heading(self, text: str, size: float = 20, gap: float = 8 * mm) -> None:
        self._ops.append(("heading", (text, size, gap)))

    def text(self, text: str, size: float = BODY, bold: bool = False, align: str = "left",
             gap: float = 2 * mm) -> None:
        self._ops.append(("text", (text, size, bold, align, gap)))

    def rows(self, rows: list[tuple[str, str]], size: float = BODY, label_width: float = 42 * mm) -> None:
        self._ops.append(("rows", (rows, size, label_width)))

    def image(self, data: bytes, width: float, height: float, caption: str = "") -> None:
        self._ops.append(("image", (data, width, height, caption)))

    def qr(self, data: str, size: float, lines: list[str]) -> None:
        """A QR code at the left with `lines` of text beside it."""
        self._ops.append(("qr", (data, size, lines)))

    def space(self, height: float) -> None:
        self._ops.append(("space", (height,)))

    def footer(self, text: str) -> None:
        self._footer = text

    # drawing --------------------------------------------------------------------
    def _all_text(self) -> str:
        parts = [self.title, self._footer]
        for kind, args in self._ops:
            if kind in ("heading", "text"):
                parts.append(args[0])
            elif kind == "rows":
                parts += [f"{a}{b}" for a, b in args[0]]
            elif kind == "image":
                parts.append(args[3])
            elif kind == "qr":
                parts += args[2]
        return "".join(parts) + "第页共/"

    def pdf(self) -> bytes:
        from reportlab.pdfgen import canvas
        text = self._all_text()
        regular, bold = fonts.register(self.regular, text), fonts.register(self.bold, text)
        out = io.BytesIO()
        page = canvas.Canvas(out, pagesize=A4, invariant=True)
        page.setTitle(self.title)
        page.setAuthor(self.author)
        _Pen(page, regular, bold, self._footer).run(self._ops)
        page.save()
        return out.getvalue()


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of at most `width` points; breaks anywhere in Chinese, at spaces in Latin words."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for ch in paragraph:
            if stringWidth(line + ch, font, size) <= width:
                line += ch
                continue
            cut = line.rfind(" ")
            if ch != " " and cut > 0 and line[cut + 1:].isascii() and line[cut + 1:].isalnum():
                lines.append(line[:cut])
                line = line[cut + 1:] + ch
            else:
                lines.append(line)
                line = "" if ch == " " else ch
        lines.append(line)
    return lines


class _Pen:
    def __init__(self, page, regular: str, bold: str, footer: str) -> None:
        self.page, self.regular, self.bold, self.footer = page, regular, bold, footer
        self.y = HEIGHT - MARGIN
        self.number = 1

    def run(self, ops: list[tuple[str, tuple]]) -> None:
        draw: dict[str, Callable] = {"heading": self._heading, "text": self._text, "rows": self._rows,
                                     "image": self._image, "qr": self._qr, "space": self._space}
        for kind, args in ops:
            draw[kind](*args)
        self._finish_page()

    def _need(self, height: float) -> None:
        if self.y - height < MARGIN + 12 * mm:
            self._finish_page()
            self.page.showPage()
            self.number += 1
            self.y = HEIGHT - MARGIN

    def _finish_page(self) -> None:
        self.page.setFont(self.regular, 8)
        self.page.setFillColorRGB(0.35, 0.35, 0.35)
        if self.footer:
            self.page.drawString(MARGIN, MARGIN - 4 * mm, self.footer)
        self.page.drawRightString(WIDTH - MARGIN, MARGIN - 4 * mm, f"第 {self.number} 页")
        self.page.setFillColorRGB(0, 0, 0)

    def _space(self, height: float) -> None:
        self.y -= height

    def _heading(self, text: str, size: float, gap: float) -> None:
        self._text(text, size, True, "center", gap)

    def _text(self, text: str, size: float, bold: bool, align: str, gap: float) -> None:
        font = self.bold if bold else self.regular
        for line in wrap(text, font, size, WIDTH - 2 * MARGIN):
            self._need(size * 1.5)
            self.y -= size * 1.5
            self.page.setFont(font, size)
            if align == "center":
                self.page.drawCentredString(WIDTH / 2, self.y, line)
            else:
                self.page.drawString(MARGIN, self.y, line)
        self.y -= gap

    def _rows(self, rows: list[tuple[str, str]], size: float, label_width: float) -> None:
        value_width = WIDTH - 2 * MARGIN - label_width - 4 * mm
        for label, value in rows:
            lines = wrap(value or "—", self.regular, size, value_width)
            height = max(1, len(lines)) * size * 1.45 + 3 * mm
            self._need(height)
            top = self.y
            self.page.setLineWidth(0.5)
            self.page.rect(MARGIN, top - height, WIDTH - 2 * MARGIN, height)
            self.page.line(MARGIN + label_width, top, MARGIN + label_width, top - height)
            self.page.setFont(self.bold, size)
            self.page.drawString(MARGIN + 2 * mm, top - 1.5 * mm - size * 1.1, label)
            self.page.setFont(self.regular, size)
            for i, line in enumerate(lines):
                self.page.drawString(MARGIN + label_width + 2 * mm, top - 1.5 * mm - size * 1.1 - i * size * 1.45,
                                     line)
            self.y = top - height
        self.y -= 4 * mm

    def _image(self, data: bytes, width: float, height: float, caption: str) -> None:
        from reportlab.lib.utils import ImageReader
        self._need(height + 8 * mm)
        if caption:
            self.page.setFont(self.regular, BODY)
            self.page.drawString(MARGIN, self.y - BODY * 1.2, caption)
            self.y -= BODY * 1.6
        self.page.drawImage(ImageReader(io.BytesIO(data)), MARGIN, self.y - height, width, height,
                            preserveAspectRatio=True, anchor="sw", mask="auto")
        self.y -= height + 4 * mm

    def _qr(self, data: str, size: float, lines: list[str]) -> None:
        from reportlab.graphics import renderPDF
        from reportlab.graphics.barcode.qr import QrCodeWidget
        from reportlab.graphics.shapes import Drawing
        self._need(size + 4 * mm)
        widget = QrCodeWidget(data, barLevel="M")
        x0, y0, x1, y1 = widget.getBounds()
        drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, self.page, MARGIN, self.y - size)
        self.page.setFont(self.regular, 10)
        for i, line in enumerate(lines):
            self.page.drawString(MARGIN + size + 6 * mm, self.y - 6 * mm - i * 15, line)
        self.y -= size + 4 * mm
