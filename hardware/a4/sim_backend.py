"""The CUPS backend of the simulated A4 printer (``kiosk-sim:DIR``): a page printer that
writes each job's document into DIR/out/ and reports its state the way a real backend does.

CUPS runs it as ``kiosk-sim JOB USER TITLE COPIES OPTIONS [FILE]``. A fault set by the
test or the admin (the word in DIR/fault: media-empty, door-open, offline, hang) makes
it fail the way that printer would: the state reason on stderr and exit 4, which stops
the queue and keeps the job (CUPS_BACKEND_STOP). ``toner-low`` prints but reports low toner.
"""

import os
import shutil
import sys
import time
from pathlib import Path

STOP = 4
REASONS = {"media-empty": "media-empty-error", "door-open": "door-open-error",
           "offline": "offline-report"}
MESSAGES = {"media-empty": "Out of paper", "door-open": "Cover open", "offline": "Printer offline"}


def _fault(folder: Path) -> str:
    try:
        return (folder / "fault").read_text().strip()
    except OSError:
        return ""


def main() -> int:
    if len(sys.argv) == 1:  # asked by cupsd which devices it finds: none to list
        return 0
    folder = Path(os.environ["DEVICE_URI"].partition(":")[2])
    fault = _fault(folder)
    level = 5 if fault == "toner-low" else 80
    print(f"ATTR: marker-colors=#000000 marker-levels={level} marker-names=Black "
          f"marker-types=toner", file=sys.stderr, flush=True)
    for reason in REASONS.values():
        if reason != REASONS.get(fault):
            print(f"STATE: -{reason}", file=sys.stderr, flush=True)
    print("STATE: +toner-low-report" if fault == "toner-low" else "STATE: -toner-low-report",
          file=sys.stderr, flush=True)
    if fault == "hang":  # a printer that takes the job and never finishes it
        while _fault(folder) == "hang":
            time.sleep(0.2)
    elif fault in REASONS:
        print(f"STATE: +{REASONS[fault]}", file=sys.stderr, flush=True)
        print(f"ERROR: {MESSAGES[fault]}", file=sys.stderr, flush=True)
        return STOP
    out = folder / "out"
    out.mkdir(exist_ok=True)
    target = out / f"job-{int(sys.argv[1]):05d}.pdf"
    tmp = target.with_suffix(".part")
    if len(sys.argv) > 6:
        shutil.copyfile(sys.argv[6], tmp)
    else:
        with open(tmp, "wb") as f:
            shutil.copyfileobj(sys.stdin.buffer, f)
    tmp.replace(target)
    print("PAGE: 1 1", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
