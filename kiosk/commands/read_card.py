"""`kiosk read-card`: wait for a card in a PC/SC reader and print what it holds (masked by default)."""

from __future__ import annotations

import argparse
import json

from kiosk.errors import KioskError

LABELS = [("kind", "card"), ("name", "姓名 name"), ("ssn", "社会保障号码 SSN"),
          ("card_number", "卡号 card number"), ("region", "发卡地区 region"),
          ("issued", "发卡日期 issued"), ("expires", "有效期 expires"),
          ("spec_version", "规范版本 spec version"), ("card_id_code", "卡识别码 card id code"),
          ("uid", "UID"), ("atr", "ATR")]


class CardReadFailed(KioskError):
    exit_code = 5


class BadTimeout(KioskError):
    exit_code = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", metavar="URL",
                        help="pcsc:, pcsc:READER NAME or sim:?card=NAME (default: [devices] card)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--unmasked", action="store_true",
                        help="show the name, SSN and card number in full")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="seconds to wait for a card (default 10)")


def run(args: argparse.Namespace) -> int:
    from hardware import open_device
    from hardware.model import DeviceError
    from kiosk import config

    settings = config.load(args.config)
    url = args.device or settings.devices.card
    if not 0 < args.timeout <= 600:
        raise BadTimeout("--timeout: must be a number of seconds from 0 to 600")
    try:
        device = open_device("card", url)
        device.open()
    except DeviceError as e:
        raise CardReadFailed(str(e)) from None
    try:
        record = device.read(args.timeout)
    except DeviceError as e:
        raise CardReadFailed(str(e)) from None
    finally:
        device.close()
    privacy = settings.privacy
    shown = record.as_dict() if args.unmasked else record.masked(privacy.id_show_head, privacy.id_show_tail)
    record.wipe()
    if args.json:
        print(json.dumps(shown, ensure_ascii=False))
    else:
        for key, label in LABELS:
            value = shown.get(key)
            if key == "expires" and value is None and shown["kind"] == "social_security":
                value = "长期 (no expiry)"
            if value not in ("", None):
                print(f"{label}: {value}")
    return 0
