"""SAM_V frames (GA/T 467 terminal interface): codec, status table and typed errors.

A frame is ``AA AA AA 96 69 | LEN_H LEN_L | payload | CHK``: LEN (big-endian)
counts every byte after itself, CHK included; CHK is the XOR of LEN_H..last
payload byte. A request's payload is CMD PARA [DATA]; an answer's is
SW1 SW2 SW3 [DATA].
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from hardware.model import DeviceError

PREAMBLE = b"\xAA\xAA\xAA\x96\x69"
MIN_LEN = 3        # CMD PARA CHK
MAX_LEN = 0x0A00   # the biggest answer (text + photo + fingerprint) is 0x090A

# commands as (CMD, PARA)
RESET = (0x10, 0xFF)
SAM_STATUS = (0x11, 0xFF)
SAM_ID = (0x12, 0xFF)
FIND = (0x20, 0x01)
SELECT = (0x20, 0x02)
READ = (0x30, 0x01)
READ_FP = (0x30, 0x10)
READ_ADDRESS = (0x30, 0x03)

OK = 0x90
FIND_OK = 0x9F
NO_CARD = 0x80
NO_CONTENT = 0x91

# the success answers each command can get, with their data length (None: any length).
# An answer that cannot belong to the request (a late answer to an earlier one) is skipped.
SUCCESS: dict[tuple[int, int], dict[int, int | None]] = {
    RESET: {OK: 0}, SAM_STATUS: {OK: 0}, SAM_ID: {OK: 16}, FIND: {FIND_OK: 4}, SELECT: {OK: 8},
    READ: {OK: None}, READ_FP: {OK: None}, READ_ADDRESS: {OK: None},
}

# SW3 -> what a person should hear (no codes, no jargon beyond what an admin needs)
SW3_MESSAGES: dict[int, str] = {
    0x10: "the reader received a damaged command (checksum error)",
    0x11: "the reader received a command of the wrong length",
    0x21: "the reader did not understand the command",
    0x23: "the reader refused the command (not permitted)",
    0x24: "the reader reported an unknown error",
    0x31: "the card could not authenticate the reader's security module",
    0x32: "the reader's security module could not authenticate the card (not a genuine ID card?)",
    0x33: "the card failed verification",
    0x40: "this card type is not supported: use a resident ID card, residence permit "
          "or permanent residence card",
    0x41: "the card could not be read: hold it still on the reader and try again",
    0x47: "the reader could not get a random number from the card: place it again",
    0x60: "the reader's security module failed its self-test: the reader needs service",
    0x66: "the reader's security module is not authorised: the reader needs service",
    0x80: "no card on the reader: place the ID card flat on the reader",
    0x81: "the card could not be selected: place it flat on the reader and try again",
    0x91: "the card has no content of that kind",
}


class IdCardError(DeviceError):
    """Base of every ID card reader failure; the message is one plain line."""


class FrameError(IdCardError):
    """Bytes from the reader that are not a well-formed frame."""


class ChecksumError(FrameError):
    def __init__(self) -> None:
        super().__init__("the reader's answer was damaged on the way (checksum error)")


class StatusError(IdCardError):
    """The reader answered with an SW3 other than success."""

    def __init__(self, sw3: int) -> None:
        self.sw3 = sw3
        text = SW3_MESSAGES.get(sw3, "the reader reported an unknown status")
        super().__init__(f"{text} (status {sw3:02X})")


def checksum(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def build(payload: bytes) -> bytes:
    """A whole frame around `payload` (request or answer)."""
    head = (len(payload) + 1).to_bytes(2, "big")
    return PREAMBLE + head + payload + bytes([checksum(head + payload)])


def request(command: tuple[int, int], data: bytes = b"") -> bytes:
    return build(bytes(command) + data)


def answer(sw3: int, data: bytes = b"") -> bytes:
    return build(bytes([0, 0, sw3]) + data)


def belongs(command: tuple[int, int], answer: "Frame") -> bool:
    """Could `answer` be the answer to `command`? (Error answers look alike for every command.)"""
    if command not in SUCCESS or answer.sw3 not in (OK, FIND_OK):
        return True
    size = SUCCESS[command].get(answer.sw3, -1)
    return size is None or size == len(answer.data)


@dataclass(frozen=True)
class Frame:
    payload: bytes

    @property
    def command(self) -> tuple[int, int]:
        return (self.payload[0], self.payload[1]) if len(self.payload) >= 2 else (-1, -1)

    @property
    def sw3(self) -> int:
        return self.payload[2] if len(self.payload) >= 3 else -1

    @property
    def data(self) -> bytes:
        return self.payload[3:]

    def __repr__(self) -> str:  # the payload may hold a card's text: never print it
        return f"Frame({len(self.payload)} payload bytes)"


class Decoder:
    """Incremental decoder: feed it byte chunks as they arrive, take frames out.

    Garbage before a preamble and impossible lengths are skipped. A frame cut off by a
    later preamble (an answer broken off and sent again, or given up for another) is
    dropped and decoding goes on at that preamble, as soon as the frame there is complete,
    or when the cut frame's claimed length is reached and its checksum fails. Any other
    frame with a wrong checksum raises ChecksumError once; decoding resumes one byte after
    its preamble, so a real frame hiding behind a false start is still found. (A cut frame
    that the bytes after it happen to complete with a right checksum, 1 in 256, passes as
    any damaged frame would: the checksum is one byte.)
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.skipped = 0  # garbage bytes dropped, for diagnostics

    def feed(self, data: bytes) -> None:
        self._buf += data

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame (or a preamble)."""
        return len(self._buf)

    @property
    def wanted(self) -> int:
        """Bytes still needed to complete the frame being received (at least 1)."""
        if len(self._buf) < 7 or not self._buf.startswith(PREAMBLE):
            return max(1, 7 - len(self._buf))
        return max(1, 7 + int.from_bytes(self._buf[5:7], "big") - len(self._buf))

    def clear(self) -> None:
        self._buf.clear()

    def frames(self):
        """Yield every complete frame now buffered (may raise ChecksumError mid-way)."""
        while True:
            start = self._buf.find(PREAMBLE)
            if start < 0:
                # keep a tail that could be the start of a preamble split across chunks
                keep = next((k for k in range(min(4, len(self._buf)), 0, -1)
                             if PREAMBLE.startswith(self._buf[-k:])), 0)
                self._drop(len(self._buf) - keep)
                return
            self._drop(start)
            length = self._length_at(0)
            if length is None:
                return
            if not MIN_LEN <= length <= MAX_LEN:
                self._drop(1)
                continue
            end = 7 + length
            if len(self._buf) < end:
                cut = self._cut(end, complete=True)
                if not cut:
                    return  # wait for the rest
                self._drop(cut)
                continue
            body = bytes(self._buf[5:end])
            if checksum(body[:-1]) != body[-1]:
                cut = self._cut(end)
                self._drop(cut or 1)
                if cut:
                    continue
                raise ChecksumError()
            del self._buf[:end]
            yield Frame(body[2:-1])

    def _length_at(self, at: int) -> int | None:
        return int.from_bytes(self._buf[at + 5:at + 7], "big") if len(self._buf) >= at + 7 else None

    def _cut(self, end: int, complete: bool = False) -> int:
        """Where a later preamble starts inside the frame at 0 (which ends at `end`), or may
        start (the bytes here end inside it); with `complete`, only one whose own frame is
        all here. 0: none."""
        at = self._buf.find(PREAMBLE[:1], 1, end)
        while at > 0:
            if PREAMBLE.startswith(self._buf[at:at + len(PREAMBLE)]):
                length = self._length_at(at)
                if not complete or (length is not None and MIN_LEN <= length <= MAX_LEN
                                    and at + 7 + length <= len(self._buf)):
                    return at
            at = self._buf.find(PREAMBLE[:1], at + 1, end)
        return 0

    def _drop(self, n: int) -> None:
        if n:
            self.skipped += n
            del self._buf[:n]
