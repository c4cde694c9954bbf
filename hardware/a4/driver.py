"""The A4 printer driver: a queue of a CUPS server, through pycups (libcups).

``cups:QUEUE`` is a queue of this machine's CUPS, ``ipp://HOST[:PORT]/printers/NAME``
(or ipps://) one of a print server's. Health comes from the queue's own state
(hardware.a4.health). A document is printed only when CUPS says its job
*completed*: a job that the printer stops on (out of paper, door open, queue
stopped) is cancelled, so that it does not come out later for nobody, and the
error says why; a server that stops answering while the job is on its way is
A4Gone (the page may or may not be out: the resident is told it is not).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time

from hardware.a4.errors import (A4DoorOpen, A4Error, A4Gone, A4PaperOut, A4QueueStopped,
                                A4Timeout, A4Unavailable)
from hardware.a4.health import STOPPED, status_from
from hardware.model import Device, Health, Paper, Status

log = logging.getLogger(__name__)

COMPLETED, CANCELED, ABORTED = 9, 7, 8
REFUSING = (Health.ERROR, Health.OFFLINE, Health.ABSENT)
ATTRS = ["printer-state", "printer-state-reasons", "printer-state-message",
         "printer-is-accepting-jobs", "marker-levels", "marker-names"]
POLL = 0.2


def _cups():
    try:
        import cups
    except ImportError:
        raise A4Unavailable("the A4 printer needs pycups (install the terminal extra)") from None
    return cups


def error_for(status: Status) -> A4Error:
    """The error a job meets on a printer in this (refusing) state."""
    reason = status.reason
    if status.paper is Paper.EMPTY:
        return A4PaperOut(f"the A4 printer is {reason}" if reason.startswith("out of") else reason)
    if "door" in reason or "cover" in reason:
        return A4DoorOpen(f"the A4 printer: {reason}")
    if status.health in (Health.OFFLINE, Health.ABSENT):
        return A4Unavailable(f"the A4 printer: {reason}")
    if "stopped" in reason or "refuses" in reason:
        return A4QueueStopped(f"the A4 printer: {reason}")
    return A4Error(f"the A4 printer: {reason}")


class A4Printer(Device):
    kind = "a4"

    def __init__(self, url: str, queue: str, host: str = "", port: int | None = None,
                 encrypted: bool = False, job_timeout: float = 120.0) -> None:
        super().__init__(url)
        self.queue, self.host, self.port = queue, host, port
        self.encrypted = encrypted
        self.job_timeout = job_timeout
        self._connections: dict[int, object] = {}  # one per thread: libcups' state is per thread

    # connection ---------------------------------------------------------------
    def _connection(self):
        cups = _cups()
        # libcups keeps the server per thread and consults it in printFile too
        if self.host:
            cups.setServer(self.host)
            cups.setPort(self.port or 631)
        cups.setEncryption(cups.HTTP_ENCRYPT_REQUIRED if self.encrypted else cups.HTTP_ENCRYPT_IF_REQUESTED)
        key = threading.get_ident()
        if key not in self._connections:
            try:
                self._connections[key] = (cups.Connection(host=self.host, port=self.port or 631)
                                          if self.host else cups.Connection())
            except RuntimeError:
                raise A4Unavailable(f"the print server {self._where()} does not answer") from None
        return self._connections[key]

    def _where(self) -> str:
        return f"{self.host}:{self.port or 631}" if self.host else "of this terminal (CUPS)"

    def _drop(self) -> None:
        self._connections.pop(threading.get_ident(), None)

    def _open(self) -> None:
        self._attributes()

    def _close(self) -> None:
        self._connections.clear()

    def _attributes(self) -> dict:
        cups = _cups()
        try:
            return self._connection().getPrinterAttributes(self.queue, requested_attributes=ATTRS)
        except cups.IPPError as e:
            self._drop()
            if e.args and e.args[0] == cups.IPP_NOT_FOUND:
                self.set_status(Status(Health.ABSENT, f"no print queue {self.queue!r} on the print server"))
                raise A4Unavailable(f"no print queue {self.queue!r} on the print server {self._where()}") from None
            raise A4Unavailable(f"the print server {self._where()} does not answer") from None
        except (cups.HTTPError, RuntimeError):
            self._drop()
            raise A4Unavailable(f"the print server {self._where()} does not answer") from None

    # health -------------------------------------------------------------------
    def check_health(self) -> Status:
        try:
            status = status_from(self._attributes())
        except A4Unavailable as e:
            status = Status(Health.ABSENT if "no print queue" in str(e) else Health.OFFLINE, str(e), Paper.UNKNOWN)
        self.set_status(status)
        return status

    # printing -----------------------------------------------------------------
    def print_pdf(self, pdf: bytes, title: str, timeout: float | None = None) -> int:
        """Print a PDF and wait until CUPS says the job completed; returns the job id.

        Raises an A4Error saying why otherwise (the job is cancelled, never left to come out later).
        """
        cups = _cups()
        try:
            attrs = self._attributes()
        except A4Unavailable:
            self.check_health()
            self.count("refused")
            raise
        status = status_from(attrs)
        self.set_status(status)
        # A stopped queue or one refusing jobs takes nothing. An idle queue still showing
        # the error of its last job (CUPS keeps a backend's reasons until the next job)
        # gets the job: the printer itself says again whether it can print.
        if attrs.get("printer-state") == STOPPED or attrs.get("printer-is-accepting-jobs") is False:
            self.count("refused")
            raise error_for(status)
        with tempfile.NamedTemporaryFile(suffix=".pdf", prefix="kiosk-a4-") as f:
            f.write(pdf)
            f.flush()
            os.chmod(f.name, 0o644)
            try:
                job = self._connection().printFile(self.queue, f.name, title[:100],
                                                   {"media": "iso_a4_210x297mm"})
            except cups.IPPError as e:
                self._drop()
                self.count("errors")
                if e.args and e.args[0] in (cups.IPP_NOT_ACCEPTING, cups.IPP_NOT_POSSIBLE):
                    raise A4QueueStopped("the A4 printer's queue refuses jobs") from None
                raise A4Gone(f"the print server {self._where()} did not take the job") from None
            except (cups.HTTPError, RuntimeError):
                self._drop()
                self.count("errors")
                raise A4Gone(f"the print server {self._where()} did not take the job") from None
        try:
            self._wait(job, self.job_timeout if timeout is None else timeout)
        except A4Error:
            self.count("errors")
            raise
        self.count("prints")
        return job

    def _wait(self, job: int, timeout: float) -> None:
        cups = _cups()
        deadline = time.monotonic() + timeout
        while True:
            try:
                state = self._connection().getJobAttributes(job, requested_attributes=["job-state"])["job-state"]
                if state == COMPLETED:
                    self.check_health()
                    return
                printer = self._attributes()
            except (cups.IPPError, cups.HTTPError, RuntimeError, A4Unavailable):
                self._drop()
                self.set_status(Status(Health.OFFLINE, "the print server stopped answering during a job",
                                       Paper.UNKNOWN))
                raise A4Gone("the A4 printer stopped answering while printing: the pages may not be out") from None
            status = status_from(printer)
            self.set_status(status)
            if state in (CANCELED, ABORTED):
                raise error_for(status) if status.health in REFUSING else A4Error(
                    "the print server cancelled the job")
            if printer.get("printer-state") == STOPPED:
                self._cancel(job)
                raise error_for(status)
            if time.monotonic() > deadline:
                self._cancel(job)
                raise A4Timeout(f"the A4 printer did not finish the job within {timeout:g} s")
            time.sleep(POLL)

    def _cancel(self, job: int) -> None:
        cups = _cups()
        try:
            self._connection().cancelJob(job, purge_job=False)
        except (cups.IPPError, cups.HTTPError, RuntimeError):
            log.warning("could not cancel A4 job %s", job)
