"""A wire-level QR / barcode scanner: sends codes as lines on a pty or a TCP port.

Product code (`sim:`, the demo, the admin self-test, the tests). Codes come from
the command line, a file (one per line) or stdin (each line a code). Like a real
scanner it may vanish (`gone`) and come back (`back`); stdin lines `!gone` and
`!back` do that from `kiosk emulate scanner`.
"""

from __future__ import annotations

import argparse
import codecs
import queue
import signal
import sys
import threading
from pathlib import Path

from hardware.links import LinkEmulator, make_link
from hardware.console import serve_commands

SUFFIXES = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n"}


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--pty", action="store_true", help="serve on a pty (default); prints its path")
    where.add_argument("--tcp", type=int, metavar="PORT", help="serve on TCP 127.0.0.1:PORT (0: any free port)")
    parser.add_argument("--code", action="append", default=[], help="a code to send (repeatable)")
    parser.add_argument("--file", help="send each line of this file as a code")
    parser.add_argument("--interval", type=float, default=1.0, metavar="S",
                        help="seconds before and between the codes of --code/--file (default 1)")
    parser.add_argument("--suffix", choices=sorted(SUFFIXES), default="cr", help="end of each code")
    parser.add_argument("--encoding", default="utf-8", help="text encoding (utf-8 or gb18030)")
    parser.add_argument("--baudrate", type=int, default=9600, help="line speed to pace codes at")


def run(args: argparse.Namespace) -> int:
    codes = list(args.code)
    try:
        if args.file:
            codes += [line.strip() for line in Path(args.file).read_text(encoding="utf-8").splitlines()
                      if line.strip()]
        codecs.lookup(args.encoding)
        emulator = ScannerEmulator("tcp" if args.tcp is not None else "pty", args.tcp or 0, args.baudrate,
                                   args.suffix, args.encoding, codes, args.interval).start()
    except (OSError, UnicodeDecodeError, LookupError, ValueError) as e:
        print(f"kiosk emulate scanner: {e}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so `finally` removes the pty link
    print(f"scanner emulator ready: {emulator.url}", flush=True)
    print("each line typed here is sent as a code; !gone and !back unplug and replug", flush=True)
    def handle(line: str) -> None:
        text = line.strip()
        if text == "!gone":
            emulator.gone()
        elif text == "!back":
            emulator.back()
        elif text:
            emulator.send(text)

    try:
        emulator.driver_connected()
        serve_commands(handle)
    finally:
        emulator.stop()
    return 0
