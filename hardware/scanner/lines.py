"""Serial scanners send each code as a line: split the byte stream, decode each line.

A code ends at CR, LF or CRLF, or, for a scanner set to send no suffix, when the line goes
quiet (`end`, called by the driver after a gap with no bytes). GS1 and ISO/IEC 15434 codes
carry separators (GS 0x1D, RS 0x1E, EOT 0x04) as data: they stay in the code.
"""

from __future__ import annotations

import re

from hardware.model import DeviceError

MAX_LENGTH = 4096
SEPARATORS = "\x1d\x1e\x04"  # GS (GS1's FNC1), RS and EOT: data, though not printable
# blanks around a code, trimmed; not str.strip(): Python counts the separators as whitespace
BLANKS = re.compile(r"^[^\S\x1c-\x1f]+|[^\S\x1c-\x1f]+$")


class ScanError(DeviceError):
    """A scanned line that cannot be used; the message says why, never the content."""


class LineSplitter:
    def __init__(self, max_length: int = MAX_LENGTH) -> None:
        self.max_length = max_length
        self._buf = bytearray()
        self._overflowed = False  # the rest of an over-long line is dropped up to its end

    @property
    def pending(self) -> bool:
        """Bytes of a code that has not ended yet (or the rest of an over-long one)."""
        return bool(self._buf) or self._overflowed

    def feed(self, data: bytes) -> list[str | ScanError]:
        """Codes completed by `data` (CR, LF or CRLF end a code), and errors in their place."""
        self._buf += data
        *lines, rest = re.split(rb"\r\n|\r|\n", bytes(self._buf))
        if lines and self._overflowed:
            lines, self._overflowed = lines[1:], False
        out: list[str | ScanError] = [decode(line) for line in lines if line.strip()]
        if len(rest) > self.max_length or self._overflowed:
            if not self._overflowed:
                out.append(ScanError(f"a scanned code ran past {self.max_length} bytes without an "
                                     "end of line; check the scanner's suffix setting (CR or LF)"))
            rest, self._overflowed = b"", True
        self._buf = bytearray(rest)
        return out

    def end(self) -> list[str | ScanError]:
        """The line went quiet: what is buffered is a whole code (a scanner without a suffix).
        A CR that follows later is then an empty line, and empty lines are skipped."""
        rest, self._buf = bytes(self._buf), bytearray()
        if self._overflowed:
            self._overflowed = False
            return []
        return [decode(rest)] if rest.strip() else []


def decode(line: bytes) -> str | ScanError:
    # Chinese-market scanners send UTF-8 or GBK/GB18030 depending on their setting
    for encoding in ("utf-8", "gb18030"):
        try:
            text = BLANKS.sub("", line.decode(encoding))
        except UnicodeDecodeError:
            continue
        if all(char.isprintable() or char in SEPARATORS for char in text):
            return text
    return ScanError("a scanned code was not readable text (check the scanner's encoding setting)")
