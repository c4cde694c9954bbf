"""`kiosk read-id`: wait for an ID card on a reader and print what it holds (masked by default)."""

from __future__ import annotations

import argparse
import json

from kiosk.errors import KioskError


class ReadIdFailed(KioskError):
    exit_code = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", metavar="URL",
                        help="reader URL (default: [devices] idcard from the settings), e.g. "
                             "serial:///dev/ttyUSB0?baudrate=115200, socket://HOST:PORT, sim:?card=mainland")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--unmasked", action="store_true", help="show name, ID number and address in full")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="seconds to wait for a card (default 10)")


def masked(record: dict, head: int, tail: int) -> dict:
    from kiosk.privacy import mask_id_number, mask_name
    out = dict(record)
    out["name"] = mask_name(out["name"])
    out["english_name"] = mask_name(out["english_name"])
    out["id_number"] = mask_id_number(out["id_number"], head, tail)
    out["pass_number"] = mask_id_number(out["pass_number"], 1, 2)
    address = out["address"]
    out["address"] = address[:6] + "*" * (len(address) - 6) if len(address) > 6 else "*" * len(address)
    return out


LABELS = [("card_type", "证件类型 card type"), ("name", "姓名 name"), ("english_name", "英文姓名 English name"),
          ("gender_label", "性别 gender"), ("nation", "民族 nation"), ("nationality", "国籍 nationality"),
          ("birth_date", "出生 birth date"), ("address", "住址 address"), ("id_number", "证件号码 ID number"),
          ("pass_number", "通行证号码 pass number"), ("issue_count", "签发次数 issue count"),
          ("renewal_count", "换证次数 renewals"), ("card_version", "证件版本 version"),
          ("authority", "签发机关 authority"), ("valid_from", "有效期起 valid from"),
          ("valid_to", "有效期止 valid to")]


def run(args: argparse.Namespace) -> int:
    from hardware import open_device
    from hardware.model import DeviceError
    from kiosk import config

    settings = config.load(args.config)
    url = args.device or settings.devices.idcard
    if args.timeout <= 0:
        raise ReadIdFailed("--timeout must be a positive number of seconds")
    try:
        reader = open_device("idcard", url)
        try:
            reader.open()
            identity = reader.read_card(timeout=args.timeout)
        finally:
            reader.close()
    except DeviceError as e:
        raise ReadIdFailed(str(e)) from None
    record = identity.as_dict()
    record["photo"] = f"{len(identity.photo_wlt())} bytes WLT" if identity.has_photo else "none"
    identity.wipe()
    if not args.unmasked:
        record = masked(record, settings.privacy.id_show_head, settings.privacy.id_show_tail)
    if args.json:
        print(json.dumps(record | {"masked": not args.unmasked}, ensure_ascii=False))
        return 0
    for key, label in LABELS:
        value = record.get(key)
        if value not in ("", None):
            print(f"{label}: {value}")
    print(f"照片 photo: {record['photo']}")
    return 0
