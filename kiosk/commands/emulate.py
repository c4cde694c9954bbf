"""`kiosk emulate KIND ...`: run one device's wire-level emulator in the foreground.

The emulators are product code in hardware/ (`sim:` URLs, the demo and the self-test
use them in-process); this is their command line: the options, the lines saying
where a driver connects, the fault commands typed on standard input and one-line
errors. Each emulator answers its own command lines (`command`).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Callable

from kiosk.errors import KioskError


class EmulatorFailed(KioskError):
    pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True
    for kind, (add, run_kind) in EMULATORS.items():
        p = kinds.add_parser(kind, help=f"emulate the {kind} device")
        add(p)
        p.set_defaults(emulate=run_kind)


def run(args: argparse.Namespace) -> int:
    return args.emulate(args)


def serve_commands(handle: Callable[[str], str | None],
                   errors: tuple[type[BaseException], ...] = ()) -> None:
    """Answer each line of standard input with `handle(line)` until "quit" or "exit".

    When standard input closes (the emulator was started in the background), the
    emulator keeps serving until it is interrupted or terminated.
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so the caller's `finally` stops the emulator
    try:
        for line in sys.stdin:
            if line.strip().lower() in ("quit", "exit"):
                return
            try:
                reply = handle(line)
            except errors as e:
                reply = f"error: {e}"
            if reply:
                print(reply, flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


# idcard ---------------------------------------------------------------------------

def add_idcard(parser: argparse.ArgumentParser) -> None:
    from hardware.idcard.emulator import HELP, SEED_CARDS
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "while it runs, stdin takes these " + HELP
    _where(parser)
    parser.add_argument("--cards", metavar="FILE", help=f"JSON list of cards (default: {SEED_CARDS.name})")
    parser.add_argument("--card", action="append", default=[], metavar="SPEC",
                        help="add a card: a JSON object, or NAME:IDNUMBER (repeatable)")
    parser.add_argument("--place", metavar="KEY", help="start with this card on the reader")
    parser.add_argument("--baudrate", type=int, default=115200, help="line speed to pace answers at")
    parser.add_argument("--no-pace", action="store_true", help="send answers as fast as possible")
    parser.add_argument("--slow-delay", type=float, default=3.0, metavar="S",
                        help="how late answers come under `fault slow` (default 3 s)")


def run_idcard(args: argparse.Namespace) -> int:
    from hardware.idcard.emulator import SEED_CARDS, IdCardEmulator, card_from_spec, load_cards
    from hardware.idcard.frame import IdCardError
    try:
        cards = load_cards(args.cards or SEED_CARDS)
        for spec in args.card:
            card = card_from_spec(spec)
            cards[card.key] = card
        emulator = IdCardEmulator(cards, "tcp" if args.tcp is not None else "pty", args.tcp or 0,
                                  args.baudrate, not args.no_pace, args.slow_delay).start()
    except (IdCardError, OSError) as e:
        raise EmulatorFailed(str(e)) from None
    try:
        if args.place:
            emulator.place(args.place)
        print(f"ID card reader emulator ready: {emulator.url}", flush=True)
        print("type help for commands", flush=True)
        serve_commands(emulator.command, (IdCardError,))
    except IdCardError as e:
        raise EmulatorFailed(str(e)) from None
    finally:
        emulator.stop()
    return 0


# card -----------------------------------------------------------------------------

def add_card(parser: argparse.ArgumentParser) -> None:
    from hardware.card.emulator import HELP
    from hardware.card.vpcd_card import SEED_FILE, VPCD_PORT
    parser.description = "a virtual card in vpcd's slot, steered by lines on stdin"
    parser.epilog = HELP
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--cards", metavar="FILE", default=str(SEED_FILE),
                        help="card file (JSON, default: the fictional seed cards)")
    parser.add_argument("--insert", metavar="NAME", default="", help="insert this card at start")
    parser.add_argument("--host", default="127.0.0.1", help="where vpcd (inside pcscd) listens")
    parser.add_argument("--port", type=int, default=VPCD_PORT,
                        help=f"vpcd port ({VPCD_PORT} = reader \"Virtual PCD 00 00\")")
    parser.add_argument("--start-pcscd", action="store_true",
                        help="start pcscd (and stop it at the end) if none is running")


def run_card(args: argparse.Namespace) -> int:
    from hardware.card.apdu import CardError
    from hardware.card.emulator import apply_command
    from hardware.card.pcscd import Pcscd
    from hardware.card.vpcd_card import EmulatorError, VirtualCard, load_profiles
    daemon = None
    try:
        card = VirtualCard(load_profiles(args.cards), host=args.host, port=args.port)
        if args.start_pcscd:
            daemon = Pcscd().ensure()
    except CardError as e:  # EmulatorError (the card file) is one
        raise EmulatorFailed(str(e)) from None
    print(f"virtual card for vpcd at {args.host}:{args.port}; type 'status', 'cards' or a command",
          flush=True)
    try:
        if args.insert:
            print(apply_command(card, f"insert {args.insert}"), flush=True)
        serve_commands(lambda line: apply_command(card, line), (EmulatorError,))
    except EmulatorError as e:
        raise EmulatorFailed(str(e)) from None
    finally:
        card.close()
        if daemon is not None:
            daemon.stop()
    return 0


# printer --------------------------------------------------------------------------

def add_printer(parser: argparse.ArgumentParser) -> None:
    from hardware.printer.emulator import FAULTS
    from hardware.printer.receipt import ENCODINGS
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--tcp", type=int, metavar="PORT", default=None,
                        help="listen on this TCP port (0 = any free port; default 9100 without --pty)")
    parser.add_argument("--pty", action="store_true", help="also offer a pty (a serial port)")
    parser.add_argument("--width", type=int, choices=(58, 80), default=80, help="paper width in mm")
    parser.add_argument("--encoding", choices=ENCODINGS, default="gb18030")
    parser.add_argument("--chinese-mode", choices=("on", "off"), default="on",
                        help="Chinese mode at power-on (FS & / FS . switch it)")
    parser.add_argument("--out", metavar="DIR", help="write each job's PNG preview here")
    parser.add_argument("--fault", action="append", default=[], choices=FAULTS,
                        help="start with this fault on (repeatable)")


def run_printer(args: argparse.Namespace) -> int:
    from hardware.printer.emulator import HELP, PrinterEmulator
    emulator = PrinterEmulator(args.width, args.encoding, args.chinese_mode == "on")
    for fault in args.fault:
        emulator.set_fault(fault)
    emulator.listeners.append(_job_reporter(emulator, Path(args.out) if args.out else None))
    try:
        if args.tcp is not None or not args.pty:
            print(f"printer emulator: {emulator.start_tcp(args.host, 9100 if args.tcp is None else args.tcp)}",
                  flush=True)
        if args.pty:
            print(f"printer emulator: serial://{emulator.start_pty()}", flush=True)
    except OSError as e:
        emulator.stop()
        raise EmulatorFailed(f"cannot start the printer emulator: {e.strerror or e}") from None
    print(HELP, flush=True)
    try:
        serve_commands(emulator.command)
    finally:
        emulator.stop()
    return 0


def _job_reporter(emulator, out: Path | None):
    """Prints a line for every job; with --out, writes its PNG preview there first."""
    fonts = None
    if out is not None:
        from kiosk.fonts import find_cjk_font
        fonts = find_cjk_font()

    def report(job) -> None:
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"job-{job.number:04d}.png").write_bytes(emulator.png(job, fonts))
        print(f"job {job.number}: {len(job.lines)} text lines, {len(job.qr_codes)} QR, "
              f"{len(job.barcodes)} barcodes" + (f" -> {out}/job-{job.number:04d}.png" if out else "")
              + (" (incomplete: the paper ran out)" if "paper-out" in job.faults else ""), flush=True)
    return report


# scanner --------------------------------------------------------------------------

def add_scanner(parser: argparse.ArgumentParser) -> None:
    from hardware.scanner.emulator import SUFFIXES
    _where(parser)
    parser.add_argument("--code", action="append", default=[], help="a code to send (repeatable)")
    parser.add_argument("--file", help="send each line of this file as a code")
    parser.add_argument("--interval", type=float, default=1.0, metavar="S",
                        help="seconds before and between the codes of --code/--file (default 1)")
    parser.add_argument("--suffix", choices=sorted(SUFFIXES), default="cr", help="end of each code")
    parser.add_argument("--encoding", default="utf-8", help="text encoding (utf-8 or gb18030)")
    parser.add_argument("--baudrate", type=int, default=9600, help="line speed to pace codes at")


def run_scanner(args: argparse.Namespace) -> int:
    import codecs
    from hardware.scanner.emulator import ScannerEmulator
    codes = list(args.code)
    try:
        if args.file:
            codes += [line.strip() for line in Path(args.file).read_text(encoding="utf-8").splitlines()
                      if line.strip()]
        codecs.lookup(args.encoding)
        emulator = ScannerEmulator("tcp" if args.tcp is not None else "pty", args.tcp or 0, args.baudrate,
                                   args.suffix, args.encoding, codes, args.interval).start()
    except (OSError, UnicodeDecodeError, LookupError, ValueError) as e:
        raise EmulatorFailed(str(e)) from None
    try:
        print(f"scanner emulator ready: {emulator.url}", flush=True)
        print("each line typed here is sent as a code; !gone and !back unplug and replug", flush=True)
        emulator.driver_connected()
        serve_commands(emulator.command)
    finally:
        emulator.stop()
    return 0


# camera ---------------------------------------------------------------------------

def add_camera(parser: argparse.ArgumentParser) -> None:
    from hardware.camera.emulator import DOCUMENT_KEYS, HELP, SIZE, parse_size
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "while it runs, stdin takes these " + HELP
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="TCP port (0: any free port; default 8081)")
    parser.add_argument("--page", default="1", help=f"the page under the camera at start: 1-{len(DOCUMENT_KEYS)} "
                        f"or {', '.join(DOCUMENT_KEYS)} (default 1)")
    parser.add_argument("--size", type=parse_size, default=SIZE, metavar="WxH",
                        help="frame size (default %dx%d)" % SIZE)
    parser.add_argument("--fps", type=float, default=15.0, help="frames per second (default 15)")
    parser.add_argument("--font", help="Simplified Chinese font for the pages (default: the kiosk's)")


def run_camera(args: argparse.Namespace) -> int:
    from hardware.camera.emulator import HELP, CameraEmulator, command
    from kiosk.fonts import find_cjk_font
    font = args.font or str(find_cjk_font().regular)
    try:
        emulator = CameraEmulator(font, size=args.size, fps=args.fps, page=args.page)
        emulator.start(args.host, args.port)
    except (OSError, ValueError) as e:
        raise EmulatorFailed(str(e)) from None
    print(f"camera emulator: {emulator.url}", flush=True)
    print(HELP, flush=True)
    try:
        serve_commands(lambda line: command(emulator, line))
    finally:
        emulator.stop()
    return 0


def _where(parser: argparse.ArgumentParser) -> None:
    """--pty or --tcp PORT: the two links of a serial device's emulator."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--pty", action="store_true", help="serve on a pty (default); prints its path")
    where.add_argument("--tcp", type=int, metavar="PORT", help="serve on TCP 127.0.0.1:PORT (0: any free port)")


EMULATORS = {"idcard": (add_idcard, run_idcard), "card": (add_card, run_card),
             "printer": (add_printer, run_printer), "scanner": (add_scanner, run_scanner),
             "camera": (add_camera, run_camera)}
