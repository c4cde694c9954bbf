"""A private X server (Xvfb) for the lockdown test and the UI benchmarks: the app then draws
through X11 and GLX as on a kiosk's X session, not through SDL's offscreen driver."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


def available() -> bool:
    return shutil.which("Xvfb") is not None


@contextmanager
def xvfb(size: tuple[int, int] = (1080, 1920)) -> Iterator[str]:
    """Start Xvfb on a free display; yields the display name (":N") and stops it after."""
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                                f"{size[0]}x{size[1]}x24", "-nolisten", "tcp"],
                               pass_fds=[write_fd], stderr=subprocess.DEVNULL)
    os.close(write_fd)
    number = b""
    while not number.endswith(b"\n"):  # Xvfb may write the number and the newline apart,
        chunk = os.read(read_fd, 16)     # and dies if the pipe is closed before the second write
        if not chunk:
            break
        number += chunk
    try:
        if not number.strip():
            raise RuntimeError("Xvfb did not start")
        yield ":" + number.decode().strip()
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        os.close(read_fd)
