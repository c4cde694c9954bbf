"""A wire-level ID card reader: speaks SAM_V on a pty or a TCP port.

Product code: `sim:` URLs, the demo and the admin self-test use it, and so do
the tests. Cards come from a JSON file (default: the fictional demo cards in
assets/seed/idcards.json) or the command line. Faults switch while it runs,
through the Python API (`set_fault`, `place`, `remove`, `gone`, `back`) or
through command lines (`command`, see HELP) that `kiosk emulate idcard` reads on stdin.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from hardware import DEMO_SEED
from hardware.idcard import frame
from hardware.idcard.frame import ChecksumError, Decoder, IdCardError, answer
from hardware.idcard.identity import (CardType, Gender, Identity, PHOTO_SIZE, TEXT_SIZE,
                                      encode_text, from_dict)
from hardware.links import LinkEmulator, make_link

SEED_CARDS = DEMO_SEED / "idcards.json"
FAULTS = ("none", "nocard", "slow", "checksum", "garbage", "sw3", "removed-midread", "cut")
# line noise: a lone partial preamble and a false start whose length is impossible
NOISE = b"\x00\xff\xaa\xaa\x13\xaa\xaa\xaa\x96\x69\xff\xff\x42"
SAM_ID = (5).to_bytes(2, "little") + (1).to_bytes(2, "little") + (20261123).to_bytes(4, "little") \
    + (12345678).to_bytes(4, "little") + (987654321).to_bytes(4, "little")
HELP = """commands:
  cards                      list the cards that can be placed
  place KEY                  put a card on the reader (KEY from `cards`)
  remove                     take the card away
  fault none                 clear every fault (and bring a gone reader back)
  fault nocard               the reader does not see the card
  fault slow                 answers come later than the driver waits
  fault checksum             every answer has a wrong checksum
  fault garbage              line noise before every answer
  fault sw3 HH               every answer carries status HH (hex, e.g. 41)
  fault removed-midread      the card is pulled halfway through sending a read
  fault cut                  every answer breaks off halfway and is sent again whole
  fault gone | gone          the reader vanishes (port closed)
  back                       the reader returns
  status                     what the emulator is doing
  quit"""


class EmulatorCommandError(IdCardError):
    pass


@dataclass
class EmulatedCard:
    key: str
    identity: Identity
    fingerprint: bool = False
    type_flag: str = ""  # sent instead of the card type's flag (a card no reader should accept)

    @property
    def photo(self) -> bytes:
        # stands in for WLT data: not an image, but fixed per card so reads can be compared
        seed = hashlib.sha256(self.key.encode()).digest()
        return (seed * (PHOTO_SIZE // len(seed) + 1))[:PHOTO_SIZE]

    def read_answer(self, with_fingerprint: bool) -> bytes:
        text, photo = encode_text(self.identity), self.photo
        if self.type_flag:
            text = text[:248] + self.type_flag.encode("utf-16-le") + text[250:]
        sizes = [TEXT_SIZE, PHOTO_SIZE]
        fp = b""
        if with_fingerprint:
            fp = bytes(range(256)) * 4 if self.fingerprint else b""
            sizes.append(len(fp))
        return answer(frame.OK, b"".join(n.to_bytes(2, "big") for n in sizes) + text + photo + fp)


def card_from_spec(spec: str) -> EmulatedCard:
    """A card from JSON (the seed file's fields; "fingerprint": true puts one on the card,
    "type_flag": "Z" sends that card type flag instead) or the short form NAME:IDNUMBER (mainland)."""
    if spec.lstrip().startswith("{"):
        try:
            data = json.loads(spec)
        except json.JSONDecodeError as e:
            raise EmulatorCommandError(f"card is not valid JSON: {e.msg}") from None
        return _card(data)
    name, _, number = spec.partition(":")
    if not name or len(number) != 18 or not number[6:14].isdigit():
        raise EmulatorCommandError("a short card must be NAME:IDNUMBER with an 18-character ID number")
    return EmulatedCard(name, Identity(
        card_type=CardType.MAINLAND, name=name, nation_code="01", address="演示地址",
        gender=Gender.MALE if int(number[16]) % 2 else Gender.FEMALE,
        birth_date=_yyyymmdd(number[6:14]), id_number=number, authority="演示公安局",
        valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2040, 1, 1)))


def _yyyymmdd(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise EmulatorCommandError("the ID number's birth date digits are not a date") from None


def _card(data: dict) -> EmulatedCard:
    if not isinstance(data, dict):
        raise EmulatorCommandError("each card must be a JSON object")
    data = dict(data)
    fingerprint = bool(data.pop("fingerprint", False))
    type_flag = str(data.pop("type_flag", ""))
    if len(type_flag.encode("utf-16-le")) not in (0, 2):
        raise EmulatorCommandError("type_flag must be one character (the card type flag, text bytes 248-249)")
    identity = from_dict(data)
    return EmulatedCard(str(data.get("key") or identity.name), identity, fingerprint, type_flag)


def load_cards(path: str | Path = SEED_CARDS) -> dict[str, EmulatedCard]:
    try:
        items = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise EmulatorCommandError(f"{path}: cannot read card file ({e.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EmulatorCommandError(f"{path}: not a UTF-8 JSON list of cards") from None
    if not isinstance(items, list):
        raise EmulatorCommandError(f"{path}: must hold a JSON list of cards")
    cards = [_card(item) for item in items]
    return {card.key: card for card in cards}


class IdCardEmulator(LinkEmulator):
    name = "idcard"

    def __init__(self, cards: dict[str, EmulatedCard] | None = None, transport: str = "pty",
                 port: int = 0, baudrate: int = 115200, pace: bool = True,
                 slow_delay: float = 3.0) -> None:
        super().__init__(make_link(transport, "idcard", port, baudrate, pace))
        self.cards = load_cards() if cards is None else dict(cards)
        self.slow_delay = slow_delay
        self.fault, self.fault_sw3 = "none", 0
        self.card: EmulatedCard | None = None
        self.card_state = ""             # found, selected, read ("" = fresh)
        self.requests = 0
        self._lock = threading.Lock()
        self._fault_changed = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._want_open = True

    # control (any thread) ---------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self._fault_changed.set()  # an answer held back by `fault slow` is dropped at once
        super().stop()

    def place(self, which: str | EmulatedCard) -> EmulatedCard:
        card = which if isinstance(which, EmulatedCard) else self._find_card(which)
        with self._lock:
            self.card, self.card_state = card, ""
        return card

    def remove(self) -> None:
        with self._lock:
            self.card, self.card_state = None, ""

    def set_fault(self, fault: str, sw3: int | None = None) -> None:
        if fault == "gone":
            return self.gone()
        if fault not in FAULTS:
            raise EmulatorCommandError(f"unknown fault {fault!r} (one of: {', '.join(FAULTS)}, gone)")
        if fault == "sw3" and (sw3 is None or not 0 <= sw3 <= 255):
            raise EmulatorCommandError("fault sw3 needs a status byte, e.g. `fault sw3 41`")
        with self._lock:
            self.fault, self.fault_sw3 = fault, sw3 or 0
        self._fault_changed.set()
        self._idle.wait(timeout=5)  # a "busy" answer in progress is dropped before this returns
        if fault == "none" and not self._want_open:
            self.back()

    def gone(self) -> None:
        self._switch_link(False)

    def back(self) -> None:
        self._switch_link(True)

    def _switch_link(self, up: bool) -> None:
        # the serving thread owns the file descriptors; it opens / closes them on request
        self._want_open = up
        self._fault_changed.set()
        deadline = time.monotonic() + 5
        while self.link.is_open != up and time.monotonic() < deadline:
            time.sleep(0.005)

    def _find_card(self, which: str) -> EmulatedCard:
        if which in self.cards:
            return self.cards[which]
        for card in self.cards.values():
            if which == card.identity.name:
                return card
        raise EmulatorCommandError(f"no card {which!r} (known: {', '.join(self.cards) or 'none'})")

    def command(self, line: str) -> str:
        """Run one stdin command line; returns the reply to print."""
        words = line.split()
        if not words:
            return ""
        verb, rest = words[0].lower(), words[1:]
        if verb == "place" and rest:
            return f"placed {self.place(' '.join(rest)).key}"
        if verb == "remove":
            self.remove()
            return "removed"
        if verb == "fault" and rest:
            code = None
            if rest[0] == "sw3":
                try:
                    code = int(rest[1], 16)
                except (IndexError, ValueError):
                    raise EmulatorCommandError("fault sw3 needs a hex status byte, e.g. `fault sw3 41`") from None
            self.set_fault(rest[0], code)
            return f"fault {' '.join(rest)}"
        if verb in ("gone", "back"):
            getattr(self, verb)()
            return verb
        if verb == "cards":
            return "\n".join(f"{k}  ({c.identity.card_type.label})" for k, c in self.cards.items())
        if verb == "status":
            return (f"url {self.url}; link {'up' if self.link.is_open else 'gone'}; fault {self.fault}"
                    f"{' %02X' % self.fault_sw3 if self.fault == 'sw3' else ''}; "
                    f"card {self.card.key if self.card else 'none'}; requests {self.requests}")
        if verb == "help":
            return HELP
        raise EmulatorCommandError(f"unknown command {line.strip()!r}; type help")

    # the wire (serving thread) -------------------------------------------------
    def _serve(self) -> None:
        decoder = Decoder()
        while not self._stop.is_set():
            if self._want_open != self.link.is_open:
                self.link.open() if self._want_open else self.link.close()
                decoder.clear()
            decoder.feed(self.link.read(0.05))
            while True:
                try:
                    for request in decoder.frames():
                        self._handle(request, decoder)
                    break
                except ChecksumError:
                    self.link.write(answer(0x10))

    def _handle(self, request: frame.Frame, decoder: Decoder) -> None:
        self.requests += 1
        if self.link.pace:  # a pty delivers at once; a real line would still be carrying the request
            time.sleep((len(request.payload) + 8) * 10 / self.link.baudrate)
        with self._lock:
            reply = self._respond(request)
            fault, cut = self.fault, None
            if fault == "removed-midread" and request.command in (frame.READ, frame.READ_FP) \
                    and reply[9] == frame.OK:
                cut, self.card, self.card_state = len(reply) // 2, None, ""
        if fault == "slow":
            self._fault_changed.clear()
            self._idle.clear()
            interrupted = self._fault_changed.wait(self.slow_delay)
            while self.link.is_open and self.link.read(0):  # a busy reader loses what arrived meanwhile
                pass
            decoder.clear()
            self._idle.set()
            if interrupted:
                return  # the fault changed while "busy": this answer is dropped too
        if fault == "checksum":
            reply = reply[:-1] + bytes([reply[-1] ^ 0xFF])
        if fault == "garbage":
            reply = NOISE + reply
        if fault == "cut":
            reply = reply[:len(reply) // 2] + reply
        self.link.write(reply[:cut] if cut else reply, abort=lambda: not self._want_open)

    def _respond(self, request: frame.Frame) -> bytes:
        command, card = request.command, self.card
        if self.fault == "sw3":
            return answer(self.fault_sw3)
        if command in (frame.RESET, frame.SAM_STATUS):
            return answer(frame.OK)
        if command == frame.SAM_ID:
            return answer(frame.OK, SAM_ID)
        if command == frame.FIND:
            if card and self.card_state in ("", "found") and self.fault != "nocard":
                self.card_state = "found"
                return answer(frame.FIND_OK, bytes(4))
            return answer(frame.NO_CARD)
        if command == frame.SELECT:
            if card and self.card_state == "found":
                self.card_state = "selected"
                return answer(frame.OK, bytes(8))
            return answer(0x81)
        if command in (frame.READ, frame.READ_FP):
            if card and self.card_state == "selected":
                self.card_state = "read"  # halted: it must leave the field before the next find
                return card.read_answer(command == frame.READ_FP)
            return answer(0x41)
        if command == frame.READ_ADDRESS:
            ok = card and self.card_state in ("selected", "read")
            return answer(frame.NO_CONTENT if ok else 0x41)
        return answer(0x21)
