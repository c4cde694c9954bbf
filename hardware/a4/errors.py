"""A4 printer failures: each message is one plain line a resident or admin can act on.

`fault` names the cause for the screens and the console: paper, door, stopped,
offline, gone, timeout, refused.
"""

from __future__ import annotations

from hardware.model import DeviceError


class A4Error(DeviceError):
    fault = "refused"


class A4Unavailable(A4Error):
    """The print server or the queue cannot be reached."""
    fault = "offline"


class A4PaperOut(A4Error):
    fault = "paper"


class A4DoorOpen(A4Error):
    fault = "door"


class A4QueueStopped(A4Error):
    """The queue is stopped or refuses jobs (by an admin or after a printer error)."""
    fault = "stopped"


class A4Gone(A4Error):
    """The print server stopped answering while a job was on its way: the page may not be out."""
    fault = "gone"


class A4Timeout(A4Error):
    fault = "timeout"
