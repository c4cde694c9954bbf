"""SIGKILL a terminal at random points while it sends; after restarts every item is in the hall once."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiosk.store import Store
from testing.processes import kiosk_env
from testing.terminal_hall import TERMINAL_ID, TERMINAL_SECRET, applications_of, id_number, online_item_code

SCRIPT = Path(__file__).with_name("outbox_terminal.py")
N = 40        # the hall's lookup lists the newest 50 per identity
BUDGET = 50   # seconds for the whole kill-and-restart loop


def start(state, hall, *extra):
    return subprocess.Popen([sys.executable, str(SCRIPT), str(state), hall.url, TERMINAL_ID, TERMINAL_SECRET,
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=kiosk_env())


def wait_for_line(proc, text, timeout=20):
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.strip() == text:
            return lines
    raise AssertionError(f"terminal never printed {text!r}: {lines[-3:]} {proc.stderr.read()[-500:]}")


def count_replayed(proc):
    lines = proc.stdout.read().splitlines()
    proc.stdout.close()
    proc.stderr.close()
    return sum(int(line.split()[1]) for line in lines if line.startswith("replayed"))


def test_sigkill_during_sending_loses_and_doubles_nothing(hall, client_for, tmp_path):
    rnd = random.Random(os.getpid())
    client = client_for(hall.url, retries=0)
    id_no = id_number("11010519900307" + f"{rnd.randrange(1000):03d}")
    state = tmp_path / "terminal.sqlite3"
    started = time.monotonic()

    proc = start(state, hall, "--submit", str(N), "--item", online_item_code(client), "--id", id_no)
    queued = [line.split()[1] for line in wait_for_line(proc, "sending") if line.startswith("queued")]
    assert len(queued) == N
    kills = replayed = 0
    while True:
        time.sleep(rnd.uniform(0.0, 0.1))  # a batch of 40 takes ~0.35 s on an idle machine
        if proc.poll() is None and time.monotonic() - started < BUDGET - 10:
            os.kill(proc.pid, signal.SIGKILL)  # the terminal dies mid-send
            proc.wait(5)
            kills += 1
        else:
            proc.wait(BUDGET)
            if proc.returncode == 0:
                break
        replayed += count_replayed(proc)
        proc = start(state, hall)
        wait_for_line(proc, "sending")
    replayed += count_replayed(proc)
    # replays show kills that fell between the hall's commit and the terminal's; random, so not asserted
    print(f"kill test: {kills} SIGKILLs, {replayed} resends answered from the hall's record, "
          f"{time.monotonic() - started:.1f} s")
    assert kills >= 3, "the terminal finished before it could be killed a few times"
    assert time.monotonic() - started < BUDGET + 10

    store = Store(state)
    rows = store.outbox_rows()
    store.close()
    assert sorted(r.ref for r in rows) == sorted(queued)
    assert all(r.state == "sent" and r.payload is None for r in rows)
    numbers = sorted(r.answer["number"] for r in rows)
    in_hall = sorted(a["number"] for a in applications_of(client, id_no))
    assert len(set(numbers)) == N
    assert in_hall == numbers  # each submission exactly once, none missing, none extra
