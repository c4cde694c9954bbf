"""Scanner drivers: a serial / TCP line scanner and a keyboard wedge; both emit ``scanned``."""

from __future__ import annotations

import time
from typing import Any, Callable

from hardware.model import Device, Health, Status
from hardware.scanner.lines import LineSplitter, ScanError
from hardware.scanner.wedge import KeyBurst
from hardware.serialport import PORT_ERRORS, SerialDevice


class ScannerOffline(ScanError):
    pass


class SerialScanner(SerialDevice):
    """Reads codes on its own thread; reopens the port when it comes back.

    A code ends at CR / LF or, from a scanner set to send no suffix, after `quiet` seconds
    without a byte (scanners send a code in one go; scans are seconds apart). A serial
    port opens whether or not a scanner is on the other end and a scanner says nothing
    until it scans, so health stays a warning until bytes have arrived."""

    kind = "scanner"
    noun = "scanner"
    offline_error = ScannerOffline

    def __init__(self, url: str, port_url: str, baudrate: int = 9600, retry_interval: float = 0.3,
                 emulator: Any = None, quiet: float = 0.1) -> None:
        super().__init__(url, port_url, baudrate, timeout=min(0.02, quiet / 4), emulator=emulator)
        self.retry_interval = retry_interval
        self.quiet = quiet
        # bytes came from the scanner since the port was (re)opened; a sim: URL's emulator is
        # known to be there
        self._heard = False

    def _ready(self) -> Status:
        if self._heard or self.emulator is not None:
            return Status(Health.OK, "ready")
        return Status(Health.WARNING, f"port {self.port_url} open, no scan seen yet: scan a code "
                                      "to test the scanner")

    def _open(self) -> None:
        self._port_or_raise()
        self.set_status(self._ready())
        if self.emulator is not None:
            self.emulator.driver_connected()

    def check_health(self) -> Status:
        try:
            self._port_or_raise()
            status = self._ready()
        except ScannerOffline as e:
            status = Status(Health.OFFLINE, str(e))
        self.set_status(status)
        return status

    def _watch(self) -> None:
        lines, last = LineSplitter(), 0.0
        while not self._stop.is_set():
            try:
                port = self._port_or_raise()
                data = port.read(max(1, port.in_waiting))
            except ScannerOffline as e:
                self.set_status(Status(Health.OFFLINE, str(e)))
                self._stop.wait(self.retry_interval)
                continue
            except PORT_ERRORS:
                self._drop_port()
                self._heard = False  # what comes back at that path has to show itself again
                lines = LineSplitter()  # half a code from before the drop is not a code
                self.count("errors")
                self.set_status(Status(Health.OFFLINE, f"the scanner at {self.port_url} went away "
                                                       "(unplugged?); waiting for it to return"))
                continue
            now = time.monotonic()
            if data:
                self._heard, last = True, now
                items = lines.feed(data)
            elif lines.pending and now - last >= self.quiet:
                items = lines.end()
            else:
                items = []
            self.set_status(self._ready())
            for item in items:
                if isinstance(item, ScanError):
                    self.count("errors")
                    self.emit("scan_error", str(item))
                else:
                    self.count("scans")
                    self.emit("scanned", item)


class WedgeScanner(Device):
    """A USB scanner in keyboard mode; the GUI feeds it key events (`feed`, `flush`). Keys
    that were typing, not a scan, go to `typed_to` at once (the GUI's focused field), or else
    out as a "typed" event."""

    kind = "scanner"

    def __init__(self, url: str = "hid:", max_gap: float = 0.03, min_length: int = 4,
                 stall: float = 0.08) -> None:
        super().__init__(url)
        self.burst = KeyBurst(self._scanned, self._typed, max_gap, min_length, stall)
        self.typed_to: Callable[[str], None] | None = None

    def feed(self, char: str, at: float) -> None:
        self.burst.feed(char, at)

    def flush(self, now: float) -> None:
        self.burst.flush(now)

    def check_health(self) -> Status:
        # a keyboard wedge cannot be asked anything: unknown is a warning, never ok
        status = Status(Health.WARNING, "keyboard-wedge scanner: cannot be checked, scan a code to test it")
        self.set_status(status)
        return status

    def _scanned(self, code: str) -> None:
        self.count("scans")
        self.emit("scanned", code)

    def _typed(self, text: str) -> None:
        if self.typed_to is not None:
            self.typed_to(text)
        else:
            self.emit("typed", text)
