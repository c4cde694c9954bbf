"""The command console every `kiosk emulate` shares: fault commands typed on standard input."""

from __future__ import annotations

import sys
import threading
from typing import Callable


def serve_commands(handle: Callable[[str], str | None],
                   errors: tuple[type[BaseException], ...] = ()) -> None:
    """Answer each line of standard input with `handle(line)` until "quit" or "exit".

    When standard input closes (the emulator was started in the background), the
    emulator keeps serving until it is interrupted or terminated.
    """
    try:
        for line in sys.stdin:
            if line.strip().lower() in ("quit", "exit"):
                return
            try:
                reply = handle(line)
            except errors as e:
                reply = f"error: {e}"
            if reply:
                print(reply, flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
