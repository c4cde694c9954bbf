"""A receipt printer emulator (product code: the demo, the admin self-test and the tests use it).

It listens on TCP and/or a pty, reads the ESC/POS stream like a printer
(hardware.printer.stream), answers DLE EOT 1/2/4 from its current state, in stream
order (after the bytes sent before the request), keeps every job and renders each to
a PNG preview. Faults can be switched while it runs, from Python (``set_fault``,
``reset_after``, ``paper_out_after``, ``throughput``) or by command lines (``command``)
that ``kiosk emulate printer`` reads on stdin:

- the states paper-low, paper-out, cover-open, offline, no-answer (on or off);
- ``reset-after N``: N bytes later the link drops, once: on TCP the connection is reset,
  on a pty the printer restarts (it loses what it was given and is silent for RESTART_S);
- ``paper-out-after N``: N bytes later the paper runs out (a job cut then carries the
  paper-out fault: it came out incomplete);
- ``throughput B``: the printer takes at most B bytes a second (0: as fast as they come).

Job contents are kept in memory only.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
import time
import tty
from typing import TYPE_CHECKING, Callable

from hardware.printer.receipt import PAPERS
from hardware.printer.stream import Job, StatusRequest, StreamParser

if TYPE_CHECKING:
    from hardware.printer.preview import Fonts

FAULTS = ("paper-low", "paper-out", "cover-open", "offline", "no-answer")
COUNTDOWNS = ("reset-after", "paper-out-after")  # faults that strike N bytes later
HELP = ("commands: <fault> on|off (faults: " + ", ".join(FAULTS) + "), reset-after N, "
        "paper-out-after N (bytes from now), throughput B (bytes/s, 0 = no limit), clear, status, "
        "jobs, help, quit")
RESTART_S = 2.0  # a printer on a pty that "resets" is silent this long


class PrinterEmulator:
    def __init__(self, width: int = 80, encoding: str = "gb18030", chinese_mode: bool = True) -> None:
        self.width, self.encoding, self.chinese_mode = width, encoding, chinese_mode
        self.dots = PAPERS[width].dots
        self.jobs: list[Job] = []
        self.faults: set[str] = set()
        self.countdowns: dict[str, int] = {}  # reset-after / paper-out-after -> bytes still to go
        self.rate = 0                         # bytes a second the printer takes; 0 = no limit
        self.listeners: list[Callable[[Job], None]] = []
        self.host, self.port, self.pty_path = "", 0, ""
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._fds: list[int] = []

    # faults and status ----------------------------------------------------------
    def set_fault(self, name: str, on: bool = True) -> None:
        name = name.replace("_", "-")
        if name not in FAULTS:
            raise ValueError(f"unknown printer fault {name!r} (known: {', '.join(FAULTS)})")
        with self._lock:
            (self.faults.add if on else self.faults.discard)(name)

    def reset_after(self, n: int | None) -> None:
        """Drop the link (TCP: reset the connection; pty: restart) once, `n` bytes from now."""
        self._count_down("reset-after", n)

    def paper_out_after(self, n: int | None) -> None:
        """Run out of paper `n` bytes from now (and stay out until the fault is cleared)."""
        self._count_down("paper-out-after", n)

    def throughput(self, bytes_per_s: int) -> None:
        """Take at most this many bytes a second (a slow printer); 0 takes them as they come."""
        if bytes_per_s < 0:
            raise ValueError("a printer's throughput is 0 (no limit) or more bytes a second")
        self.rate = int(bytes_per_s)

    def _count_down(self, name: str, n: int | None) -> None:
        if n is not None and n < 0:
            raise ValueError(f"{name} takes a number of bytes, 0 or more")
        with self._lock:
            if n is None:
                self.countdowns.pop(name, None)
            else:
                self.countdowns[name] = int(n)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()
            self.countdowns.clear()
            self.rate = 0

    def describe_faults(self) -> str:
        with self._lock:
            parts = sorted(self.faults) + [f"{k} {v}" for k, v in sorted(self.countdowns.items())]
            if self.rate:
                parts.append(f"throughput {self.rate}")
        return "faults: " + (", ".join(parts) or "none")

    def status_byte(self, n: int) -> bytes:
        """The DLE EOT n answer (empty: no answer). Fixed bits 0x12 in every byte."""
        f = self.faults
        if "no-answer" in f or n not in (1, 2, 3, 4):
            return b""
        value = 0x12
        if n == 1 and f & {"offline", "paper-out", "cover-open"}:
            value |= 0x08
        if n == 2:
            value |= (0x04 if "cover-open" in f else 0) | (0x20 if "paper-out" in f else 0)
        if n == 4:
            value |= (0x0C if "paper-low" in f else 0) | (0x60 if "paper-out" in f else 0)
        return bytes([value])

    # the stream -----------------------------------------------------------------
    def new_parser(self) -> StreamParser:
        return StreamParser(self.encoding, self.chinese_mode)

    def handle(self, parser: StreamParser, data: bytes) -> bytes:
        """Feed received bytes; returns the answer bytes to send back."""
        answers = b""
        for event in parser.feed(data):
            if isinstance(event, StatusRequest):
                answers += self.status_byte(event.n)
            else:
                self._finish(event)
        return answers

    def receive(self, parser: StreamParser, data: bytes) -> tuple[bytes, bool]:
        """Feed received bytes, striking the counted faults at their byte: (answers, whether
        the link drops now; the bytes after that point are lost)."""
        answers = b""
        while data:
            with self._lock:
                due = min(self.countdowns.values(), default=len(data))
            take = min(len(data), due)
            answers += self.handle(parser, data[:take])
            data = data[take:]
            with self._lock:
                struck = [k for k, left in self.countdowns.items() if left - take <= 0]
                for name in self.countdowns:
                    self.countdowns[name] -= take
                for name in struck:
                    del self.countdowns[name]
                if "paper-out-after" in struck:
                    self.faults.add("paper-out")
            if "reset-after" in struck:
                return answers, True
        return answers, False

    def _chunk(self) -> int:
        """How many bytes to read at a time: a throttled printer reads 20 small sips a second."""
        return max(1, self.rate // 20) if self.rate else 65536

    def _pace(self, n: int, started: float) -> None:
        if self.rate:
            time.sleep(max(0.0, started + n / self.rate - time.monotonic()))

    def _finish(self, job: Job) -> None:
        with self._lock:
            job.number = len(self.jobs) + 1
            job.faults = frozenset(self.faults)
            self.jobs.append(job)
            self._lock.notify_all()
        for listener in list(self.listeners):
            listener(job)

    def wait_for_jobs(self, count: int, timeout: float = 5.0) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: len(self.jobs) >= count, timeout)

    def png(self, job: Job, fonts: Fonts) -> bytes:
        """The job as this printer's paper would show it, its text drawn in `fonts`."""
        from hardware.printer.preview import render_png
        return render_png(job, self.dots, fonts)

    def command(self, line: str) -> str:
        """One command line (see HELP) from `kiosk emulate printer`; returns the reply."""
        words = line.split()
        if not words:
            return ""
        if words[0] == "clear":
            self.clear_faults()
            return "faults: none"
        if words[0] == "status":
            return self.describe_faults()
        if words[0] == "jobs":
            return f"jobs: {len(self.jobs)}"
        if words[0] in FAULTS and len(words) <= 2 and (len(words) == 1 or words[1] in ("on", "off")):
            self.set_fault(words[0], len(words) == 1 or words[1] == "on")
            return self.describe_faults()
        if words[0] in COUNTDOWNS + ("throughput",) and len(words) == 2:
            if words[1] == "off":
                value = None
            elif words[1].isdigit():
                value = int(words[1])
            else:
                return f"{words[0]} takes a number of bytes{' a second' if words[0] == 'throughput' else ''}" \
                       " or off"
            if words[0] == "throughput":
                self.throughput(value or 0)
            else:
                self._count_down(words[0], value)
            return self.describe_faults()
        return HELP

    # transports -----------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> str:
        server = socket.create_server((host, port))
        server.settimeout(0.2)
        self._sockets.append(server)
        self.host, self.port = host, server.getsockname()[1]
        self._spawn(self._accept, server)
        return self.url

    def start_pty(self) -> str:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/LF translation: bytes pass through as on a wire
        self._fds += [master, slave]  # keeping the slave open: no EIO when the driver closes it
        self.pty_path = os.ttyname(slave)
        self._spawn(self._serve_pty, master)
        return self.pty_path

    def stop(self) -> None:
        self._stop.set()
        for s in self._sockets:
            try:
                s.close()
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=2)
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self._sockets.clear()
        self._fds.clear()

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True,
                                  name=f"printer-emulator-{target.__name__}")
        self._threads.append(thread)
        thread.start()

    def _accept(self, server: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(0.2)
            self._sockets.append(conn)
            self._spawn(self._serve_socket, conn)

    def _serve_socket(self, conn: socket.socket) -> None:
        parser = self.new_parser()  # a new connection is a new byte stream
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                data = conn.recv(self._chunk())
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            answer, reset = self.receive(parser, data)
            if reset:  # close with unread data and SO_LINGER 0: the peer sees a reset (RST)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                break
            if answer:
                try:
                    conn.sendall(answer)
                except OSError:
                    break
            self._pace(len(data), started)
        conn.close()

    def _serve_pty(self, master: int) -> None:
        parser = self.new_parser()
        silent_until = 0.0
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                ready, _, _ = select.select([master], [], [], 0.2)
                if not ready:
                    continue
                data = os.read(master, self._chunk())
            except (OSError, ValueError):
                return
            if started < silent_until:
                continue  # restarting: what arrives now is lost
            answer, reset = self.receive(parser, data)
            if reset:  # a serial printer that resets loses its buffer and is silent a while
                parser, silent_until = self.new_parser(), time.monotonic() + RESTART_S
                continue
            if answer:
                os.write(master, answer)
            self._pace(len(data), started)
