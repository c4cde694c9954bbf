"""A small receipt layout and its encoding to ESC/POS bytes.

A receipt is a list of items (title, label/value lines, wrapped text, rules, a QR
code, a CODE128 barcode, a cut). ``Receipt.encode(options)`` turns it into the
bytes of one print job for a 58 mm (32 columns, 384 dots) or 80 mm (48 columns,
576 dots) printer.

Text is encoded here, not by python-escpos: its MagicEncode sends text as GB18030
only when it matches [\\u4e00-\\u9fa5], so CJK punctuation ("，。") and characters
outside that range fall through to code pages and print as "?". python-escpos
still builds the QR (``GS ( k``), raster image (``GS v 0``) and cut commands, collected
with its Dummy printer; the CODE128 barcode (``GS k``) is built here too (``code128``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import qrcode
from escpos.capabilities import get_profile
from escpos.printer import Dummy

from hardware.linebreak import break_lines
from hardware.printer.errors import ReceiptError

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
INIT = ESC + b"@"
CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."
ALIGN = {"left": ESC + b"a\x00", "center": ESC + b"a\x01", "right": ESC + b"a\x02"}
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
SIZE_NORMAL, SIZE_DOUBLE = GS + b"!\x00", GS + b"!\x11"

ENCODINGS = ("gb18030", "gbk", "utf-8")
QR_MODES = ("native", "image")


@dataclass(frozen=True)
class Paper:
    mm: int
    columns: int  # half-width characters per line (font A, 12 dots each)
    dots: int


PAPERS = {58: Paper(58, 32, 384), 80: Paper(80, 48, 576)}


@dataclass(frozen=True)
class PrintOptions:
    width: int = 80              # paper width in mm: 58 or 80
    encoding: str = "gb18030"    # gb18030, gbk or utf-8: what the printer's Chinese font reads
    chinese_mode: bool = True    # send FS & so the printer reads multi-byte text; off = printer default
    qr: str = "native"           # native (GS ( k) or image (GS v 0 raster)
    qr_size: int = 6             # QR module size in dots, 1-16

    def __post_init__(self) -> None:
        if self.width not in PAPERS:
            raise ReceiptError(f"paper width must be 58 or 80 mm (got {self.width!r})")
        if self.encoding not in ENCODINGS:
            raise ReceiptError(f"printer encoding must be one of {', '.join(ENCODINGS)} "
                               f"(got {self.encoding!r})")
        if self.qr not in QR_MODES:
            raise ReceiptError(f"QR mode must be native or image (got {self.qr!r})")
        if not 1 <= self.qr_size <= 16:
            raise ReceiptError(f"QR module size must be 1 to 16 dots (got {self.qr_size!r})")

    @property
    def paper(self) -> Paper:
        return PAPERS[self.width]


def char_width(ch: str) -> int:
    """Columns a character takes: GB printers print every multi-byte character full width."""
    return 1 if ch < "\x80" else 2


def text_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def wrap(text: str, columns: int) -> list[str]:
    """Break text into lines of at most `columns` columns (CJK counts 2), by the Chinese
    line-breaking rules (hardware.linebreak)."""
    return break_lines(text, lambda line: text_width(line) <= columns)


def clean(text: str, where: str) -> str:
    """Refuse control characters: the printer would take them as commands."""
    text = text.replace("\r\n", "\n").replace("\t", " ")
    for ch in text:
        if ch != "\n" and unicodedata.category(ch) == "Cc":
            raise ReceiptError(f"{where} contains a control character (U+{ord(ch):04X}) "
                               f"that the printer would take as a command")
    return text


# items -------------------------------------------------------------------------
@dataclass(frozen=True)
class Title:
    text: str


@dataclass(frozen=True)
class Line:
    label: str
    value: str


@dataclass(frozen=True)
class Text:
    text: str
    align: str = "left"


@dataclass(frozen=True)
class Rule:
    char: str = "-"


@dataclass(frozen=True)
class Qr:
    data: str


@dataclass(frozen=True)
class Barcode:
    data: str


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    pass


@dataclass
class Receipt:
    """Build with the chainable methods, then ``encode(options)``."""

    items: list = field(default_factory=list)

    def title(self, text: str) -> "Receipt":
        self.items.append(Title(text))
        return self

    def line(self, label: str, value: str) -> "Receipt":
        self.items.append(Line(label, value))
        return self

    def text(self, text: str, align: str = "left") -> "Receipt":
        if align not in ALIGN:
            raise ReceiptError(f"text alignment must be left, center or right (got {align!r})")
        self.items.append(Text(text, align))
        return self

    def rule(self, char: str = "-") -> "Receipt":
        if len(char) != 1 or char_width(char) != 1:
            raise ReceiptError("a rule is drawn with one half-width character")
        self.items.append(Rule(char))
        return self

    def qr(self, data: str) -> "Receipt":
        self.items.append(Qr(data))
        return self

    def barcode(self, data: str) -> "Receipt":
        self.items.append(Barcode(data))
        return self

    def feed(self, lines: int = 1) -> "Receipt":
        self.items.append(Feed(lines))
        return self

    def cut(self) -> "Receipt":
        self.items.append(Cut())
        return self

    def lines(self, options: PrintOptions) -> list[str]:
        """The text lines as printed (what wrapping produces), for checks and previews."""
        return [text for _, text in _laid_out(self.items, options.paper.columns)]

    def encode(self, options: PrintOptions | None = None) -> bytes:
        return encode(self, options or PrintOptions())


def _laid_out(items: list, columns: int) -> list[tuple[object, str]]:
    """(item, line) for every text line the items produce."""
    out: list[tuple[object, str]] = []
    for item in items:
        if isinstance(item, Title):
            for para in clean(item.text, "the title").split("\n"):
                out += [(item, ln) for ln in wrap(para, columns // 2)]
        elif isinstance(item, Line):
            label = clean(item.label, "a line label").replace("\n", " ")
            value = clean(item.value, "a line value").replace("\n", " ")
            gap = columns - text_width(label) - text_width(value)
            if gap >= 1:
                out.append((item, label + " " * gap + value))
            else:  # label on its own line, the value wrapped under it with an indent
                out += [(item, ln) for ln in wrap(label, columns)]
                out += [(item, "  " + ln) for ln in wrap(value, columns - 2)]
        elif isinstance(item, Text):
            for para in clean(item.text, "a text block").split("\n"):
                out += [(item, ln) for ln in wrap(para, columns)]
        elif isinstance(item, Rule):
            out.append((item, item.char * columns))
    return out


@lru_cache(maxsize=None)
def _profile(width: int):
    # A profile that knows the paper width: python-escpos prints a warning to stdout
    # on every image() when the width is "Unknown". Set on the instance only, as the
    # profile class's data is shared by every printer.
    profile = get_profile(None)
    data = dict(profile.profile_data)
    data["media"] = {"dpi": 203, "width": {"mm": width, "pixels": PAPERS[width].dots}}
    profile.profile_data = data
    return profile


def _encode_text(text: str, encoding: str) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        raise ReceiptError(f"the receipt has a character the printer encoding {encoding} cannot "
                           f"print; set the printer's encoding to gb18030") from None


def _qr_image(data: str, options: PrintOptions):
    code = qrcode.QRCode(box_size=options.qr_size, border=2,
                         error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    image = code.make_image().get_image().convert("1")
    if image.width > options.paper.dots:
        raise ReceiptError(f"the QR code is wider than {options.width} mm paper; "
                           f"shorten its data or use a smaller module size")
    return image


def _check_qr(data: str) -> str:
    data = clean(data, "the QR code data")
    if not data:
        raise ReceiptError("the QR code has no data")
    if len(data.encode("utf-8")) > 1000:
        raise ReceiptError("the QR code data is too long (at most 1000 bytes)")
    return data


BARCODE_MODULE = 2  # dots per CODE128 module (GS w)
QUIET_ZONE = 10     # modules of blank paper a scanner needs on each side of a CODE128 symbol


def code128(data: str) -> bytes:
    """The GS k 73 payload for `data` (printable ASCII): code set B, with runs of digits in
    code set C, two digits per symbol, wherever that makes the symbol shorter.

    A switch costs one symbol (two in the middle: there and back), so a run of digits goes to
    code set C when it has 4 or more digits at the start or the end, or 6 or more in the middle;
    an odd run keeps its first digit in code set B. ``SB20261123654321`` is then 11 symbols
    (145 modules, 290 dots) instead of 18 (422 dots, wider than 58 mm paper).
    """
    out, codeset, i = bytearray(), "", 0
    while i < len(data):
        run = next((j for j in range(i, len(data)) if not data[j].isdigit()), len(data)) - i
        edge = i == 0 or i + run == len(data)
        if run >= (4 if edge else 6) or run == len(data) == 2:
            if run % 2:
                out += (b"{B" if codeset != "B" else b"") + data[i].encode("ascii")
                codeset, i, run = "B", i + 1, run - 1
            out += b"{C" + bytes(int(data[k:k + 2]) for k in range(i, i + run, 2))
            codeset, i = "C", i + run
            continue
        if codeset != "B":
            out += b"{B"
            codeset = "B"
        out += b"{{" if data[i] == "{" else data[i].encode("ascii")
        i += 1
    return bytes(out)


def code128_modules(payload: bytes) -> int:
    """Width in modules of the symbol a GS k 73 payload prints: start, data and check symbols
    (11 modules each; "{X" pairs, the start and code set switches, are one symbol) and the stop (13)."""
    symbols, i = 0, 0
    while i < len(payload):
        i += 2 if payload[i] == 0x7B and i + 1 < len(payload) else 1
        symbols += 1
    return 11 * (symbols + 1) + 13


def _check_barcode(data: str, paper: Paper) -> bytes:
    """The CODE128 payload of `data`, refused when the symbol is wider than the paper."""
    if not data or any(not " " <= ch <= "~" for ch in data):
        raise ReceiptError("a CODE128 barcode takes 1 or more printable ASCII characters")
    payload = code128(data)
    if len(payload) > 255 or BARCODE_MODULE * (code128_modules(payload) + 2 * QUIET_ZONE) > paper.dots:
        raise ReceiptError(f"a barcode of {len(data)} characters is too long for {paper.mm} mm paper")
    return payload


def encode(receipt: Receipt, options: PrintOptions) -> bytes:
    """The ESC/POS bytes of one job: init, Chinese mode, the items, the cut."""
    printer = Dummy()
    printer.profile = _profile(options.width)
    raw = printer._raw
    raw(INIT + (CHINESE_ON if options.chinese_mode else b""))
    columns = options.paper.columns
    for item in receipt.items:
        if isinstance(item, (Title, Line, Text, Rule)):
            lines = [ln for _, ln in _laid_out([item], columns)]
            body = b"".join(_encode_text(ln, options.encoding) + b"\n" for ln in lines)
            if isinstance(item, Title):
                raw(ALIGN["center"] + BOLD_ON + SIZE_DOUBLE + body + SIZE_NORMAL + BOLD_OFF
                    + ALIGN["left"])
            elif isinstance(item, Text) and item.align != "left":
                raw(ALIGN[item.align] + body + ALIGN["left"])
            else:
                raw(body)
        elif isinstance(item, Qr):
            data = _check_qr(item.data)
            raw(ALIGN["center"])
            if options.qr == "native":
                printer.qr(data, size=options.qr_size, ec=1, native=True)  # ec 1 = level M
                raw(b"\n")
            else:
                printer.image(_qr_image(data, options), impl="bitImageRaster")
            raw(ALIGN["left"])
        elif isinstance(item, Barcode):
            payload = _check_barcode(item.data, options.paper)
            # GS k 73 written here: python-escpos' barcode() sends its data as UTF-8 text, and
            # code set C's symbols are bytes 0-99, not text
            raw(ALIGN["center"] + GS + b"h" + bytes([64]) + GS + b"w" + bytes([BARCODE_MODULE])
                + GS + b"f\x00" + GS + b"H\x02" + GS + b"k\x49" + bytes([len(payload)]) + payload)
            raw(b"\n" + ALIGN["left"])
        elif isinstance(item, Feed):
            raw(ESC + b"d" + bytes([max(0, min(item.lines, 255))]))
        elif isinstance(item, Cut):
            printer.cut()
    return printer.output
