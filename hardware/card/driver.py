"""Smart card reader driver over pyscard's PC/SC layer (`smartcard.scard`).

Why the low-level `scard` calls and not `smartcard.System`/`CardMonitor`: every
failure must become a typed error with a plain reason, and pcscd going away must
be survivable. `CardMonitor` is a process-wide singleton that watches every
reader, prints a traceback and stops for good when pcscd disappears
(SCARD_E_NO_SERVICE). So the driver runs its own watcher thread: it blocks in
SCardGetStatusChange on its one reader (500 ms slices, woken by SCardCancel on
disable), emits card_inserted / card_removed, keeps the health with a reason,
and re-establishes its context when pcscd or the reader comes back.

Each read uses its own PC/SC context, so a read never waits behind the watcher
and a pcscd restart between reads costs nothing.

A card that gives its ATR and then answers nothing blocks SCardTransmit, and with
it pcscd's reader, until the card is pulled (with vpcd; a real reader gives up after
its own timeout), and nothing in PC/SC cancels that: SCardCancel only wakes
SCardGetStatusChange, and SCardReconnect, SCardReleaseContext or a connect from
another context wait for the same reader. So the talk with the card (connect,
APDUs, disconnect) runs on a thread of its own with its own context, and the read
waits for it until its deadline only: then it says the card does not answer and the
caller's thread (a DeviceHub worker) is free. The thread left behind ends, and
releases its context, when the card is pulled; the next session waits for it.

No PC/SC error text reaches a message: each code a resident can meet has plain
words, any other is logged with its code and reported as a reader problem.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from smartcard import scard

from hardware.card import apdu
from hardware.card.apdu import CardDataError, CardError, CardStatusError
from hardware.card.record import CardKind, CardRecord
from hardware.model import Device, Health, Status


class ServiceUnavailable(CardError):
    """pcscd is not running or stopped answering."""


class ReaderMissing(CardError):
    """No reader with the configured name is connected."""


class NoCard(CardError):
    """No card was inserted in time."""


class CardRemoved(CardError):
    """The card left the reader before the read finished."""


class UnknownCard(CardError):
    """A card that is neither a social security card nor gives a contactless UID."""


class CardTimeout(CardError):
    """The card answered too slowly, or not at all."""


class CardBusy(CardError):
    """Another program holds the card exclusively."""


class CardUnreadable(CardError):
    """The reader cannot talk to the card: its ATR offers no protocol the reader speaks, or
    it was pulled while the reader powered it up (pcscd then says "protocol mismatch")."""


log = logging.getLogger(__name__)
IN_USE = "in use by another program"
CARD_MUTE = "a card in the reader does not answer: take it out"
ANSWER_GRACE = 0.5  # s past the deadline for a command already sent (its answer ends a slow read)


_SERVICE_GONE = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED,
                 scard.SCARD_F_COMM_ERROR, scard.SCARD_E_INVALID_HANDLE}
_READER_GONE = {scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE,
                scard.SCARD_E_NO_READERS_AVAILABLE}
_CARD_GONE = {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_RESET_CARD,
              scard.SCARD_E_NOT_TRANSACTED, scard.SCARD_E_COMM_DATA_LOST,
              scard.SCARD_W_UNPOWERED_CARD}
_NOT_THIS_APP = {0x6A82, 0x6A81, 0x6D00, 0x6E00, 0x6A86}
_P2_TRIES = ("04", "sfi", "00")   # P2 variants seen on cards; the first that works is kept


class CardReader(Device):
    """A PC/SC reader picked by a part of its name ("" = the first reader)."""

    kind = "card"

    def __init__(self, url: str, reader_part: str = "", poll: float = 0.5) -> None:
        super().__init__(url)
        self.reader_part = reader_part
        self.poll = poll
        self._watch_context: int | None = None
        self._session: threading.Thread | None = None     # the last card session
        self._abandoned: threading.Thread | None = None   # one given up at its deadline
        self.card_present = False

    # lifecycle -------------------------------------------------------------
    def _enable(self) -> None:
        self._start_watcher(self._watch, "card-reader-watch")

    def _disable(self) -> None:
        self._stop.set()
        if self._watch_context is not None:
            scard.SCardCancel(self._watch_context)  # wakes the watcher from SCardGetStatusChange
        self._stop_watcher()

    # health ----------------------------------------------------------------
    def check_health(self) -> Status:
        try:
            with self._context() as context:
                reader = self._find_reader(context)
                self.set_status(self._reader_health(reader, self._state(context, reader)))
        except CardError as e:
            self._failed(e, count=False)
        return self.status

    def _state(self, context: int, reader: str) -> int:
        """The reader's PC/SC state flags now (SCARD_STATE_*)."""
        hresult, states = scard.SCardGetStatusChange(context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        self._check(hresult, "asking the reader's state")
        return states[0][1]

    def _reader_health(self, reader: str, state: int) -> Status:
        """The health a reader in this PC/SC state has (the state's flags, and a card session
        still stuck with a mute card)."""
        if self._abandoned is not None and self._abandoned.is_alive():
            return Status(Health.WARNING, CARD_MUTE)
        if state & scard.SCARD_STATE_EXCLUSIVE:   # our own connections share the card
            return Status(Health.WARNING, IN_USE)
        return Status(Health.OK, f"reader {reader!r} ready")

    def _failed(self, error: CardError, count: bool = True) -> None:
        """Reader-level failures set the health; card-level ones only count."""
        if count:                 # reads count; the watcher's and health probes' retries do not
            self.count("errors")
        if isinstance(error, ServiceUnavailable):
            self.set_status(Status(Health.OFFLINE, str(error)))
        elif isinstance(error, ReaderMissing):
            self.set_status(Status(Health.ABSENT, str(error)))
        elif isinstance(error, CardBusy):
            self.set_status(Status(Health.WARNING, IN_USE))

    # PC/SC plumbing --------------------------------------------------------
    @contextmanager
    def _context(self) -> Iterator[int]:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise ServiceUnavailable("the PC/SC service (pcscd) is not running: start it "
                                     "(systemctl start pcscd) and check the reader's cable")
        try:
            yield context
        finally:
            scard.SCardReleaseContext(context)

    def _find_reader(self, context: int) -> str:
        hresult, names = scard.SCardListReaders(context, [])
        if hresult in _SERVICE_GONE:
            raise ServiceUnavailable("the PC/SC service (pcscd) stopped answering")
        names = list(names) if hresult == scard.SCARD_S_SUCCESS else []
        want = self.reader_part.lower()
        for name in names:
            if want in name.lower():
                return name
        if not names:
            raise ReaderMissing("no smart card reader is connected: check its USB cable")
        raise ReaderMissing(f"no smart card reader named like {self.reader_part!r} is connected "
                            f"(found: {', '.join(names)})")

    @staticmethod
    def _check(hresult: int, doing: str) -> None:
        if hresult == scard.SCARD_S_SUCCESS:
            return
        if hresult in _SERVICE_GONE:
            raise ServiceUnavailable(f"{doing}: the PC/SC service (pcscd) stopped answering")
        if hresult in _READER_GONE:
            raise ReaderMissing(f"{doing}: the smart card reader disappeared: check its USB cable")
        if hresult in _CARD_GONE:
            raise CardRemoved(f"{doing}: the card was taken out too early: insert it again "
                              "and leave it in until the reading is done")
        if hresult == scard.SCARD_W_UNRESPONSIVE_CARD:
            raise UnknownCard(f"{doing}: the card does not answer: is it inserted the right way round?")
        if hresult == scard.SCARD_E_SHARING_VIOLATION:
            raise CardBusy(f"{doing}: the card reader is {IN_USE}: close that program or wait "
                           "until it is done, then try again")
        if hresult == scard.SCARD_E_PROTO_MISMATCH:
            raise CardUnreadable(f"{doing}: the card could not be read: take it out and insert it "
                                 "again, chip first")
        log.warning("PC/SC answered %08X while %s", hresult & 0xFFFFFFFF, doing)
        raise CardError(f"{doing}: the card reader reported a problem: take the card out and "
                        "insert it again; if it keeps happening, restart the reader")

    def _wait_card(self, context: int, reader: str, deadline: float) -> None:
        state = scard.SCARD_STATE_UNAWARE
        while True:
            left = max(0, int((deadline - time.monotonic()) * 1000))
            hresult, states = scard.SCardGetStatusChange(context, min(left, 500), [(reader, state)])
            if hresult != scard.SCARD_E_TIMEOUT:
                self._check(hresult, "waiting for a card")
                state = states[0][1] & ~scard.SCARD_STATE_CHANGED
                if state & scard.SCARD_STATE_PRESENT and not state & scard.SCARD_STATE_MUTE:
                    return
            if time.monotonic() >= deadline:
                raise NoCard("no card in the reader: insert the social security card "
                             "(chip first) or hold the card on the reader")

    # reading ---------------------------------------------------------------
    def read(self, timeout: float = 10.0) -> CardRecord:
        """Wait up to `timeout` s for a card and read it: a social security card, or a contactless UID."""
        try:
            record = self._read(time.monotonic() + timeout, timeout)
        except CardError as e:
            self._failed(e)
            raise
        self.count("reads")
        return record

    def _read(self, deadline: float, timeout: float) -> CardRecord:
        with self._context() as context:
            reader = self._find_reader(context)
            self.set_status(self._reader_health(reader, self._state(context, reader)))
            while True:
                self._wait_card(context, reader, deadline)
                session = _CardSession(self, reader, deadline, timeout)
                try:
                    record = self._run_session(session)
                except (CardRemoved, CardUnreadable, CardBusy) as e:
                    # A card swapped faster than pcscd polls leaves the old card's state
                    # behind, one pulled while powered up gives "protocol mismatch", and
                    # another program may let go of the card: if nothing was read yet,
                    # try again until the deadline.
                    if (isinstance(e, CardRemoved) and session.answered) or time.monotonic() + 0.05 >= deadline:
                        raise
                    time.sleep(0.05)
                    continue
                self.set_status(self._reader_health(reader, 0))  # read, so not held by another
                return record

    def _run_session(self, session: _CardSession) -> CardRecord:
        """`session.read()` on a thread of its own, waited for until the session's deadline and
        ANSWER_GRACE (see the module docstring). One session at a time talks to the card: a
        new one first waits for the last, which may be one left behind with a mute card."""
        previous, outcome, given_up = self._session, {}, threading.Event()

        def run() -> None:
            if previous is not None:
                previous.join()
            if given_up.is_set():
                return
            try:
                outcome["record"] = session.read()
            except BaseException as e:  # handed to the waiting read
                outcome["error"] = e
            if given_up.is_set() and "record" in outcome:
                outcome["record"].wipe()   # read too late: nobody takes it

        thread = threading.Thread(target=run, name="card-session", daemon=True)
        self._session = thread
        thread.start()
        thread.join(max(0.0, session.deadline - time.monotonic()) + ANSWER_GRACE)
        if thread.is_alive():
            given_up.set()
            self._abandoned = thread
            if session.answered:
                raise CardTimeout(f"the card answered too slowly (over {session.timeout:g} s): "
                                  "take it out and insert it again")
            self.set_status(Status(Health.WARNING, CARD_MUTE))  # until it is pulled
            raise CardTimeout("the card does not answer: take it out and insert it again, chip first")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["record"]

    # watcher ---------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                with self._context() as context:
                    self._watch_context = context
                    reader = self._find_reader(context)
                    self.set_status(self._reader_health(reader, self._state(context, reader)))
                    self._watch_reader(context, reader)
            except CardError as e:
                self._failed(e, count=False)
                self._set_present(False, None)
            finally:
                self._watch_context = None
            self._stop.wait(self.poll)

    def _watch_reader(self, context: int, reader: str) -> None:
        state = scard.SCARD_STATE_UNAWARE
        while not self._stop.is_set():
            hresult, states = scard.SCardGetStatusChange(context, int(self.poll * 1000), [(reader, state)])
            if hresult == scard.SCARD_E_CANCELLED:
                continue
            if hresult == scard.SCARD_E_TIMEOUT:
                # another program taking the card exclusively is no event to pcsc-lite, but
                # the state it hands back on a timeout carries the flag
                self.set_status(self._reader_health(reader, states[0][1]))
                continue
            self._check(hresult, "watching the reader")
            _, state, atr = states[0]
            state &= ~scard.SCARD_STATE_CHANGED
            if state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE | scard.SCARD_STATE_IGNORE):
                raise ReaderMissing(f"the smart card reader {reader!r} disappeared: check its USB cable")
            present = bool(state & scard.SCARD_STATE_PRESENT)
            self._set_present(present, bytes(atr).hex().upper() if present else None)
            self.set_status(self._reader_health(reader, state))  # busy, mute card, or ready

    def _set_present(self, present: bool, atr: str | None) -> None:
        if present != self.card_present:
            self.card_present = present
            self.emit("card_inserted" if present else "card_removed", {"atr": atr} if present else None)


class _CardSession:
    """One connected card: APDU exchange with the ISO 7816-4 retries, and the reading sequence."""

    def __init__(self, reader: CardReader, reader_name: str, deadline: float, timeout: float):
        self.reader, self.reader_name, self.deadline, self.timeout = reader, reader_name, deadline, timeout
        self.card = self.protocol = 0
        self.answered = 0   # APDUs the card answered: tells a stale card from one pulled mid-read

    def atr(self) -> str:
        hresult, _name, _state, _protocol, atr = scard.SCardStatus(self.card)
        self.reader._check(hresult, "reading the card's ATR")
        return bytes(atr).hex().upper()

    def transmit(self, command: bytes, doing: str, depth: int = 0) -> tuple[bytes, int]:
        if time.monotonic() > self.deadline:
            raise CardTimeout(f"{doing}: the card answered too slowly (over {self.timeout:g} s): "
                              "take it out and insert it again")
        hresult, response = scard.SCardTransmit(self.card, self.protocol, list(command))
        self.reader._check(hresult, doing)
        if len(response) < 2:   # vpcd and some readers answer "nothing" when the card is pulled
            raise CardRemoved(f"{doing}: the card was taken out too early: insert it again "
                              "and leave it in until the reading is done")
        data, sw = apdu.split_response(bytes(response))
        self.answered += 1
        if depth > 4:            # a card that keeps asking for more is broken, not slow
            return data, sw
        if sw >> 8 == 0x6C:      # wrong Le: the card tells the right one
            return self.transmit(command[:-1] + bytes([sw & 0xFF]), doing, depth + 1)
        if sw >> 8 == 0x61:      # more data waiting
            more, sw = self.transmit(apdu.get_response(sw & 0xFF), doing, depth + 1)
            return data + more, sw
        return data, sw

    def read(self) -> CardRecord:
        """Connect, read, disconnect, on a PC/SC context of the session's own (the caller may
        leave this thread behind, blocked in PC/SC: nothing else may wait on its context)."""
        with self.reader._context() as context:
            hresult, self.card, self.protocol = scard.SCardConnect(
                context, self.reader_name, scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
            self.reader._check(hresult, "connecting to the card")
            try:
                return self._read()
            finally:
                scard.SCardDisconnect(self.card, scard.SCARD_LEAVE_CARD)

    def _read(self) -> CardRecord:
        atr = self.atr()
        _, sw = self.transmit(apdu.select_aid(), "selecting the social security application")
        if sw == apdu.OK:
            return self.read_social_security(atr)
        if sw not in _NOT_THIS_APP:
            raise CardStatusError(sw, "selecting the social security application")
        uid, sw = self.transmit(apdu.GET_UID, "reading the card's contactless ID")
        if sw == apdu.OK and uid:
            return CardRecord(CardKind.CONTACTLESS, atr, uid=uid.hex().upper())
        raise UnknownCard("this card is not a social security card and has no contactless ID: "
                          "use the social security card (社会保障卡)")

    def read_social_security(self, atr: str) -> CardRecord:
        values: dict[int, bytes] = {}
        p2_mode: str | None = None
        for ef in (apdu.EF05, apdu.EF06):
            _, sw = self.transmit(apdu.select_file(ef), f"selecting file {ef.hex().upper()}")
            if sw != apdu.OK:
                raise CardStatusError(sw, f"selecting file {ef.hex().upper()}")
            for number in (n for n, f in apdu.RECORDS.items() if f == ef):
                data, p2_mode = self.read_record(number, ef, p2_mode)
                values[number] = apdu.parse_tlv(data, number)
        return CardRecord(
            CardKind.SOCIAL_SECURITY, atr,
            card_id_code=values[apdu.CARD_ID_CODE].hex().upper(),
            spec_version=apdu.parse_text(values[apdu.SPEC_VERSION], "ascii", "specification version"),
            issued=apdu.parse_bcd_date(values[apdu.ISSUED]),
            expires=apdu.parse_bcd_date(values[apdu.EXPIRES]),
            card_number=apdu.parse_text(values[apdu.CARD_NUMBER], "ascii", "card number"),
            ssn=apdu.parse_text(values[apdu.SSN], "ascii", "social security number"),
            name=apdu.parse_text(values[apdu.NAME], "gbk", "name"))

    def read_record(self, number: int, ef: bytes, p2_mode: str | None) -> tuple[bytes, str]:
        doing = f"reading record {number:02X}"
        sw = 0
        for mode in (p2_mode,) if p2_mode else _P2_TRIES:
            p2 = (apdu.SFI[ef] << 3) | 0x04 if mode == "sfi" else int(mode, 16)
            data, sw = self.transmit(apdu.read_record(number, p2), doing)
            if sw == apdu.OK:
                return data, mode
            if sw != 0x6A86:      # only "wrong P1/P2" means: try the next P2 variant
                break
        raise CardStatusError(sw, doing)


__all__ = ["CardReader", "CardError", "CardDataError", "CardStatusError", "ServiceUnavailable",
           "ReaderMissing", "NoCard", "CardRemoved", "UnknownCard", "CardTimeout", "CardBusy",
           "CardUnreadable"]
