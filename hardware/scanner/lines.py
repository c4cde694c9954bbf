"""Serial scanners send each code as a line: split the byte stream, decode each line."""

from __future__ import annotations

import re

from hardware.model import DeviceError

MAX_LENGTH = 4096


class ScanError(DeviceError):
    """A scanned line that cannot be used; the message says why, never the content."""


class LineSplitter:
    def __init__(self, max_length: int = MAX_LENGTH) -> None:
        self.max_length = max_length
        self._buf = bytearray()
        self._overflowed = False  # the rest of an over-long line is dropped up to its end

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


def decode(line: bytes) -> str | ScanError:
    # Chinese-market scanners send UTF-8 or GBK/GB18030 depending on their setting
    for encoding in ("utf-8", "gb18030"):
        try:
            text = line.decode(encoding).strip()
        except UnicodeDecodeError:
            continue
        if text.isprintable():
            return text
    return ScanError("a scanned code was not readable text (check the scanner's encoding setting)")
