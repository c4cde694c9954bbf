"""The PC/SC daemon: is it up, and start one we own when it is not.

pcsc-lite 1.9 (bookworm) hard-codes its socket, /run/pcscd/pcscd.comm, so only
one pcscd can run on a machine. If one already runs we use it (and must not
stop it); otherwise we start `pcscd --foreground` as our child and stop it by
its pid. The vsmartcard-vpcd driver comes from /etc/reader.conf.d/vpcd.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from hardware.card.apdu import CardError
from hardware.model import die_with_parent


class PcscdUnavailable(CardError):
    """No PC/SC service, and none could be started."""


def responding() -> bool:
    """True when a pcscd answers on its socket (a context can be established)."""
    from smartcard import scard
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    scard.SCardReleaseContext(context)
    return True


def reader_names() -> list[str]:
    from smartcard import scard
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return []
    try:
        hresult, names = scard.SCardListReaders(context, [])
        return list(names) if hresult == scard.SCARD_S_SUCCESS else []
    finally:
        scard.SCardReleaseContext(context)


class Pcscd:
    """A handle on the PC/SC daemon; `owned` when this process started it."""

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or shutil.which("pcscd") or "/usr/sbin/pcscd"
        self.process: subprocess.Popen | None = None

    @property
    def owned(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def ensure(self, timeout: float = 5.0) -> "Pcscd":
        if responding():
            return self
        binary = self.binary
        if not Path(binary).is_file():
            raise PcscdUnavailable("the PC/SC service is not running and pcscd is not installed "
                                   "(apt-get install pcscd vsmartcard-vpcd)")
        try:
            self.process = subprocess.Popen([binary, "--foreground"], stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            preexec_fn=die_with_parent)
        except OSError as e:
            raise PcscdUnavailable(f"the PC/SC service is not running and pcscd could not be "
                                   f"started ({e.strerror})") from None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise PcscdUnavailable("the PC/SC service is not running and pcscd exited at once "
                                       "(is it allowed to create /run/pcscd? run as root or start "
                                       "the pcscd service)")
            if responding():
                return self
            time.sleep(0.05)
        self.stop()
        raise PcscdUnavailable(f"pcscd did not answer within {timeout:g} s of starting")

    def stop(self) -> None:
        """Stop the pcscd we started (by its pid); one we did not start is left alone."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
