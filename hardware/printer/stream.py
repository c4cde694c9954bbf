"""Parse an ESC/POS byte stream into print jobs, the way a receipt printer reads it.

``StreamParser.feed(data)`` takes bytes in any chunks (a command may be split
across calls) and returns events: ``StatusRequest(n)`` for every DLE EOT n, and
``Job`` for every cut (GS V), which ends a job. Text is decoded per line: in
Chinese mode (FS &) with the printer's multi-byte encoding, outside it one byte
per character (code page 437, as an Epson-style printer would print it).
Unknown commands are skipped; no input makes the parser raise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
LF = 0x0A
QR_LEVELS = {48: "L", 49: "M", 50: "Q", 51: "H"}

# Commands with a fixed total length (prefix, command byte) -> bytes
_FIXED = {
    ESC: {0x40: 2, 0x21: 3, 0x45: 3, 0x47: 3, 0x61: 3, 0x64: 3, 0x4A: 3, 0x2D: 3, 0x4D: 3,
          0x33: 3, 0x32: 2, 0x74: 3, 0x52: 3, 0x56: 3, 0x7B: 3, 0x20: 3, 0x63: 4, 0x24: 4,
          0x5C: 4, 0x70: 5, 0x42: 4, 0x69: 2, 0x6D: 2, 0x55: 3, 0x72: 3, 0x25: 3, 0x3D: 3,
          0x4C: 2, 0x53: 2, 0x54: 3, 0x57: 10, 0x3F: 3, 0x65: 3, 0x75: 3, 0x76: 2},
    GS: {0x21: 3, 0x68: 3, 0x77: 3, 0x48: 3, 0x66: 3, 0x42: 3, 0x62: 3, 0x61: 3, 0x72: 3,
         0x49: 3, 0x4C: 4, 0x57: 4, 0x24: 4, 0x5C: 4, 0x50: 4, 0x54: 3, 0x3A: 2, 0x2F: 3,
         0x45: 3, 0x5E: 5, 0x7C: 3, 0x63: 2},
    FS: {0x26: 2, 0x2E: 2, 0x21: 3, 0x57: 3, 0x2D: 3, 0x43: 3, 0x53: 4, 0x70: 4, 0x32: 76,
         0x3F: 3, 0x55: 2},
}


@dataclass(frozen=True)
class Style:
    bold: bool = False
    width: int = 1   # character magnification
    height: int = 1


@dataclass(frozen=True)
class Run:
    text: str
    style: Style
    multibyte: bool  # decoded in Chinese mode: non-ASCII characters are full width

    @property
    def cells(self) -> int:
        """Width in half-width columns (12 dots each at normal size)."""
        if not self.multibyte:
            return len(self.text) * self.style.width
        return sum(1 if ch < "\x80" else 2 for ch in self.text) * self.style.width


@dataclass(frozen=True)
class TextLine:
    runs: tuple[Run, ...]
    align: int  # 0 left, 1 center, 2 right

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)

    @property
    def cells(self) -> int:
        return sum(r.cells for r in self.runs)


@dataclass(frozen=True)
class QrCode:
    data: bytes
    module: int
    level: str
    align: int


@dataclass(frozen=True)
class Raster:
    width_bytes: int
    height: int
    data: bytes  # 1 bit per dot, 1 = black, rows of width_bytes
    align: int


@dataclass(frozen=True)
class Barcode:
    kind: int  # GS k m
    data: str
    height: int
    module: int
    hri: int   # 0 none, 1 above, 2 below, 3 both
    align: int
    payload: bytes = b""  # the bytes after GS k m (and its length byte): what the printer draws


@dataclass(frozen=True)
class Feed:
    dots: int


@dataclass
class Job:
    number: int
    blocks: list = field(default_factory=list)
    raw: bytes = b""
    faults: frozenset = frozenset()  # emulator faults on when the job was cut

    @property
    def lines(self) -> list[TextLine]:
        return [b for b in self.blocks if isinstance(b, TextLine)]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def qr_codes(self) -> list[str]:
        return [b.data.decode("utf-8", "replace") for b in self.blocks if isinstance(b, QrCode)]

    @property
    def barcodes(self) -> list[str]:
        return [b.data for b in self.blocks if isinstance(b, Barcode)]

    @property
    def rasters(self) -> list[Raster]:
        return [b for b in self.blocks if isinstance(b, Raster)]


@dataclass(frozen=True)
class StatusRequest:
    n: int


def code128_text(data: bytes) -> str:
    """The characters a CODE128 'GS k 73' payload stands for ({A {B {C select code sets)."""
    out, codeset, i = [], "B", 0
    while i < len(data):
        if data[i] == 0x7B and i + 1 < len(data):  # "{" + function character
            f = chr(data[i + 1])
            if f in "ABC":
                codeset = f
            elif f == "{":
                out.append("{")
            i += 2
            continue
        out.append(f"{data[i]:02d}" if codeset == "C" else chr(data[i]))
        i += 1
    return "".join(out)


class StreamParser:
    def __init__(self, encoding: str = "gb18030", chinese_mode: bool = True) -> None:
        self.encoding = encoding
        self.chinese_default = chinese_mode
        self._buf = bytearray()
        self._jobs = 0
        self._reset()
        self._new_job()

    def _reset(self) -> None:
        self.chinese = self.chinese_default
        self.style = Style()
        self.align = 0
        self.qr_module, self.qr_level, self.qr_data = 3, "L", b""
        self.bc_height, self.bc_module, self.bc_hri = 162, 3, 0

    def _new_job(self) -> None:
        self.blocks: list = []
        self.runs: list[Run] = []
        self.pending = bytearray()
        self.raw = bytearray()

    # text -----------------------------------------------------------------
    def _flush_run(self) -> None:
        if self.pending:
            data = bytes(self.pending)
            text = data.decode(self.encoding, "replace") if self.chinese else data.decode("cp437")
            self.runs.append(Run(text, self.style, self.chinese))
            self.pending.clear()

    def _flush_line(self, force: bool = False) -> None:
        self._flush_run()
        if self.runs or force:
            self.blocks.append(TextLine(tuple(self.runs), self.align))
            self.runs = []

    def _set(self, **changes) -> None:
        self._flush_run()
        self.style = Style(**{**self.style.__dict__, **changes})

    # stream ---------------------------------------------------------------
    def feed(self, data: bytes) -> list:
        self._buf += data
        events: list = []
        buf, i = self._buf, 0
        while i < len(buf):
            b = buf[i]
            if b >= 0x20:
                j = i + 1
                while j < len(buf) and buf[j] >= 0x20:
                    j += 1
                self.pending += buf[i:j]
                step = j - i
            elif b == LF:
                self._flush_line(force=True)
                step = 1
            elif b in (ESC, GS, FS, DLE):
                jobs = self._jobs
                step = self._command(buf, i, events)
                if step == 0:
                    break  # incomplete: wait for more bytes
                if jobs != self._jobs:  # a cut: its bytes already ended the finished job
                    i += step
                    continue
            else:
                step = 1  # CR, HT and other control bytes: nothing to print
            self.raw += buf[i:i + step]
            i += step
        del buf[:i]
        return events

    def _command(self, buf: bytearray, i: int, events: list) -> int:
        if i + 1 >= len(buf):
            return 0
        prefix, cmd = buf[i], buf[i + 1]
        if prefix == DLE:
            return self._dle(buf, i, events)
        if prefix == GS and cmd in (0x28, 0x76, 0x6B, 0x56, 0x2A):
            return self._gs_variable(buf, i, events)
        if prefix == ESC and cmd == 0x2A:  # ESC * m nL nH: column image
            if i + 5 > len(buf):
                return 0
            n = buf[i + 3] | buf[i + 4] << 8
            size = 5 + (n if buf[i + 2] in (0, 1) else 3 * n)
            return size if i + size <= len(buf) else 0
        size = _FIXED.get(prefix, {}).get(cmd, 2)
        if i + size > len(buf):
            return 0
        arg = buf[i + 2] if size >= 3 else 0
        if prefix == ESC:
            self._esc(cmd, arg)
        elif prefix == GS and cmd == 0x21:
            self._set(width=(arg >> 4 & 7) + 1, height=(arg & 7) + 1)
        elif prefix == GS and cmd in (0x68, 0x77, 0x48):  # barcode height, width, HRI
            if cmd == 0x68:
                self.bc_height = arg
            elif cmd == 0x77:
                self.bc_module = arg
            else:
                self.bc_hri = arg % 48 if arg >= 48 else arg
        elif prefix == FS and cmd in (0x26, 0x2E):
            self._flush_run()
            self.chinese = cmd == 0x26
        return size

    def _esc(self, cmd: int, arg: int) -> None:
        if cmd == 0x40:  # ESC @: back to power-on state
            self._flush_run()
            self._reset()
        elif cmd == 0x21:
            self._set(bold=bool(arg & 8), height=2 if arg & 16 else 1, width=2 if arg & 32 else 1)
        elif cmd == 0x45:
            self._set(bold=bool(arg & 1))
        elif cmd == 0x61:
            self.align = (arg - 48 if arg >= 48 else arg) % 3
        elif cmd == 0x64:
            self._flush_line()
            self.blocks.append(Feed(arg * 30))
        elif cmd == 0x4A:
            self._flush_line()
            self.blocks.append(Feed(arg))

    def _dle(self, buf: bytearray, i: int, events: list) -> int:
        cmd = buf[i + 1]
        if cmd == 0x04:  # DLE EOT n (n = 7 takes one more byte)
            if i + 3 > len(buf):
                return 0
            n = buf[i + 2]
            if n == 7:
                return 4 if i + 4 <= len(buf) else 0
            events.append(StatusRequest(n))
            return 3
        if cmd == 0x05:
            return 3 if i + 3 <= len(buf) else 0
        if cmd == 0x14:  # DLE DC4 fn ...: pulse, power-off, clear buffer, ...
            return 5 if i + 5 <= len(buf) else 0
        return 1  # a lone DLE byte

    def _gs_variable(self, buf: bytearray, i: int, events: list) -> int:
        cmd = buf[i + 1]
        if cmd == 0x28:  # GS ( fn pL pH payload
            if i + 5 > len(buf):
                return 0
            size = 5 + (buf[i + 3] | buf[i + 4] << 8)
            if i + size > len(buf):
                return 0
            if buf[i + 2] == 0x6B:
                self._two_d(bytes(buf[i + 5:i + size]))
            return size
        if cmd == 0x2A:  # GS * x y data: define downloaded image
            if i + 4 > len(buf):
                return 0
            size = 4 + buf[i + 2] * buf[i + 3] * 8
            return size if i + size <= len(buf) else 0
        if cmd == 0x76:  # GS v 0 m xL xH yL yH data
            if i + 8 > len(buf):
                return 0
            if buf[i + 2] != 0x30:
                return 3
            xb, y = buf[i + 4] | buf[i + 5] << 8, buf[i + 6] | buf[i + 7] << 8
            size = 8 + xb * y
            if i + size > len(buf):
                return 0
            self._flush_line()
            self.blocks.append(Raster(xb, y, bytes(buf[i + 8:i + size]), self.align))
            return size
        if cmd == 0x6B:  # GS k m ...
            if i + 3 > len(buf):
                return 0
            m = buf[i + 2]
            if m <= 6:  # data ends with NUL
                end = buf.find(b"\x00", i + 3)
                if end < 0:
                    return 0
                data, size = bytes(buf[i + 3:end]), end + 1 - i
            elif 65 <= m <= 79:
                if i + 4 > len(buf):
                    return 0
                size = 4 + buf[i + 3]
                if i + size > len(buf):
                    return 0
                data = bytes(buf[i + 4:i + size])
            else:
                return 3
            text = code128_text(data) if m == 73 else data.decode("latin-1")
            self._flush_line()
            self.blocks.append(Barcode(m, text, self.bc_height, self.bc_module, self.bc_hri,
                                       self.align, data))
            return size
        # GS V m [n]: cut, the end of a job
        if i + 3 > len(buf):
            return 0
        size = 4 if buf[i + 2] in (65, 66, 97, 98, 103, 104) else 3
        if i + size > len(buf):
            return 0
        self._flush_line()
        self._jobs += 1
        self.raw += buf[i:i + size]
        events.append(Job(self._jobs, self.blocks, bytes(self.raw)))
        self._new_job()
        return size

    def _two_d(self, payload: bytes) -> None:
        if len(payload) < 2 or payload[0] != 0x31:  # cn 49 = QR code
            return
        fn, rest = payload[1], payload[2:]
        if fn == 67 and rest:
            self.qr_module = rest[0]
        elif fn == 69 and rest:
            self.qr_level = QR_LEVELS.get(rest[0], "L")
        elif fn == 80:
            self.qr_data = rest[1:]  # m = 48, then the data
        elif fn == 81:
            self._flush_line()
            self.blocks.append(QrCode(self.qr_data, self.qr_module, self.qr_level, self.align))
