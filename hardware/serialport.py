"""The driver's end of a serial line, shared by the ID card reader and the scanner.

A ``serial:///dev/ttyUSB0`` or ``socket://HOST:PORT`` (a serial-over-TCP bridge, or
an emulator's TCP port) URL becomes a pyserial port that is opened on first use and
dropped when it fails, so the next use reopens it: a USB-serial device that was
unplugged comes back at the same path. A port is opened exclusively (locked, pyserial's
exclusive=True): two programs reading one line would each get part of every answer. A
port another program has locked, or opened in exclusive mode, is reported as in use; one
opened without either cannot be told apart. The emulator side is hardware.links.
"""

from __future__ import annotations

import errno
import termios
from typing import Any

import serial

from hardware.model import Device, DeviceError
from hardware.urls import DeviceUrl, UnsupportedUrl

# what pyserial lets through when a port vanishes: termios.error is not an OSError
PORT_ERRORS = (serial.SerialException, OSError, termios.error)
# a port another program holds: locked by it (flock, pyserial's exclusive=True: EWOULDBLOCK)
# or opened by it in exclusive mode (TIOCEXCL: EBUSY)
BUSY = (errno.EWOULDBLOCK, errno.EBUSY)


def port_address(url: DeviceUrl) -> str:
    """What pyserial opens for a serial: or socket: device URL."""
    if url.scheme == "serial" and url.path:
        return url.path
    if url.scheme == "socket" and url.host and url.port:
        return f"socket://{url.host}:{url.port}"
    raise UnsupportedUrl()


class SerialDevice(Device):
    """A driver on a serial line: its port, the emulator a sim: URL started (stopped on
    close) and, while enabled, a watcher thread running `_watch`."""

    offline_error: type[DeviceError] = DeviceError  # raised when the port cannot be opened
    noun = "device"                                 # in that error: "no scanner at ..."

    def __init__(self, url: str, port_url: str, baudrate: int, timeout: float,
                 write_timeout: float | None = None, emulator: Any = None) -> None:
        super().__init__(url)
        self.port_url, self.baudrate = port_url, baudrate
        self.emulator = emulator  # set for sim: URLs
        self._timeout, self._write_timeout = timeout, write_timeout
        self._port: serial.SerialBase | None = None

    def _port_or_raise(self) -> serial.SerialBase:
        if self._port is None:
            try:
                # exclusive: pyserial locks the port (flock) on POSIX; socket:// ignores it
                self._port = serial.serial_for_url(self.port_url, baudrate=self.baudrate,
                                                   timeout=self._timeout, write_timeout=self._write_timeout,
                                                   exclusive=True)
            except (serial.SerialException, OSError, ValueError) as e:
                if getattr(e, "errno", None) in BUSY:
                    raise self.offline_error(f"the {self.noun} at {self.port_url} is in use by another "
                                             "program: close that program (or the other kiosk) and "
                                             "try again") from None
                raise self.offline_error(f"no {self.noun} at {self.port_url}: check its cable "
                                         "and power") from None
        return self._port

    def _drop_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except PORT_ERRORS:
                pass

    def _close(self) -> None:
        self._drop_port()
        if self.emulator is not None:
            self.emulator.stop()

    def _enable(self) -> None:
        self._start_watcher(self._watch, f"{self.kind}-watch")

    def _disable(self) -> None:
        self._stop_watcher()

    def _watch(self) -> None:
        """The loop the watcher thread runs until self._stop is set."""
        raise NotImplementedError
