"""The ID card reader driver: SAM_V over a serial port (or a TCP serial bridge).

One request, one answer, under one lock. A polling thread (while enabled) finds
a card, reads it once and emits ``identity``; a read card stays halted in the
field, so presence is then probed with the short "additional address" read
(30 03) until the card leaves, which emits ``card_removed``. A port that
vanishes is dropped and reopened on the next poll, so the driver recovers by
itself when the reader comes back.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from hardware.idcard import frame
from hardware.idcard.frame import Decoder, FrameError, IdCardError, StatusError
from hardware.idcard.identity import PHOTO_SIZE, TEXT_SIZE, Identity, parse_text
from hardware.model import Health, Status
from hardware.serialport import PORT_ERRORS, SerialDevice

SLICE = 0.02  # one port read waits at most this long, so deadlines are kept closely
log = logging.getLogger(__name__)


# A find-card poll is ~25 bytes (~2.2 ms of line time at 115200): every 20 ms keeps the line
# mostly idle and puts a placed card's record on screen within ~30 ms of the wire time.
POLL_INTERVAL = 0.02

class ReaderOffline(IdCardError):
    """The reader's port cannot be opened or vanished."""


class ReaderTimeout(IdCardError):
    pass


class PartialAnswer(FrameError):
    pass


class NoCard(IdCardError):
    pass


class IdCardReader(SerialDevice):
    kind = "idcard"
    noun = "ID card reader"
    offline_error = ReaderOffline
    # host timeouts seen in practice (reference: find/select 100 ms, read 2 s, fingerprint 3 s)
    timeouts = {frame.FIND: 0.1, frame.SELECT: 0.1, frame.READ: 2.0, frame.READ_FP: 3.0,
                frame.READ_ADDRESS: 0.5, frame.RESET: 0.5, frame.SAM_STATUS: 0.5, frame.SAM_ID: 0.5}

    def __init__(self, url: str, port_url: str, baudrate: int = 115200,
                 poll_interval: float = POLL_INTERVAL, fingerprint: bool = False, emulator: Any = None,
                 timeouts: dict[tuple[int, int], float] | None = None) -> None:
        super().__init__(url, port_url, baudrate, timeout=SLICE, write_timeout=1.0, emulator=emulator)
        self.timeouts = {**self.timeouts, **(timeouts or {})}
        self.poll_interval = poll_interval
        self.fingerprint = fingerprint
        self._io = threading.Lock()
        self._card_in_field = False       # a card was read (or failed) and has not left yet

    # lifecycle -------------------------------------------------------------
    def _open(self) -> None:
        with self._io:
            self._port_or_raise()

    def _close(self) -> None:
        with self._io:
            super()._close()

    # the wire ---------------------------------------------------------------
    def transact(self, command: tuple[int, int], data: bytes = b"",
                 timeout: float | None = None) -> frame.Frame:
        """Send one request and return its answer frame (SW3 not checked yet)."""
        timeout = self.timeouts.get(command, 1.0) if timeout is None else timeout
        with self._io:
            port = self._port_or_raise()
            decoder = Decoder()
            try:
                port.reset_input_buffer()  # a late answer to an earlier request must not count
                port.write(frame.request(command, data))
                deadline = time.monotonic() + timeout
                while True:
                    for answer in decoder.frames():
                        if frame.belongs(command, answer):
                            return answer
                    if time.monotonic() >= deadline:
                        break
                    decoder.feed(port.read(max(1, decoder.wanted)))
            except PORT_ERRORS:
                self._drop_port()
                raise ReaderOffline(f"the ID card reader at {self.port_url} went away "
                                    "(unplugged?); waiting for it to return") from None
        if decoder.pending:
            raise PartialAnswer("the reader's answer was cut off (card moved during the read?)")
        raise ReaderTimeout(f"the ID card reader did not answer within {timeout * 1000:.0f} ms")

    def _ok(self, command: tuple[int, int], *accept: int) -> bytes:
        answer = self.transact(command)
        if answer.sw3 not in (accept or (frame.OK,)):
            raise StatusError(answer.sw3)
        return answer.data

    # commands ----------------------------------------------------------------
    def reset(self) -> None:
        self._ok(frame.RESET)

    def sam_status(self) -> None:
        self._ok(frame.SAM_STATUS)

    def sam_id(self) -> str:
        data = self._ok(frame.SAM_ID)
        if len(data) != 16:
            raise FrameError("the reader's SAM id answer has an unexpected length")
        parts = [int.from_bytes(data[a:b], "little") for a, b in ((0, 2), (2, 4), (4, 8), (8, 12), (12, 16))]
        return "{:02d}.{:02d}-{:08d}-{:010d}-{:010d}".format(*parts)

    def find(self) -> bool:
        """True when a fresh card is in the field (a card already read does not count)."""
        answer = self.transact(frame.FIND)
        if answer.sw3 == frame.NO_CARD:
            return False
        if answer.sw3 != frame.FIND_OK:
            raise StatusError(answer.sw3)
        return True

    def select(self) -> None:
        self._ok(frame.SELECT)

    def read(self, fingerprint: bool | None = None) -> Identity:
        """Read the found and selected card's text and photo into an identity record."""
        fingerprint = self.fingerprint if fingerprint is None else fingerprint
        data = self._ok(frame.READ_FP if fingerprint else frame.READ)
        head = 6 if fingerprint else 4
        sizes = [int.from_bytes(data[i:i + 2], "big") for i in range(0, head, 2)] if len(data) >= head else []
        if len(sizes) * 2 != head or sizes[:2] != [TEXT_SIZE, PHOTO_SIZE] or len(data) != head + sum(sizes):
            raise FrameError("the reader's card data has an unexpected layout")
        # the fingerprint (if any) is not kept: nothing in the kiosk needs it
        return parse_text(data[head:head + TEXT_SIZE], data[head + TEXT_SIZE:head + TEXT_SIZE + PHOTO_SIZE])

    def card_still_there(self) -> bool:
        """After a read, the card stays halted in the field; 30 03 still answers until it leaves."""
        answer = self.transact(frame.READ_ADDRESS)
        return answer.sw3 in (frame.OK, frame.NO_CONTENT)

    def read_card(self, timeout: float = 10.0) -> Identity:
        """Wait up to `timeout` seconds for a card, then read it (used by `kiosk read-id`)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.find():
                self.select()
                identity = self.read()
                self.count("reads")
                return identity
            if time.monotonic() + self.poll_interval > deadline:
                raise NoCard(f"no ID card was placed within {timeout:g} s: place the card "
                             "flat on the reader")
            time.sleep(self.poll_interval)

    # health --------------------------------------------------------------------
    def check_health(self) -> Status:
        try:
            self.sam_status()
            status = Status(Health.OK, "ready")
        except IdCardError as e:
            status = status_for(e)
        self.set_status(status)
        return status

    # polling -------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as e:  # the kiosk must keep polling; the message may hold card bytes
                log.error("ID card polling hit an unexpected %s; continuing", type(e).__name__)
                self.set_status(Status(Health.ERROR, "the ID card reader driver hit an unexpected error"))
            self._stop.wait(self.poll_interval)

    def poll_once(self) -> None:
        """One polling step: emit card_removed / identity as the card comes and goes."""
        try:
            if self._card_in_field:
                if self.card_still_there():
                    self.set_status(Status(Health.OK, "ready"))
                    return
                self._card_left()
            if self.find():
                self._card_in_field = True  # even if the read fails, it must leave first
                try:
                    self.select()
                    identity = self.read()
                except IdCardError as e:
                    self.emit("read_error", str(e))
                    raise
                self.count("reads")
                self.emit("identity", identity)
            self.set_status(Status(Health.OK, "ready"))
        except IdCardError as e:
            self.count("errors")
            if isinstance(e, ReaderOffline) and self._card_in_field:
                self._card_left()  # unknown whether the card is still there: end its session
            self.set_status(status_for(e))

    def _card_left(self) -> None:
        self._card_in_field = False
        self.emit("card_removed")


def status_for(error: IdCardError) -> Status:
    health = Health.OFFLINE if isinstance(error, ReaderOffline) else Health.ERROR
    return Status(health, str(error))
