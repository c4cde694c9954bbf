"""APDUs of the social security card (社会保障卡) and the parsers for its records.

Pure functions, no I/O: the driver sends these commands and the virtual card
answers them, so both sides share one definition. Records are TLV with a
one-byte tag (the record number), a one-byte length and the value.
"""

from __future__ import annotations

import datetime as dt

from hardware.model import DeviceError

# "sx1.sh." + GBK "社会保障": the social security application (SSSE)
SSSE_AID = bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF")
EF05 = b"\xEF\x05"  # card identification code, spec version, dates, card number
EF06 = b"\xEF\x06"  # social security number, name
SFI = {EF05: 0x05, EF06: 0x06}

# record number -> (file, what it holds); the tag of each TLV is the record number
CARD_ID_CODE, SPEC_VERSION, ISSUED, EXPIRES, CARD_NUMBER = 0x01, 0x03, 0x05, 0x06, 0x07
SSN, NAME = 0x08, 0x09
RECORDS = {CARD_ID_CODE: EF05, SPEC_VERSION: EF05, ISSUED: EF05, EXPIRES: EF05,
           CARD_NUMBER: EF05, SSN: EF06, NAME: EF06}

GET_UID = bytes.fromhex("FFCA000000")
OK = 0x9000

SW_MESSAGES = {
    0x6281: "the card returned damaged data",
    0x6581: "the card's memory failed",
    0x6700: "the card refused the command length",
    0x6982: "the card asks for a PIN before it can be read",
    0x6983: "the card is locked (PIN blocked)",
    0x6985: "the card refused the command in its present state",
    0x6A81: "the card does not support this function",
    0x6A82: "the card has no such application or file",
    0x6A83: "the card has no such record",
    0x6A86: "the card refused the command parameters",
    0x6D00: "the card does not know this command",
    0x6E00: "the card does not know this command class",
    0x6F00: "the card reported an internal error",
}


class CardError(DeviceError):
    """Base of every smart card reader failure; the message is one plain line."""


class CardDataError(CardError):
    """A record's bytes do not have the shape the specification gives."""


class CardStatusError(CardError):
    """The card answered a status word other than 9000."""

    def __init__(self, sw: int, doing: str) -> None:
        self.sw = sw
        what = SW_MESSAGES.get(sw, "the card reported an error")
        super().__init__(f"{doing}: {what} (status {sw:04X})")


def select_aid(aid: bytes = SSSE_AID) -> bytes:
    return bytes([0x00, 0xA4, 0x04, 0x00, len(aid)]) + aid


def select_file(fid: bytes) -> bytes:
    return bytes([0x00, 0xA4, 0x02, 0x00, len(fid)]) + fid


def read_record(number: int, p2: int, le: int = 0) -> bytes:
    """READ RECORD: P2 04 = record P1 of the current file; 00 the same on older cards;
    (SFI << 3) | 4 = record P1 of the file with that short identifier (2C for EF05)."""
    return bytes([0x00, 0xB2, number, p2, le])


def get_response(le: int) -> bytes:
    return bytes([0x00, 0xC0, 0x00, 0x00, le])


def split_response(response: bytes) -> tuple[bytes, int]:
    if len(response) < 2:
        raise CardDataError("the card's answer is too short to hold a status word")
    return response[:-2], (response[-2] << 8) | response[-1]


def parse_tlv(data: bytes, tag: int) -> bytes:
    """The value of the TLV record `tag`; trailing padding after it is ignored."""
    if len(data) < 2:
        raise CardDataError(f"record {tag:02X} is empty or truncated")
    if data[0] != tag:
        raise CardDataError(f"record {tag:02X} holds tag {data[0]:02X} instead")
    length = data[1]
    if len(data) < 2 + length:
        raise CardDataError(f"record {tag:02X} is truncated ({len(data) - 2} of {length} bytes)")
    return bytes(data[2:2 + length])


def encode_tlv(tag: int, value: bytes) -> bytes:
    if len(value) > 255:
        raise ValueError("a TLV value holds at most 255 bytes")
    return bytes([tag, len(value)]) + value


def parse_bcd_date(value: bytes) -> dt.date | None:
    """YYYYMMDD in 4 BCD bytes; all 00 or all FF means no date (e.g. no expiry)."""
    if len(value) != 4:
        raise CardDataError(f"a date needs 4 BCD bytes, got {len(value)}")
    if value in (b"\x00" * 4, b"\xFF" * 4):
        return None
    digits = value.hex()
    if not digits.isdigit():
        raise CardDataError(f"the date {digits.upper()} is not BCD")
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise CardDataError(f"the date {digits} is not a calendar date") from None


def encode_bcd_date(day: dt.date | None) -> bytes:
    return b"\x00" * 4 if day is None else bytes.fromhex(day.strftime("%Y%m%d"))


def parse_text(value: bytes, encoding: str, what: str) -> str:
    """Text padded with 00, 20 or FF on the right."""
    try:
        return value.rstrip(b"\x00\x20\xFF").decode(encoding)
    except UnicodeDecodeError:
        raise CardDataError(f"the {what} is not valid {encoding.upper()} text") from None
