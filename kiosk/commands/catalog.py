"""`kiosk catalog search QUERY [--json] [--limit N]` and `kiosk catalog refresh`.

Search uses the terminal's local copy; it refreshes the copy from the hall first
when the hall answers, and says so when it falls back to the offline copy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    search = actions.add_parser("search", help="search by Chinese, full pinyin or pinyin initials")
    search.add_argument("query", metavar="QUERY", help='e.g. 身份证, "shenfenzheng" or "sfz"')
    search.add_argument("--json", action="store_true", help="print JSON")
    search.add_argument("--limit", type=_limit, default=20, metavar="N", help="at most N results (1-500, default 20)")
    search.add_argument("--offline", action="store_true", help="do not contact the hall; use the local copy")
    actions.add_parser("refresh", help="fetch the catalogue from the hall into the local copy")


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if not 1 <= value <= 500:
        raise argparse.ArgumentTypeError(f"must be from 1 to 500 (got {value})")
    return value


def run(args: argparse.Namespace) -> int:
    from kiosk import config
    from kiosk.catalog import Catalog
    from kiosk.hall_client import HallClient
    from kiosk.store import Store

    settings = config.load(args.config)
    store = Store.for_settings(settings)
    client = HallClient.from_settings(settings, retries=0)
    catalog = Catalog(store, client)
    try:
        if args.action == "refresh":
            result = catalog.refresh()
            print(f"catalogue {'updated' if result.changed else 'unchanged'}: "
                  f"{result.count} items, version {result.version}")
            return 0
        if not args.offline:
            problem = catalog.try_refresh()
            if problem is not None and catalog.fetched_at is not None:
                print(f"hall unreachable ({problem}); using the offline copy from "
                      f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(catalog.fetched_at))}",
                      file=sys.stderr)
        hits = catalog.search(args.query, args.limit)
        if args.json:
            print(json.dumps([_summary(h) for h in hits], ensure_ascii=False, indent=2))
        elif not hits:
            print(f"no service matches {args.query!r}")
        else:
            for h in hits:
                s = _summary(h)
                print(f"{s['code']}  {s['name']}  ({s['department']}, {s['match']})")
        return 0
    finally:
        client.close()
        store.close()


def _summary(hit) -> dict:
    dept = hit.item.get("department") or {}
    return {"code": hit.item.get("code"), "name": hit.item.get("name"),
            "department": dept.get("name", "") if isinstance(dept, dict) else str(dept),
            "match": hit.rank_name}
