"""The `kiosk` command line: one entry point, one module per subcommand.

Each subcommand lives in ``kiosk/commands/<module>.py`` with ``add_arguments(parser)``
and ``run(args) -> int``. Modules import their heavy dependencies (Kivy, FastAPI,
pyscard) inside ``run`` so that ``kiosk --help`` stays fast, and so that a command whose
extra is not installed (a hall without Kivy, a terminal without FastAPI) says so in one line.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from kiosk import __version__, logs
from kiosk.errors import KioskError

# name -> (module under kiosk.commands, one-line help, the extras of pyproject.toml it needs)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("app", "the terminal, full screen and locked down", "terminal"),
    "demo": ("app", "windowed; every device sim:, embedded hall with seed data", "terminal,hall"),
    "screenshot": ("screenshot", "render a screen offscreen to a PNG", "terminal"),
    "devices": ("devices", "configured devices and their health", "terminal"),
    "read-id": ("read_id", "read an ID card from a reader", "terminal"),
    "read-card": ("read_card", "read a social security / smart card", "terminal"),
    "print-test": ("print_test", "print a test receipt", "terminal"),
    "scan": ("scan", "print codes read by a scanner", "terminal"),
    "capture": ("capture", "take one page with the document camera", "terminal"),
    "emulate": ("emulate", "run a wire-level device emulator", "terminal"),
    "hall": ("hall", "reference online hall and fleet console", "hall"),
    "catalog": ("catalog", "search the service catalogue", "terminal"),
    "selftest": ("selftest", "test every configured device and the hall link", "terminal"),
    "admin": ("admin", "admin mode: set the admin PIN", "terminal"),
}
# The terminal itself logs JSON lines to stdout for journald (kiosk/logs.py); the other
# commands keep text on stderr so that their stdout is only their output.
LOGS_TO_STDOUT = ("run", "demo")
PROJECT_PACKAGES = ("kiosk", "hardware", "screens", "hall")


class MissingPackage(KioskError):
    """A command run where the extra it needs is not installed."""

    exit_code = 2

    def __init__(self, command: str, error: ModuleNotFoundError) -> None:
        extras = COMMANDS[command][2]
        package = (error.name or "?").split(".")[0]
        super().__init__(f"the Python package '{package}' is not installed here; this command needs "
                         f"the kiosk's [{extras}] extra{'s' if ',' in extras else ''}: "
                         f"pip install -e '.[{extras}]' (or bash scripts/dev setup {extras})")


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
    for name, (module_name, help_text, _extras) in COMMANDS.items():
        if name != chosen:
            # Listed for --help without importing it: each command imports its own heavy parts.
            p = sub.add_parser(name, help=help_text)
            p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
            continue
        module = importlib.import_module(f"kiosk.commands.{module_name}")
        p = sub.add_parser(name, help=help_text, description=help_text)
        add = getattr(module, f"add_{name.replace('-', '_')}_arguments", None) or module.add_arguments
        add(p)
        p.set_defaults(handler=getattr(module, f"run_{name.replace('-', '_')}", None) or module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    level = os.environ.get("KIOSK_LOG_LEVEL", "WARNING").upper()
    logs.setup(level, sys.stderr, fmt=logs.chosen_format(sys.stderr, default="text"))
    command = _chosen(sys.argv[1:] if argv is None else argv)
    try:
        try:
            args = build_parser(argv).parse_args(argv)  # imports the chosen command's module
            if args.command in LOGS_TO_STDOUT:
                logs.setup(level, sys.stdout)
            return int(args.handler(args) or 0)
        except ModuleNotFoundError as e:
            if (e.name or "").split(".")[0] in PROJECT_PACKAGES:
                raise  # a bug, not a missing extra
            raise MissingPackage(command, e) from None
    except KioskError as e:
        print(f"kiosk {command}: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
