"""A virtual card for vsmartcard-vpcd: product code, used by `sim:`, the demo and self-tests.

vpcd (the pcscd driver) listens on TCP 35963 for reader "Virtual PCD 00 00". A card
"is inserted" by connecting and "removed" by closing the socket. Every message is
a 2-byte big-endian length plus payload; a 1-byte payload is control (0 power off,
1 power on, 2 reset, 4 send ATR), anything longer is a C-APDU answered by an R-APDU.
Debian's `vicc` is broken on bookworm, hence this small one.

Cards come from assets/seed/sscards.json: social security cards (the SSSE
application with EF05/EF06 records), contactless cards that only give a UID
(`FF CA`), and unknown cards that know nothing. Faults can be switched while it
runs: removal in the middle of the READ RECORD sequence, a given status word,
slow answers, and a mute card (it gives its ATR, then answers no command: vpcd
then waits for it, and so does pcscd's reader, until the card is pulled).
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from hardware import DEMO_SEED
from hardware.card import apdu


VPCD_PORT = 35963
CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4
SEED_FILE = DEMO_SEED / "sscards.json"
P2_MODES = ("04", "00", "sfi")


class EmulatorError(apdu.CardError):
    """Bad emulator input (card file, command): one plain line."""


def build_atr(historical: bytes) -> bytes:
    """ATR offering T=0 then T=1 (3B 8n 80 01 ... TCK), the shape PC/SC contactless readers use."""
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3B" + body + bytes([tck])


ATRS = {
    "social_security": build_atr(b"SSSE-3.00"),
    # PC/SC part 3 storage card, MIFARE Classic 1K
    "contactless": build_atr(bytes.fromhex("4F0CA0000003060300010000000000")),
    "unknown": build_atr(b"BANK-IC"),
}


@dataclass(frozen=True)
class Profile:
    """Everything a card answers with. `records` maps record number -> TLV bytes."""
    name: str
    kind: str
    atr: bytes
    uid: bytes = b""
    records: dict[int, bytes] = field(default_factory=dict)
    read_p2: frozenset[str] = frozenset(P2_MODES)


def _social_security_records(c: dict) -> dict[int, bytes]:
    def date(key: str) -> dt.date | None:
        return dt.date.fromisoformat(c[key]) if c.get(key) else None
    name = c["holder"].encode("gbk").ljust(30, b"\x00")
    return {
        apdu.CARD_ID_CODE: apdu.encode_tlv(apdu.CARD_ID_CODE, bytes.fromhex(c["card_id_code"])),
        apdu.SPEC_VERSION: apdu.encode_tlv(apdu.SPEC_VERSION, c["spec_version"].encode("ascii")),
        apdu.ISSUED: apdu.encode_tlv(apdu.ISSUED, apdu.encode_bcd_date(date("issued"))),
        apdu.EXPIRES: apdu.encode_tlv(apdu.EXPIRES, apdu.encode_bcd_date(date("expires"))),
        apdu.CARD_NUMBER: apdu.encode_tlv(apdu.CARD_NUMBER, c["card_number"].encode("ascii")),
        apdu.SSN: apdu.encode_tlv(apdu.SSN, c["ssn"].encode("ascii")),
        apdu.NAME: apdu.encode_tlv(apdu.NAME, name),
    }


def profile_from_dict(c: dict) -> Profile:
    try:
        kind = c["type"]
        if kind not in ATRS:
            raise EmulatorError(f"card {c.get('name')!r}: type must be one of {', '.join(ATRS)}")
        atr = bytes.fromhex(c["atr"]) if c.get("atr") else ATRS[kind]
        read_p2 = frozenset(c.get("read_p2", P2_MODES))
        if not read_p2 <= set(P2_MODES):
            raise EmulatorError(f"card {c['name']!r}: read_p2 must list of {', '.join(P2_MODES)}")
        return Profile(
            name=c["name"], kind=kind, atr=atr,
            uid=bytes.fromhex(c["uid"]) if kind == "contactless" else b"",
            records=_social_security_records(c) if kind == "social_security" else {},
            read_p2=read_p2)
    except EmulatorError:
        raise
    except KeyError as e:
        raise EmulatorError(f"card {c.get('name', '?')!r}: missing field {e.args[0]!r}") from None
    except (ValueError, TypeError, UnicodeError, AttributeError) as e:
        raise EmulatorError(f"card {c.get('name', '?')!r}: bad value ({e.__class__.__name__})") from None


def load_profiles(path: str | Path | None = None) -> dict[str, Profile]:
    path = Path(path or SEED_FILE)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cards = data["cards"]
    except OSError as e:
        raise EmulatorError(f"cannot read card file {path}: {e.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise EmulatorError(f"card file {path} is not JSON with a \"cards\" list") from None
    if not isinstance(cards, list):
        raise EmulatorError(f"card file {path}: \"cards\" must be a list")
    return {p.name: p for p in map(profile_from_dict, cards)}


class _CardState:
    """What a card remembers between APDUs (reset on power off)."""

    def __init__(self) -> None:
        self.app_selected = False
        self.current_ef = b""
        self.reads = 0


class VirtualCard:
    """One vpcd slot with a card that can be inserted, removed and made to misbehave."""

    def __init__(self, profiles: dict[str, Profile] | None = None,
                 host: str = "127.0.0.1", port: int = VPCD_PORT) -> None:
        self.profiles = profiles if profiles is not None else load_profiles()
        self.host, self.port = host, port
        self._lock = threading.Lock()
        self._card: Profile | None = None
        self._generation = 0          # bumps on every insert/remove; a stale thread stops
        self._sock: socket.socket | None = None
        self.connected = threading.Event()
        self.apdus = 0
        # faults
        self.remove_after_reads = 0   # >0: vanish on that READ RECORD (card pulled mid-read)
        self.error_sw: int | None = None
        self.error_on = "read"        # "read" (READ RECORD), "select" or "any"
        self.delay = 0.0              # seconds before each R-APDU
        self.muted = False            # answer the ATR, then no command at all

    # --- the API the CLI, sim: and tests use -------------------------------
    @property
    def inserted(self) -> str | None:
        return self._card.name if self._card else None

    def insert(self, name: str) -> None:
        if name not in self.profiles:
            raise EmulatorError(f"no card named {name!r} (known: {', '.join(self.profiles)})")
        self.remove()
        with self._lock:
            self._card = self.profiles[name]
            self._generation += 1
            gen = self._generation
        threading.Thread(target=self._serve, args=(gen,), name=f"vpcd-card-{name}", daemon=True).start()

    def remove(self) -> None:
        with self._lock:
            self._card = None
            self._generation += 1
            self._drop_socket()

    def remove_midread(self, after_reads: int = 2) -> None:
        self.remove_after_reads = after_reads

    def fail_with(self, sw: int | None, on: str = "read") -> None:
        if on not in ("read", "select", "any"):
            raise EmulatorError("an error status word applies to read, select or any")
        if sw is not None and not 0x6000 <= sw <= 0x6FFF:
            raise EmulatorError("an error status word is 4 hex digits from 6000 to 6FFF")
        self.error_sw, self.error_on = sw, on

    def slow(self, seconds: float) -> None:
        if not 0 <= seconds <= 60:
            raise EmulatorError("slow takes seconds from 0 to 60")
        self.delay = seconds

    def mute(self, on: bool = True) -> None:
        """From the next command on, answer none (the ATR still comes: the card "is there")."""
        self.muted = on

    def clear_faults(self) -> None:
        self.remove_after_reads, self.error_sw, self.delay, self.muted = 0, None, 0.0, False

    def close(self) -> None:
        self.remove()

    def wait_connected(self, timeout: float) -> bool:
        return self.connected.wait(timeout)

    # --- the wire -----------------------------------------------------------
    def _drop_socket(self) -> None:
        self.connected.clear()
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
            self._sock = None

    def _current(self, gen: int) -> bool:
        return gen == self._generation

    def _serve(self, gen: int) -> None:
        """Connect (again whenever pcscd comes back) and answer until removed."""
        while self._current(gen):
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                time.sleep(0.2)       # pcscd not (yet) listening: keep the card "in the slot"
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if not self._current(gen):
                    sock.close()
                    return
                self._sock = sock
                self.connected.set()
            try:
                self._answer_loop(sock, gen)
            except OSError:
                pass
            with self._lock:
                if self._sock is sock:
                    self._drop_socket()
            time.sleep(0.2)

    def _answer_loop(self, sock: socket.socket, gen: int) -> None:
        state = _CardState()
        while self._current(gen):
            payload = _recv_message(sock)
            if payload is None:
                return                # pcscd closed the connection
            card = self._card
            if card is None:
                return
            if len(payload) == 1:
                if payload[0] == CTRL_ATR:
                    _send_message(sock, card.atr)
                elif payload[0] in (CTRL_OFF, CTRL_RESET):
                    state = _CardState()
                continue
            if self.muted:
                continue              # no answer: vpcd waits for one until the card is pulled
            answer = self.answer(card, state, payload)
            if answer is None:        # card pulled in the middle of the read
                with self._lock:
                    if self._current(gen):
                        self._card = None
                        self._generation += 1
                        self._drop_socket()
                return
            if self.delay:
                time.sleep(self.delay)
            _send_message(sock, answer)

    def answer(self, card: Profile, state: _CardState, command: bytes) -> bytes | None:
        """The R-APDU for one C-APDU, or None when the card should vanish now."""
        self.apdus += 1
        if len(command) < 4:
            return b"\x67\x00"
        cla, ins, p1, p2 = command[:4]
        is_read = ins == 0xB2
        if self.error_sw is not None and (self.error_on == "any" or
                                          (self.error_on == "read" and is_read) or
                                          (self.error_on == "select" and ins == 0xA4)):
            return self.error_sw.to_bytes(2, "big")
        if cla == 0xFF and ins == 0xCA:
            return card.uid + b"\x90\x00" if card.uid else b"\x6A\x81"
        if cla != 0x00:
            return b"\x6E\x00"
        data = command[5:5 + command[4]] if len(command) > 5 else b""
        if ins == 0xA4 and p1 == 0x04:
            state.app_selected = card.kind == "social_security" and data == apdu.SSSE_AID
            return b"\x90\x00" if state.app_selected else b"\x6A\x82"
        if ins == 0xA4 and p1 == 0x02:
            if not state.app_selected or data not in apdu.SFI:
                return b"\x6A\x82"
            state.current_ef = data
            return b"\x90\x00"
        if is_read:
            state.reads += 1
            if self.remove_after_reads and state.reads >= self.remove_after_reads:
                self.remove_after_reads = 0
                return None
            return self._read_record(card, state, p1, p2, command[4] if len(command) == 5 else 0)
        return b"\x6D\x00"

    def _read_record(self, card: Profile, state: _CardState, number: int, p2: int, le: int) -> bytes:
        if p2 & 0xF8:
            mode, ef = "sfi", next((f for f, s in apdu.SFI.items() if s == p2 >> 3), b"")
        elif p2 in (0x04, 0x00):
            mode, ef = f"{p2:02X}", state.current_ef
        else:
            return b"\x6A\x86"
        if mode not in card.read_p2:
            return b"\x6A\x86"
        if not state.app_selected:
            return b"\x69\x85"
        if not ef or apdu.RECORDS.get(number) != ef or number not in card.records:
            return b"\x6A\x83"
        record = card.records[number]
        if le not in (0, len(record)):
            return bytes([0x6C, len(record)])   # ISO 7816-4: wrong Le, here is the right one
        return record + b"\x90\x00"


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def _recv_message(sock: socket.socket) -> bytes | None:
    # vpcd writes the length and the payload in two send()s; Nagle then holds the
    # payload until we ACK, and a delayed ACK costs ~40 ms per APDU: ACK at once.
    if hasattr(socket, "TCP_QUICKACK"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    head = _recv_exact(sock, 2)
    if head is None:
        return None
    return _recv_exact(sock, struct.unpack(">H", head)[0])


def _send_message(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">H", len(payload)) + payload)
