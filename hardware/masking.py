"""Masking of the personal data a device reads (GB/T 35273 §7.2): the card records mask
their own reprs with it, and kiosk.privacy passes it on to screens, paper and logs."""

from __future__ import annotations


def mask_id_number(number: str, head: int = 4, tail: int = 4) -> str:
    """4301**********123X for an 18-character ID number; short input is fully masked."""
    number = number.strip()
    if len(number) <= head + tail:
        return "*" * len(number)
    return number[:head] + "*" * (len(number) - head - tail) + number[len(number) - tail:]


def mask_name(name: str) -> str:
    """张* for two characters, 张*某 for three or more (first and last kept)."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
