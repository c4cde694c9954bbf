"""A stand-in terminal for the kill test: queue N applications, then send until the queue is empty.

    python outbox_terminal.py STATE_FILE HALL_URL TERMINAL_ID SECRET [--submit N --item CODE --id ID]

Prints "queued REF" for each submission (after submit() returned), "sending" when
it starts sending, and exits 0 once the queue is empty. The test SIGKILLs it at
random moments and starts it again.
"""

import argparse
import sys
import time

from kiosk.hall_client import HallClient
from kiosk.outbox import Outbox
from kiosk.store import Store


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("state_file")
    p.add_argument("hall_url")
    p.add_argument("terminal_id")
    p.add_argument("secret")
    p.add_argument("--submit", type=int, default=0)
    p.add_argument("--item", default="")
    p.add_argument("--id", default="")
    args = p.parse_args()
    store = Store(args.state_file)
    client = HallClient(args.hall_url, args.terminal_id, args.secret, timeout=5, retries=0)
    outbox = Outbox(store, client, base_delay=0.05, max_delay=0.3)
    for i in range(args.submit):
        ref = outbox.submit("application", {
            "item_code": args.item, "channel": "kiosk", "form": {"seq": i},
            "applicant": {"name": "测试居民", "id_number": args.id, "phone": "13800138000"}})
        print("queued", ref, flush=True)
    print("sending", flush=True)
    deadline = time.monotonic() + 30
    while outbox.depth() and time.monotonic() < deadline:
        report = outbox.send_now()
        if report.replayed:
            print("replayed", report.replayed, flush=True)
        if report.deferred:
            time.sleep(0.1)
    return 0 if outbox.depth() == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
