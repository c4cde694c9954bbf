"""The receipt printer driver: python-escpos transports, our own status checks.

Before every job it asks DLE EOT 1, 2 and 4 (online, offline cause, paper
roll) with its own reads and timeout: python-escpos' paper_status() returns
"paper ok" on an empty answer, and many printers accept a job with no paper.
Paper out, cover open, offline or no answer refuse the job; paper near end
prints and leaves the health at warning.

Handing the bytes to a socket or a serial port says nothing about the paper: a
job is printed only when the printer answers the same three questions *after*
it. The printer reads its input in order, so the first answer comes once it has
taken the whole job, which on a slow printer takes a while: that wait grows with
the job's size (SLOWEST_BYTES_PER_S). A connection lost on the way, no answer in
time, or paper out, cover open or an error in the answers afterwards mean the
receipt did not come out whole: PrinterError, and the health says why.

A device file (file://) cannot answer, so its status is unknown: a warning,
never ok, and a job written to it is as printed as the file can tell.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from dataclasses import replace

from hardware.model import Device, Health, Paper, Status
from hardware.printer.errors import (CoverOpen, PaperOut, PrinterError, PrinterNoAnswer,
                                     PrinterOffline, PrinterUnavailable)
from hardware.printer.receipt import PrintOptions, Receipt
from hardware.urls import DeviceUrl, device_kind

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
TRANSPORTS = ("usb", "serial", "tcp", "file")  # the URL schemes; sim: is one of them underneath
OPTION_KEYS = {"width", "encoding", "chinese", "qr", "qr_size", "timeout", "baudrate"}
REFUSING = (Health.ERROR, Health.OFFLINE, Health.ABSENT)
SLOWEST_BYTES_PER_S = 960  # a 9600-baud line: a printer taking a job slower than this is not answering


def parse_options(query: Mapping[str, str], base: PrintOptions | None = None) -> PrintOptions:
    """Printer settings from a device URL's query, e.g. ``?width=58&encoding=gbk&chinese=off``."""
    unknown = sorted(set(query) - OPTION_KEYS)
    if unknown:
        raise PrinterError(f"unknown printer setting {unknown[0]!r} in the device URL "
                           f"(known: {', '.join(sorted(OPTION_KEYS))})")
    options = base or PrintOptions()
    changes: dict = {}
    try:
        if "width" in query:
            changes["width"] = int(query["width"])
        if "qr_size" in query:
            changes["qr_size"] = int(query["qr_size"])
    except ValueError:
        raise PrinterError("printer width and qr_size must be whole numbers") from None
    if "encoding" in query:
        changes["encoding"] = query["encoding"].lower()
    if "qr" in query:
        changes["qr"] = query["qr"]
    if "chinese" in query:
        flag = query["chinese"].lower()
        if flag not in ("on", "off", "1", "0", "true", "false"):
            raise PrinterError(f"printer setting chinese must be on or off (got {flag!r})")
        changes["chinese_mode"] = flag in ("on", "1", "true")
    return replace(options, **changes)


class ReceiptPrinter(Device):
    kind = "printer"

    def __init__(self, url: str | DeviceUrl, options: PrintOptions | None = None,
                 timeout: float = 1.0) -> None:
        parts = url if isinstance(url, DeviceUrl) else DeviceUrl.parse(url)
        super().__init__(parts.text)
        if parts.scheme not in TRANSPORTS:
            raise device_kind(self.kind).unsupported(parts.text)
        self._parts = parts
        query = parts.query
        self.options = parse_options(query, options)
        try:
            self.timeout = float(query.get("timeout", timeout))
            self._baudrate = int(query.get("baudrate", 9600))
        except ValueError:
            raise PrinterError("printer timeout and baudrate must be numbers") from None
        self._printer = None      # the python-escpos printer, connected
        self.emulator = None      # set by from_url("sim:")

    # transport ------------------------------------------------------------------
    def _open(self) -> None:
        self._connect()

    def _close(self) -> None:
        self._disconnect()

    def _connect(self):
        if self._printer is not None:
            return self._printer
        from escpos.exceptions import DeviceNotFoundError
        from escpos.printer import File, Network, Serial
        p = self._parts
        try:
            if p.scheme == "tcp":
                printer = Network(p.host, p.port or 9100, timeout=max(self.timeout, 2.0))
            elif p.scheme == "serial":
                printer = Serial(p.path, baudrate=self._baudrate, timeout=self.timeout, dsrdtr=False)
            elif p.scheme == "file":
                printer = File(p.path)
            else:
                printer = self._usb_printer()
            printer.open()
        except DeviceNotFoundError:
            self.set_status(Status(Health.ABSENT if p.scheme in ("usb", "file") else Health.OFFLINE,
                                   "cannot reach the printer", Paper.UNKNOWN))
            raise PrinterUnavailable(f"cannot reach the printer at {self.url}: check that it is "
                                     f"switched on and connected") from None
        self._printer = printer
        return printer

    def _usb_printer(self):
        from escpos.printer import Usb
        try:
            vendor, product = (int(x, 16) for x in self._parts.netloc.split(":"))
        except ValueError:
            raise PrinterError(f"USB printer URL must be usb://0xVVVV:0xPPPP (got {self.url!r})") from None
        return Usb(vendor, product, timeout=int(self.timeout * 1000))

    def _disconnect(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            try:
                printer.close()
            except Exception:  # closing a dead transport may fail in many ways; it is gone anyway
                pass

    def _query(self, n: int, wait: float | None = None) -> int | None:
        """One DLE EOT n answer byte, or None when the printer stays silent for `wait` seconds
        (default: the timeout)."""
        printer = self._connect()
        device = printer.device
        wait = self.timeout if wait is None else wait
        request = DLE_EOT + bytes([n])
        try:
            if self._parts.scheme == "tcp":
                device.setblocking(False)
                try:
                    while device.recv(64):  # drop late answers to an earlier request
                        pass
                    raise ConnectionResetError("closed by the printer")  # recv gave b"": EOF
                except BlockingIOError:
                    pass
                device.settimeout(wait)
                device.sendall(request)
                answer = device.recv(1)
                if not answer:
                    raise ConnectionResetError("closed by the printer")
            elif self._parts.scheme == "serial":
                device.reset_input_buffer()
                device.write(request)
                device.timeout = wait
                try:
                    answer = device.read(1)
                finally:
                    device.timeout = self.timeout
            else:  # usb
                import usb.core
                printer._raw(request)
                try:
                    answer = bytes(device.read(printer.in_ep, 16, int(wait * 1000)))[:1]
                except usb.core.USBTimeoutError:
                    answer = b""
        except socket.timeout:
            answer = b""
        except OSError:
            self._lost()
        if not answer:
            return None
        if answer[0] & 0x93 != 0x12:  # every status byte has the form 0xx1xx10
            raise PrinterError(f"the printer at {self.url} gave an unexpected status answer; "
                               f"check the printer model and the serial speed")
        return answer[0]

    def _lost(self, during_job: bool = False):
        self._disconnect()
        self.set_status(Status(Health.OFFLINE, "connection lost" + (" during a receipt" if during_job else ""),
                               Paper.UNKNOWN))
        raise PrinterUnavailable(f"lost the connection to the printer at {self.url}"
                                 + (" during the receipt" if during_job else "")
                                 + ": check that it is switched on and connected") from None

    # status ---------------------------------------------------------------------
    def check_health(self) -> Status:
        with self._lock:
            status, _ = self._probe()
            return status

    def _probe(self, first_wait: float | None = None,
               after_job: bool = False) -> tuple[Status, PrinterError | None]:
        """The current status and, if it must refuse a job (or a job just sent did not come
        out whole: `after_job`), the error to raise. `first_wait`: how long the first answer
        may take (after a job: until the printer has taken all of it)."""
        self.open()  # lifecycle open; after a lost connection _connect() reconnects
        if self._parts.scheme == "file":
            self._connect()
            status = Status(Health.WARNING, "status unknown: a device file cannot report "
                            "paper or cover state", Paper.UNKNOWN)
            self.set_status(status)
            return status, None
        try:
            online = self._query(1, first_wait)
            cause, roll = (None, None) if online is None else (self._query(2), self._query(4))
        except PrinterUnavailable:
            if not after_job:
                raise
            self._lost(during_job=True)
        if online is None or None in (cause, roll):
            status = Status(Health.OFFLINE, "did not confirm the last receipt" if after_job
                            else "no answer to status requests", Paper.UNKNOWN)
            self.set_status(status)
            if after_job:
                return status, PrinterNoAnswer(
                    f"the printer at {self.url} did not confirm the receipt within "
                    f"{first_wait:.0f} s: check power, cable and paper")
            return status, PrinterNoAnswer(
                f"the printer at {self.url} does not answer: check power, cable and settings"
                if online is None else f"the printer at {self.url} stopped answering: check power and cable")
        status, fault = self._interpret(online, cause, roll)
        self.set_status(status)
        if fault is None:
            return status, None
        error, before, after = REFUSALS[fault]
        return status, error(after if after_job else before)

    @staticmethod
    def _interpret(online: int, cause: int, roll: int) -> tuple[Status, str | None]:
        """The status the three answers give, and the fault (a key of REFUSALS) if it refuses jobs."""
        paper = Paper.EMPTY if roll & 0x60 or cause & 0x20 else Paper.LOW if roll & 0x0C else Paper.OK
        if paper is Paper.EMPTY:
            return Status(Health.ERROR, "out of paper", paper), "paper-out"
        if cause & 0x04:
            return Status(Health.ERROR, "cover open", paper), "cover-open"
        if cause & 0x40:
            return Status(Health.ERROR, "printer error", paper), "error"
        if online & 0x08:
            return Status(Health.OFFLINE, "printer offline", paper), "offline"
        if paper is Paper.LOW:
            return Status(Health.WARNING, "paper low: replace the roll soon", paper), None
        return Status(Health.OK, "", paper), None

    # printing -------------------------------------------------------------------
    def print_receipt(self, receipt: Receipt) -> Status:
        """Print one receipt; returns the status after it (warning when paper is low)."""
        data = receipt.encode(self.options)  # layout errors surface before the printer is touched
        return self.print_bytes(data)

    def print_bytes(self, data: bytes) -> Status:
        """Print one job and return the printer's status after it. PrinterError when the
        printer refuses the job, or does not confirm it came out whole (module docstring)."""
        with self._lock:
            try:
                status, refusal = self._probe()
                if refusal is not None:
                    raise refusal
                printer = self._connect()
                try:
                    printer._raw(data)
                    if hasattr(printer.device, "flush"):
                        printer.device.flush()
                except Exception:  # socket, serial and usb errors have no common base
                    self._lost(during_job=True)
                status, failure = self._probe(self.confirm_wait(len(data)), after_job=True)
                if failure is not None:
                    raise failure
            except PrinterError:
                self.count("errors")
                raise
            self.count("prints")
            log.info("printer %s: printed a job of %d bytes (%s)", self.kind, len(data),
                     status.health.value)
            return status

    def confirm_wait(self, size: int) -> float:
        """Seconds a printer may take to take a job of `size` bytes and answer after it."""
        rate = SLOWEST_BYTES_PER_S
        if self._parts.scheme == "serial":
            rate = min(rate, self._baudrate / 10)  # 8N1: ten bits a byte
        return self.timeout + size / rate


REFUSALS = {  # fault -> (error, message before a job, message when it struck during one)
    "paper-out": (PaperOut, "the printer is out of paper: load a new roll and close the cover",
                  "the printer ran out of paper during the receipt: load a new roll and close the cover"),
    "cover-open": (CoverOpen, "the printer cover is open: close it firmly",
                   "the printer cover opened during the receipt: close it firmly"),
    "error": (PrinterOffline, "the printer reports an error: switch it off and on again",
              "the printer reported an error during the receipt: switch it off and on again"),
    "offline": (PrinterOffline, "the printer is offline: check that it is switched on and not "
                                "feeding paper",
                "the printer went offline during the receipt: check that it is switched on and "
                "has paper"),
}
