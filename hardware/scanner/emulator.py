"""A wire-level QR / barcode scanner: sends codes as lines on a pty or a TCP port.

Product code (`sim:`, the demo, the admin self-test, the tests). Codes come from
the command line, a file (one per line) or stdin (each line a code). Like a real
scanner it may vanish (`gone`) and come back (`back`); the command lines `!gone` and
`!back` do that from `kiosk emulate scanner` (`command`).
"""

from __future__ import annotations

import queue
import threading

from hardware.links import LinkEmulator, make_link

SUFFIXES = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "none": b""}  # none: ends on a quiet line


class ScannerEmulator(LinkEmulator):
    name = "scanner"

    def __init__(self, transport: str = "pty", port: int = 0, baudrate: int = 9600, suffix: str = "cr",
                 encoding: str = "utf-8", initial: list[str] | None = None, interval: float = 0.2) -> None:
        if suffix not in SUFFIXES:
            raise ValueError(f"suffix must be one of {', '.join(SUFFIXES)}")
        super().__init__(make_link(transport, "scanner", port, baudrate, pace=True))
        self.suffix, self.encoding = SUFFIXES[suffix], encoding
        self.initial, self.interval = list(initial or []), interval
        self.sent = 0
        self._outbox: queue.Queue[bytes | bool] = queue.Queue()

    def send(self, code: str) -> None:
        """Scan `code`: send it with the line suffix."""
        self._outbox.put(code.encode(self.encoding) + self.suffix)

    def send_raw(self, data: bytes) -> None:
        """Bytes as they are (to test what a driver does with broken input)."""
        self._outbox.put(data)

    def driver_connected(self) -> None:
        """A sim: driver has its port open: send the codes given at start, spaced out."""
        def later() -> None:
            for code in self.initial:
                if self._stop.wait(self.interval):
                    return
                self.send(code)
        threading.Thread(target=later, daemon=True).start()

    def gone(self) -> None:
        self._outbox.put(False)
        self._outbox.join()

    def back(self) -> None:
        self._outbox.put(True)
        self._outbox.join()

    def command(self, line: str) -> None:
        """One line typed at `kiosk emulate scanner`: `!gone`, `!back`, or a code to send."""
        text = line.strip()
        if text == "!gone":
            self.gone()
        elif text == "!back":
            self.back()
        elif text:
            self.send(text)

    def _serve(self) -> None:
        # this thread alone touches the link's file descriptors
        while not self._stop.is_set():
            self.link.read(0.02)  # a real scanner ignores (or is configured by) host bytes
            while True:
                try:
                    item = self._outbox.get_nowait()
                except queue.Empty:
                    break
                if item is True and not self.link.is_open:
                    self.link.open()
                elif item is False and self.link.is_open:
                    self.link.close()
                elif isinstance(item, bytes):
                    self.link.write(item)
                    self.sent += 1
                self._outbox.task_done()
