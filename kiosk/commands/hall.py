"""`kiosk hall`: run the reference online hall (hall/) with uvicorn.

Seeds an empty database from assets/seed, registers demo-001/demo-secret and every
--terminal, creates every --staff account, prints one line with the URL once the port is
bound, and stops cleanly on SIGTERM or Ctrl+C. `--port 0` picks a free port (the printed URL
says which). Staff passwords never come from the command line (it shows in `ps` and shell
history): each is asked for on the terminal, or read as one line of standard input per --staff.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import signal
import socket
import sys
from pathlib import Path

from kiosk.errors import KioskError

DEMO_TERMINAL = ("demo-001", "demo-secret")


class HallError(KioskError):
    exit_code = 5


def _terminal(text: str) -> tuple[str, str]:
    terminal_id, _, secret = text.partition(":")
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", terminal_id) or len(secret) < 8:
        raise argparse.ArgumentTypeError("must be ID:SECRET (ID of letters, digits, '.', '_' or '-'; "
                                         "SECRET at least 8 characters)")
    return terminal_id, secret


def _operator(text: str) -> tuple[str, str]:
    name, _, password = text.partition(":")
    if not re.fullmatch(r"[A-Za-z0-9_.@-]{1,64}", name) or len(password) < 8:
        raise argparse.ArgumentTypeError("must be NAME:PASSWORD (NAME of letters, digits, '.', '_', '@' or '-'; "
                                         "PASSWORD at least 8 characters)")
    return name, password


STAFF_ROLES = ("clerk", "dispatcher", "supervisor")  # hall.staff.ROLES (the hall's packages load late)


def _staff(text: str) -> tuple[str, str, list[str]]:
    name, _, rest = text.partition(":")
    role, _, departments = rest.partition(":")
    codes = [d for d in departments.split(",") if d]
    if not re.fullmatch(r"[A-Za-z0-9_.@-]{1,64}", name) or role not in STAFF_ROLES \
            or (role == "clerk") != bool(codes) or not all(re.fullmatch(r"[A-Za-z0-9_-]{1,32}", d) for d in codes):
        raise argparse.ArgumentTypeError("must be NAME:ROLE[:DEPTS] (ROLE clerk, dispatcher or supervisor; a clerk "
                                         "names one or more department codes, comma-separated: li:clerk:GA,RS)")
    return name, role, codes


def _staff_passwords(accounts: list[tuple[str, str, list[str]]]) -> list[str]:
    """One password per account: asked for on a terminal, else one line each from standard input."""
    passwords = []
    for name, role, _ in accounts:
        if sys.stdin.isatty():
            password = getpass.getpass(f"password for {name} ({role}): ")
        else:
            line = sys.stdin.readline()
            if not line:
                raise HallError(f"no password for staff {name}: give one line per --staff on standard input")
            password = line.rstrip("\r\n")
        if len(password) < 10:
            raise HallError(f"the password for staff {name} must have at least 10 characters")
        passwords.append(password)
    return passwords


def _seconds(low: int, high: int):
    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"must be whole seconds from {low} to {high}")
        return int(text)
    return parse


def _webhook(text: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", text):
        raise argparse.ArgumentTypeError("must be an http:// or https:// URL")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free port)")
    parser.add_argument("--db", metavar="URL-or-path",
                        help="SQLAlchemy URL or SQLite file (default: hall.db in the state directory)")
    parser.add_argument("--terminal", metavar="ID:SECRET", type=_terminal, action="append", default=[],
                        help="register a terminal (repeatable); demo-001:demo-secret is always registered")
    parser.add_argument("--seed", metavar="DIR", type=Path,
                        help="seed data for an empty database (default: assets/seed)")
    parser.add_argument("--operator", metavar="NAME:PASSWORD", type=_operator, action="append", default=[],
                        help="create or reset a fleet console operator (repeatable)")
    parser.add_argument("--staff", metavar="NAME:ROLE[:DEPTS]", type=_staff, action="append", default=[],
                        help="create or reset a back-office account (repeatable): clerk with department codes "
                             "(li:clerk:GA,RS), dispatcher or supervisor; the password is asked for, or read "
                             "one line per account from standard input")
    parser.add_argument("--demo", action="store_true",
                        help="the demo's county: the back-office accounts named in the README and, into a hall "
                             "with no applications yet, a month of applications, 12345 requests and ratings")
    parser.add_argument("--heartbeat-interval", metavar="SECONDS", type=_seconds(1, 3600), default=30,
                        help="how often terminals heartbeat (default 30)")
    parser.add_argument("--offline-after", metavar="SECONDS", type=_seconds(1, 86400),
                        help="a terminal is offline after this long without a heartbeat (default 3 intervals)")
    parser.add_argument("--alert-webhook", metavar="URL", type=_webhook,
                        help="POST a JSON alert here when a terminal goes offline or a device fails")


def run(args: argparse.Namespace) -> int:
    import uvicorn
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from hall.app import DEFAULT_SEED, PREFIX, create_app
    from hall import staff
    from hall.fleet import FleetSettings, operators
    from hall.db import database_url
    from hall.seed import SeedError
    from kiosk import config

    db = args.db
    if not db:
        state = config.load(getattr(args, "config", None)).state_dir()
        state.mkdir(parents=True, exist_ok=True)
        db = str(state / "hall.db")
    terminals = dict([DEMO_TERMINAL, *args.terminal])
    passwords = _staff_passwords(args.staff)
    try:
        app = create_app(db, args.seed or DEFAULT_SEED, terminals, FleetSettings(
            args.heartbeat_interval, args.offline_after, args.alert_webhook))
        for name, password in args.operator:
            operators.create(app.state.database, name, password)
        for (name, role, departments), password in zip(args.staff, passwords):
            staff.create(app.state.database, name, role, departments, password)
        if args.demo:
            from hall import demo
            if demo.set_up(app.state.database, app.state.id_key, app.state.materials):
                print("kiosk hall: seeded a month of demo work", flush=True)
    except staff.StaffError as e:
        raise HallError(f"staff: {e}") from None
    except SeedError as e:
        raise HallError(f"seed data: {e}") from None
    except ValueError as e:  # a HALL_* setting of the environment
        raise HallError(str(e)) from None
    except SQLAlchemyError as e:
        raise HallError(f"cannot open the hall database {db}: {e.__class__.__name__}: "
                        f"{str(e.orig if hasattr(e, 'orig') else e).splitlines()[0]}") from None
    try:
        sock = socket.create_server((args.host, args.port), reuse_port=False)
    except OSError as e:
        raise HallError(f"cannot listen on {args.host}:{args.port}: {os.strerror(e.errno)}") from None
    # Accepted connections inherit this; without it small JSON answers wait ~40 ms for
    # the client's delayed ACK (Nagle), as uvicorn's own bind path avoids but a given socket does not.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    server = uvicorn.Server(uvicorn.Config(app, log_level="info", access_log=True, server_header=False))
    where = make_url(database_url(db)).render_as_string(hide_password=True)
    print(f"kiosk hall: serving http://{shown}:{port}{PREFIX} (database {where})", flush=True)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it to the handler it found:
    # with Python's default the process would die by the signal instead of exiting 0.
    signal.signal(signal.SIGTERM, lambda *_: None)
    server.run(sockets=[sock])
    return 0
