"""A stand-in terminal for the kill test with files: send applications with pages and a signature.

    python files_terminal.py STATE_FILE HALL_URL TERMINAL_ID SECRET PAGES_DIR --item CODE --id ID
                             [--from K] [--count N]

Starts its outbox (which first removes what an earlier run left), prints "ready", then queues
applications K .. K+N-1 while the outbox sends: application k carries 2 or 3 pages of
PAGES_DIR/page-{1,2,3}.jpg and PAGES_DIR/signature.png, tagged with k
(testing.materials.application_files).
Prints "submitting K" before and "queued K REF" after each submit, "replayed" for a submission
the hall had already, "recovered N" for folders removed at start, and exits 0 once the queue
is empty. The test SIGKILLs it at random moments and starts it again.
"""

import argparse
import logging
import sys
import time
from pathlib import Path

from kiosk.hall_client import HallClient
from kiosk.outbox import Outbox
from kiosk.store import Store
from testing.materials import application_files
from testing.terminal_hall import application, with_materials


class Report(logging.Handler):
    def emit(self, record):
        message = record.getMessage()
        if "the hall had it already" in message:
            print("replayed", flush=True)
        elif message.startswith("removed the files of"):
            print("recovered", message.split()[4], flush=True)


def main() -> int:
    p = argparse.ArgumentParser()
    for name in ("state_file", "hall_url", "terminal_id", "secret", "pages_dir"):
        p.add_argument(name)
    p.add_argument("--item", required=True)
    p.add_argument("--id", required=True)
    p.add_argument("--from", type=int, default=0, dest="first")
    p.add_argument("--count", type=int, default=0)
    args = p.parse_args()
    logging.getLogger("kiosk.outbox").addHandler(Report())
    logging.getLogger("kiosk.outbox").setLevel(logging.INFO)
    pages = [(Path(args.pages_dir) / f"page-{i}.jpg").read_bytes() for i in (1, 2, 3)]
    signature = (Path(args.pages_dir) / "signature.png").read_bytes()
    store = Store(args.state_file)
    client = HallClient(args.hall_url, args.terminal_id, args.secret, timeout=5, retries=0)
    outbox = Outbox(store, client, base_delay=0.05, max_delay=0.3).start()
    print("ready", flush=True)
    for k in range(args.first, args.first + args.count):
        print("submitting", k, flush=True)
        payload, files = with_materials(application(args.item, args.id, f"kill-{k}"), *application_files(pages, signature, k))
        print("queued", k, outbox.submit("application", payload, files), flush=True)
    deadline = time.monotonic() + 60
    while outbox.depth() and time.monotonic() < deadline:
        time.sleep(0.02)
    outbox.stop()
    return 0 if outbox.depth() == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
