"""Masking of personal data for screens, paper and logs (GB/T 35273 §7.2)."""

from __future__ import annotations

# ID numbers and names: the same rules the card records mask their own reprs with
from hardware.masking import mask_id_number, mask_name

__all__ = ["mask_id_number", "mask_name", "mask_phone"]


def mask_phone(phone: str) -> str:
    phone = phone.strip()
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 11 else "*" * len(phone)
