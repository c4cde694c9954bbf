"""Scanner drivers: a serial / TCP line scanner and a keyboard wedge; both emit ``scanned``."""

from __future__ import annotations

from typing import Any, Callable

from hardware.model import Device, Health, Status
from hardware.scanner.lines import LineSplitter, ScanError
from hardware.scanner.wedge import KeyBurst
from hardware.serialport import PORT_ERRORS, SerialDevice


class ScannerOffline(ScanError):
    pass


class SerialScanner(SerialDevice):
    """Reads line-terminated codes on its own thread; reopens the port when it comes back."""

    kind = "scanner"
    noun = "scanner"
    offline_error = ScannerOffline

    def __init__(self, url: str, port_url: str, baudrate: int = 9600, retry_interval: float = 0.3,
                 emulator: Any = None) -> None:
        super().__init__(url, port_url, baudrate, timeout=0.1, emulator=emulator)
        self.retry_interval = retry_interval

    def _open(self) -> None:
        self._port_or_raise()
        self.set_status(Status(Health.OK, "ready"))
        if self.emulator is not None:
            self.emulator.driver_connected()

    def check_health(self) -> Status:
        try:
            self._port_or_raise()
            status = Status(Health.OK, "ready")
        except ScannerOffline as e:
            status = Status(Health.OFFLINE, str(e))
        self.set_status(status)
        return status

    def _watch(self) -> None:
        lines = LineSplitter()
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
                lines = LineSplitter()  # half a code from before the drop is not a code
                self.count("errors")
                self.set_status(Status(Health.OFFLINE, f"the scanner at {self.port_url} went away "
                                                       "(unplugged?); waiting for it to return"))
                continue
            self.set_status(Status(Health.OK, "ready"))
            for item in lines.feed(data):
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

    def __init__(self, url: str = "hid:", max_gap: float = 0.03, min_length: int = 4) -> None:
        super().__init__(url)
        self.burst = KeyBurst(self._scanned, self._typed, max_gap, min_length)
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
