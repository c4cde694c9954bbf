"""The A4 (office) printer: documents as PDF through CUPS.

Device URLs: ``cups:QUEUE`` (a queue of this machine's CUPS),
``ipp://HOST[:PORT]/printers/NAME`` or ``ipps://…`` (a print server's queue), ``sim:``
(a private cupsd with one simulated queue that writes each job's PDF to a folder,
reachable as ``device.spooler``) or ``none:``. Query: timeout=seconds a job may take.
"""

from __future__ import annotations

from hardware.a4.driver import A4Printer
from hardware.a4.errors import (A4DoorOpen, A4Error, A4Gone, A4PaperOut, A4QueueStopped,
                                A4Timeout, A4Unavailable)
from hardware.urls import DeviceKind, DeviceUrl, DeviceUrlError, register

__all__ = ["A4Printer", "A4Error", "A4Unavailable", "A4PaperOut", "A4DoorOpen", "A4QueueStopped",
           "A4Gone", "A4Timeout"]


def _timeout(url: DeviceUrl) -> float:
    return url.number("timeout", 120.0)


def _cups(url: DeviceUrl) -> A4Printer:
    queue = url.text.strip().partition(":")[2].strip().split("?")[0]
    if not queue or "/" in queue:
        raise DeviceUrlError(f"{url.text}: name the CUPS queue, e.g. cups:Office_A4")
    return A4Printer(url.text, queue, job_timeout=_timeout(url))


def _ipp(url: DeviceUrl) -> A4Printer:
    head, _, queue = url.path.rpartition("/")
    if head not in ("/printers", "/classes") or not queue or not url.host:
        raise DeviceUrlError(f"{url.text}: use ipp://HOST[:PORT]/printers/NAME")
    return A4Printer(url.text, queue, url.host, url.port or 631, encrypted=url.scheme == "ipps",
                     job_timeout=_timeout(url))


class _SimulatedA4(A4Printer):
    """The real driver on a private cupsd it owns; closing the device stops the server."""

    def _close(self) -> None:
        super()._close()
        if self.spooler is not None:
            self.spooler.remove()


def _sim(url: DeviceUrl) -> A4Printer:
    from hardware.a4.spooler import PrivateCups
    spooler = PrivateCups().start()
    device = _SimulatedA4(url.text, spooler.queue, "127.0.0.1", spooler.port, job_timeout=_timeout(url))
    device.spooler = spooler
    return device


A4Printer.spooler = None
register(DeviceKind("a4", "A4 printer", A4Error,
                    ("cups:QUEUE", "ipp://HOST/printers/NAME", "ipps://HOST/printers/NAME", "sim:")),
         {"cups": _cups, "ipp": _ipp, "ipps": _ipp, "sim": _sim})
