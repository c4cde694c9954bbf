"""The emulator's end of a serial line: a pty (with a stable path) or a TCP port.

Both can vanish (`close`) and come back (`open`) at the same address, the way a
USB-serial reader does behind a udev symlink, so a driver can reconnect to it.
`LinkEmulator` is the base of the ID card reader and scanner emulators: one link,
one thread serving it. The driver's end is hardware.serialport.
"""

from __future__ import annotations

import os
import select
import socket
import tempfile
import threading
import time
import tty
from pathlib import Path
from typing import Callable


class PtyLink:
    """A pty whose slave is reached through a symlink that survives close/open."""

    def __init__(self, name: str = "tty", baudrate: int = 115200, pace: bool = True) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="kiosk-emu-"))
        self.path = str(self._dir / name)
        self.baudrate = baudrate
        self.pace = pace
        self._master = self._slave = -1

    @property
    def url(self) -> str:
        return "serial://" + self.path

    @property
    def driver_address(self) -> str:
        return self.path

    @property
    def is_open(self) -> bool:
        return self._master >= 0

    def open(self) -> None:
        self._master, self._slave = os.openpty()
        # raw mode: no echo, no CR/LF translation; the emulator keeps the slave open
        # too, so the master never reads EIO while the driver reconnects
        tty.setraw(self._slave)
        tmp = self.path + ".new"
        os.symlink(os.ttyname(self._slave), tmp)
        os.replace(tmp, self.path)

    def close(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    def read(self, timeout: float) -> bytes:
        if self._master < 0:
            time.sleep(timeout)
            return b""
        ready, _, _ = select.select([self._master], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self._master, 4096)
        except OSError:
            return b""

    def write(self, data: bytes, abort: Callable[[], bool] = lambda: False) -> None:
        """Send `data` at line speed; stop early when `abort()` turns true (the device vanishing)."""
        for chunk in _paced(data, self.baudrate if self.pace else 0):
            if self._master < 0 or abort():
                return
            view = memoryview(chunk)
            while view:
                view = view[os.write(self._master, view):]

    def remove(self) -> None:
        self.close()
        try:
            self._dir.rmdir()
        except OSError:
            pass


class TcpLink:
    """A TCP port on 127.0.0.1 (or a given host) serving one client at a time."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, baudrate: int = 115200,
                 pace: bool = True) -> None:
        self.host, self.port = host, port
        self.baudrate = baudrate
        self.pace = pace
        self._server: socket.socket | None = None
        self._client: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"socket://{self.host}:{self.port}"

    @property
    def driver_address(self) -> str:
        return self.url

    @property
    def is_open(self) -> bool:
        return self._server is not None

    def open(self) -> None:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.host, self.port))
        server.listen(1)
        self.port = server.getsockname()[1]  # keep the port so `open` after `close` reuses it
        self._server = server

    def close(self) -> None:
        for s in (self._client, self._server):
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
        self._client = self._server = None

    def read(self, timeout: float) -> bytes:
        if self._server is None:
            time.sleep(timeout)
            return b""
        watched = [self._client or self._server]
        ready, _, _ = select.select(watched, [], [], timeout)
        if not ready:
            return b""
        if self._client is None:
            self._client, _ = self._server.accept()
            self._client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return b""
        try:
            data = self._client.recv(4096)
        except OSError:
            data = b""
        if not data:  # the driver hung up; wait for the next one
            self._client.close()
            self._client = None
        return data

    def write(self, data: bytes, abort: Callable[[], bool] = lambda: False) -> None:
        for chunk in _paced(data, self.baudrate if self.pace else 0):
            if self._client is None or abort():
                return
            try:
                self._client.sendall(chunk)
            except OSError:
                return

    def remove(self) -> None:
        self.close()


def _paced(data: bytes, baudrate: int, chunk: int = 64):
    """Yield `data` in chunks no faster than the line would carry it (10 bits a byte)."""
    if not baudrate:
        yield data
        return
    start = time.monotonic()
    for i in range(0, len(data), chunk):
        due = start + min(i + chunk, len(data)) * 10 / baudrate  # when its last byte is on the wire
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield data[i:i + chunk]


def make_link(transport: str, name: str, port: int = 0, baudrate: int = 115200,
              pace: bool = True) -> PtyLink | TcpLink:
    if transport == "pty":
        return PtyLink(name, baudrate, pace)
    if transport == "tcp":
        return TcpLink(port=port, baudrate=baudrate, pace=pace)
    raise ValueError(f"unknown transport {transport!r} (use pty or tcp)")


class LinkEmulator:
    """An emulated serial device: its link and the thread (`_serve`, until self._stop is set)
    that alone touches the link's file descriptors."""

    name = "device"

    def __init__(self, link: PtyLink | TcpLink) -> None:
        self.link = link
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The device URL a driver connects to."""
        return self.link.url

    def start(self):
        self.link.open()
        self._thread = threading.Thread(target=self._serve, name=f"{self.name}-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self.link.remove()

    def _serve(self) -> None:
        raise NotImplementedError
