"""Giving big pictures' memory back to the system once they are freed."""

from __future__ import annotations

import ctypes


def trim() -> None:
    """glibc keeps freed memory in its heaps (and raises its mmap threshold after the first big
    frees), so the tens of MB a capture or an emulator scene works in would stay with the process."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
