"""The `kiosk` command line: one entry point, one module per subcommand.

Each subcommand lives in ``kiosk/commands/<module>.py`` with ``add_arguments(parser)``
and ``run(args) -> int``. Modules import their heavy dependencies (Kivy, FastAPI,
pyscard) inside ``run`` so that ``kiosk --help`` stays fast. A subcommand whose
module has not been written yet is still listed and exits 2 with a plain line.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys

from kiosk import __version__, logs
from kiosk.errors import KioskError, NotAvailableYet

# name -> (module under kiosk.commands, one-line help, issue that brings it)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("app", "the terminal, full screen and locked down", "foundation"),
    "demo": ("app", "windowed; every device sim:, embedded hall with seed data", "foundation"),
    "screenshot": ("screenshot", "render a screen offscreen to a PNG", "foundation"),
    "devices": ("devices", "configured devices and their health", "hardware"),
    "read-id": ("read_id", "read an ID card from a reader", "hardware"),
    "read-card": ("read_card", "read a social security / smart card", "hardware"),
    "print-test": ("print_test", "print a test receipt", "hardware"),
    "scan": ("scan", "print codes read by a scanner", "hardware"),
    "capture": ("capture", "take one page with the document camera", "hardware"),
    "emulate": ("emulate", "run a wire-level device emulator", "hardware"),
    "hall": ("hall", "reference online hall and fleet console", "online hall"),
    "catalog": ("catalog", "search the service catalogue", "online hall"),
    "selftest": ("selftest", "test every configured device and the hall link", "hardware"),
    "admin": ("admin", "admin mode: set the admin PIN", "admin"),
}
# The terminal itself logs JSON lines to stdout for journald (kiosk/logs.py); the other
# commands keep text on stderr so that their stdout is only their output.
LOGS_TO_STDOUT = ("run", "demo")


def _load(module: str):
    try:
        return importlib.import_module(f"kiosk.commands.{module}")
    except ModuleNotFoundError as e:
        if e.name == f"kiosk.commands.{module}":
            return None
        raise


def _chosen(argv: list[str]) -> str | None:
    """The subcommand named on the command line, if any (only its module gets imported)."""
    args = iter(argv)
    for arg in args:
        if arg == "--config":
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk", description="Government self-service kiosk (政务服务自助终端).")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument("--config", metavar="FILE",
                        help="settings file (default: $KIOSK_CONFIG, else /etc/kiosk/kiosk.toml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    chosen = _chosen(sys.argv[1:] if argv is None else argv)
    for name, (module_name, help_text, issue) in COMMANDS.items():
        written = importlib.util.find_spec(f"kiosk.commands.{module_name}") is not None
        module = _load(module_name) if name == chosen and written else None
        if module is None:
            # Listed for --help without importing it: each command imports its own heavy parts.
            p = sub.add_parser(name, help=help_text if written else f"{help_text} (not available yet)")
            p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
            p.set_defaults(handler=None, issue=issue)
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        add = getattr(module, f"add_{name.replace('-', '_')}_arguments", None) or module.add_arguments
        add(p)
        p.set_defaults(handler=getattr(module, f"run_{name.replace('-', '_')}", None) or module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    level = os.environ.get("KIOSK_LOG_LEVEL", "WARNING").upper()
    logs.setup(level, sys.stderr, fmt=logs.chosen_format(sys.stderr, default="text"))
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if args.command in LOGS_TO_STDOUT:
        logs.setup(level, sys.stdout)
    try:
        if args.handler is None:
            raise NotAvailableYet(f"'{args.command}' is not available yet "
                                  f"(it arrives with the {args.issue} work)")
        return int(args.handler(args) or 0)
    except KioskError as e:
        print(f"kiosk {args.command}: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
