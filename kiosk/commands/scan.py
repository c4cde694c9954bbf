"""`kiosk scan`: print the codes a scanner reads (ID numbers inside a code are masked)."""

from __future__ import annotations

import argparse
import queue
import re
import sys
import time

from kiosk.errors import KioskError

ID_LIKE = re.compile(r"\d{17}[\dXx]")


class ScanFailed(KioskError):
    exit_code = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", metavar="URL",
                        help="scanner URL (default: [devices] scanner from the settings), e.g. "
                             "serial:///dev/ttyACM0, socket://HOST:PORT, hid:, sim:?codes=A,B")
    parser.add_argument("--count", type=int, default=1, metavar="N", help="codes to wait for (default 1)")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                        help="seconds to wait for them (default 30)")
    parser.add_argument("--unmasked", action="store_true", help="do not mask ID numbers inside codes")


def mask_codes(code: str) -> str:
    from hardware.idcard.identity import is_valid_id_number
    from kiosk.privacy import mask_id_number
    return ID_LIKE.sub(lambda m: mask_id_number(m[0]) if is_valid_id_number(m[0].upper()) else m[0], code)


def run(args: argparse.Namespace) -> int:
    from hardware import open_device
    from hardware.model import DeviceError
    from kiosk import config
    from kiosk.devices import PROBLEMS

    if args.count < 1 or args.timeout <= 0:
        raise ScanFailed("--count must be at least 1 and --timeout a positive number of seconds")
    url = args.device or config.load(args.config).devices.scanner
    events: queue.Queue = queue.Queue()
    try:
        scanner = open_device("scanner", url)
        scanner.subscribe(events.put)
        scanner.open()
        scanner.enable()
    except DeviceError as e:
        raise ScanFailed(str(e)) from None
    got, problem = 0, ""
    deadline = time.monotonic() + args.timeout
    try:
        with _keyboard(scanner):
            print(f"waiting for {args.count} code(s) from {url} ...", file=sys.stderr, flush=True)
            while got < args.count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    event = events.get(timeout=min(left, 0.05))
                except queue.Empty:
                    continue
                if event.kind == "scanned":
                    got += 1
                    print(event.data if args.unmasked else mask_codes(event.data), flush=True)
                elif event.kind == "scan_error":
                    print(f"skipped: {event.data}", file=sys.stderr, flush=True)
                elif event.kind == "status":
                    # a warning ("no scan seen yet") is what waiting here tests, not a fault
                    problem = event.data.reason if event.data.health in PROBLEMS else ""
    finally:
        scanner.close()
    if got < args.count:
        raise ScanFailed(f"{got} of {args.count} code(s) scanned within {args.timeout:g} s"
                         + (f"; {problem}" if problem else ": scan again, or check the scanner"))
    return 0


class _keyboard:
    """For hid: read the terminal key by key, time-stamped, into the wedge scanner."""

    def __init__(self, scanner) -> None:
        self.scanner = scanner
        self.active = hasattr(scanner, "feed")

    def __enter__(self):
        if not self.active:
            return self
        if not sys.stdin.isatty():
            raise ScanFailed("hid: reads a keyboard-wedge scanner from the terminal; run it in a terminal")
        import termios
        import threading
        import tty
        self._saved = termios.tcgetattr(sys.stdin)
        tty.setcbreak(sys.stdin)
        threading.Thread(target=self._pump, daemon=True).start()
        return self

    def _pump(self) -> None:
        while True:
            char = sys.stdin.read(1)
            if not char:
                return
            self.scanner.feed(char, time.monotonic())

    def __exit__(self, *exc) -> None:
        if self.active and sys.stdin.isatty():
            import termios
            termios.tcsetattr(sys.stdin, termios.TCSADRAIN, self._saved)
