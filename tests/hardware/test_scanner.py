"""Scanners: the serial driver against its emulator (pty and TCP), the keyboard wedge, `kiosk scan`."""

import queue
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import given, strategies as st

from hardware.model import Health
from hardware.scanner import ScanError, SerialScanner, WedgeScanner, from_url
from hardware.scanner.wedge import KeyBurst
from kiosk.cli import main
from testing.processes import kiosk_env


def collect(device):
    got = queue.Queue()
    device.subscribe(got.put)
    return got


def take(events, kinds=("scanned", "scan_error"), n=1, timeout=5.0):
    out, deadline = [], time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        try:
            event = events.get(timeout=0.05)
        except queue.Empty:
            continue
        if event.kind in kinds:
            out.append((event.kind, event.data))
    return out


def wait_for(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not check():
        time.sleep(0.02)
    return check()


@pytest.fixture
def scanner(scanner_emulator):
    device = SerialScanner(scanner_emulator.url, scanner_emulator.link.driver_address, baudrate=115200)
    events = collect(device)
    device.enable()
    if scanner_emulator.url.startswith("socket:"):
        time.sleep(0.1)  # let the emulator accept the connection before the first code
    yield device, events
    device.close()


def test_codes_arrive_in_order_with_any_line_ending(scanner_emulator, scanner):
    device, events = scanner
    for code, suffix in [("SB20261123000123", b"\r"), ("https://zwfw.example.gov.cn/q?id=7", b"\n"),
                         ("中文二维码", b"\r\n")]:
        scanner_emulator.send_raw(code.encode("utf-8") + suffix)
    assert take(events, n=3) == [("scanned", "SB20261123000123"),
                                 ("scanned", "https://zwfw.example.gov.cn/q?id=7"), ("scanned", "中文二维码")]
    assert device.counters["scans"] == 3 and device.status.health is Health.OK


def test_gb18030_codes_from_chinese_scanners_decode(scanner_emulator, scanner):
    _, events = scanner
    scanner_emulator.send_raw("办件编号：粤A123".encode("gb18030") + b"\r")
    assert take(events) == [("scanned", "办件编号：粤A123")]


def test_bad_lines_are_typed_errors_and_lose_nothing_after_them(scanner_emulator, scanner):
    device, events = scanner
    scanner_emulator.send_raw(b"\x81\x30\xff\xfe\x00\r")          # not text in any encoding
    scanner_emulator.send_raw(b"X" * 5000)                        # no end of line, ever
    scanner_emulator.send_raw(b"\rGOOD-1\r")
    got = take(events, n=3)
    assert [kind for kind, _ in got] == ["scan_error", "scan_error", "scanned"]
    assert "not readable text" in got[0][1] and "suffix" in got[1][1] and got[2][1] == "GOOD-1"
    assert device.counters["errors"] == 2


def test_the_scanner_going_away_and_coming_back(scanner_emulator, scanner):
    device, events = scanner
    scanner_emulator.send("BEFORE")
    assert take(events) == [("scanned", "BEFORE")] and device.status.health is Health.OK
    scanner_emulator.gone()
    assert wait_for(lambda: device.status.health is Health.OFFLINE)
    assert "waiting for it to return" in device.status.reason or "check its cable" in device.status.reason
    scanner_emulator.back()
    # the port is back, the scanner not yet heard from again: unknown, so a warning
    assert wait_for(lambda: device.status.health is Health.WARNING)
    assert "no scan seen yet" in device.status.reason
    time.sleep(0.1)
    scanner_emulator.send("AFTER-REPLUG")
    assert take(events) == [("scanned", "AFTER-REPLUG")]
    assert device.status.health is Health.OK


@pytest.mark.parametrize("transport", ["pty", "tcp"])
def test_a_code_without_a_suffix_ends_when_the_line_goes_quiet(transport):
    from hardware.scanner.emulator import ScannerEmulator
    emulator = ScannerEmulator(transport=transport, baudrate=115200, suffix="none").start()
    device = SerialScanner(emulator.url, emulator.link.driver_address, baudrate=115200)
    events = collect(device)
    try:
        device.enable()
        time.sleep(0.1)
        emulator.send("AAAA1111")
        time.sleep(0.5)  # the next scan, a moment later
        emulator.send("BBBB2222")
        assert take(events, n=2) == [("scanned", "AAAA1111"), ("scanned", "BBBB2222")]
        emulator.send_raw(b"CCCC")  # a pause far shorter than the quiet gap does not end a code
        time.sleep(0.01)
        emulator.send_raw(b"3333\r")
        time.sleep(0.3)
        emulator.send_raw(b"\r")  # a CR after a quiet gap ended the code is an empty line, skipped
        emulator.send_raw(b"DDDD4444\r")
        assert take(events, n=2) == [("scanned", "CCCC3333"), ("scanned", "DDDD4444")]
    finally:
        device.close()
        emulator.stop()


def test_gs1_codes_keep_their_separators(scanner_emulator, scanner):
    device, events = scanner
    gs1 = "0109501101530003\x1d10ABC123\x1d17260101"
    scanner_emulator.send_raw(gs1.encode() + b"\r")
    scanner_emulator.send_raw(b"\x1d0109501101530003\r")  # FNC1 in first position, sent as GS
    assert take(events, n=2) == [("scanned", gs1), ("scanned", "\x1d0109501101530003")]
    assert device.counters["errors"] == 0


def test_a_port_with_nothing_on_it_is_a_warning_until_a_scan_arrives():
    import os
    master, slave = os.openpty()  # a serial port, and nothing on its other end yet
    path = os.ttyname(slave)
    device = from_url("serial://" + path)
    events = collect(device)
    try:
        status = device.check_health()
        assert status.health is Health.WARNING and "no scan seen yet" in status.reason
        device.enable()
        time.sleep(0.3)
        assert device.status.health is Health.WARNING
        os.write(master, b"HELLO-1\r")  # something is there after all: it scanned
        assert take(events) == [("scanned", "HELLO-1")]
        assert device.status.health is Health.OK and device.check_health().health is Health.OK
    finally:
        device.close()
        os.close(master)
        os.close(slave)


def test_a_port_another_program_holds_is_reported_in_use(serial_port_holder):
    import os
    master, slave = os.openpty()
    path = os.ttyname(slave)
    device = from_url("serial://" + path)
    try:
        with serial_port_holder(path):
            status = device.check_health()
            assert status.health is Health.OFFLINE
            assert f"the scanner at {path} is in use by another program" in status.reason
            with pytest.raises(ScanError, match="in use by another program"):
                device.open()
        assert device.check_health().health is Health.WARNING  # free again: no scan seen yet
        device.open()  # and held by this program now, which another one cannot take
        with pytest.raises(AssertionError, match="could not lock"):
            with serial_port_holder(path):
                pass
    finally:
        device.close()
        os.close(master)
        os.close(slave)


def test_health_of_a_missing_scanner_is_offline():
    device = from_url("serial:///dev/ttyNOSUCHSCANNER")
    assert device.check_health().health is Health.OFFLINE
    with pytest.raises(ScanError, match="no scanner at /dev/ttyNOSUCHSCANNER"):
        device.open()


@pytest.mark.parametrize("url", ["usb://1", "serial:///dev/x?baudrate=fast", "hid:?gap_ms=-3", "socket://h"])
def test_bad_scanner_urls_are_refused(url):
    with pytest.raises(ScanError):
        from_url(url)


# --- keyboard wedge ---------------------------------------------------------------

def wedge_run(keys):
    """Feed (char, time) pairs; return what was scanned and what was handed on as typing."""
    scanned, typed = [], []
    burst = KeyBurst(scanned.append, typed.append)
    for char, at in keys:
        burst.feed(char, at)
    burst.flush(keys[-1][1] + 1)
    return scanned, "".join(typed)


def burst(text, start=0.0, gap=0.004):
    return [(c, start + i * gap) for i, c in enumerate(text)]


def test_a_fast_burst_ending_in_enter_is_a_scan():
    assert wedge_run(burst("SB2026000123\r")) == (["SB2026000123"], "")


def test_human_typing_is_handed_on_whole():
    keys = [(c, i * 0.15) for i, c in enumerate("1234\r")]
    assert wedge_run(keys) == ([], "1234\n")


def test_a_short_burst_is_typing_and_typing_then_a_scan_are_told_apart():
    assert wedge_run(burst("ab\r")) == ([], "ab\n")
    keys = [("a", 0.0), ("b", 0.2)] + burst("QR-CODE-9\n", start=0.5)
    assert wedge_run(keys) == (["QR-CODE-9"], "ab")


def test_holding_says_keys_wait_for_a_flush_that_comes_late_enough():
    # a lone key is held back no longer than a scanner's pace and one stall: 30 + 80 ms
    typed = []
    burst = KeyBurst(lambda code: None, typed.append)
    burst.feed("a", 1.0)
    assert burst.release_at == pytest.approx(1.11)
    burst.flush(1.1)  # too early: a burst may still be under way
    assert burst.holding and typed == []
    burst.flush(1.12)
    assert not burst.holding and typed == ["a"] and burst.release_at is None


@given(st.lists(st.tuples(st.text("abcXYZ019-", min_size=1, max_size=12), st.booleans()), min_size=1, max_size=8))
def test_the_wedge_loses_no_key(pieces):
    keys, t, expected_scans = [], 0.0, []
    for text, is_scan in pieces:
        t += 0.5
        if is_scan and len(text) >= 4:
            keys += burst(text + "\r", start=t)
            expected_scans.append(text)
        else:
            keys += [(c, t + i * 0.1) for i, c in enumerate(text)]
        t = keys[-1][1]
    scanned, typed = wedge_run(keys)
    assert scanned == expected_scans
    assert typed == "".join(text for text, is_scan in pieces if not (is_scan and len(text) >= 4))


@pytest.mark.parametrize("after", [1, 6, 15])  # where in the code the stall falls
@pytest.mark.parametrize("stall", [0.04, 0.06, 0.1])
def test_a_scan_stalled_once_stays_whole(stall, after):
    code = "SB20261202000123"
    keys = burst(code[:after]) + burst(code[after:] + "\r", start=(after - 1) * 0.004 + stall)
    assert wedge_run(keys) == ([code], "")


def test_a_scan_whose_keys_come_bunched_after_stalls_stays_whole():
    # the event loop was busy twice: the keys held up meanwhile arrive together
    code = "SB20261123000042"
    times = [0.0, 0.004, 0.008, 0.07, 0.07, 0.07, 0.07, 0.074, 0.078, 0.082, 0.15, 0.15, 0.15, 0.15,
             0.15, 0.154, 0.158]
    assert wedge_run(list(zip(code + "\r", times))) == ([code], "")


@pytest.mark.parametrize("gap", [0.06, 0.1, 0.15, 0.3])
def test_typing_at_a_person_s_pace_stays_typing(gap):
    keys = [(c, i * gap) for i, c in enumerate("SB20261123000042\r")]
    assert wedge_run(keys) == ([], "SB20261123000042\n")


@pytest.mark.parametrize("ending", ["\r\n", "\n\r", "\r\r"])
def test_a_scan_s_two_line_end_keys_end_one_code_and_press_nothing(ending):
    keys = burst("SB2026000123" + ending)
    assert wedge_run(keys) == (["SB2026000123"], "")
    later = keys + [("\r", keys[-1][1] + 0.5)]  # a person's Enter later is theirs
    assert wedge_run(later) == (["SB2026000123"], "\n")


def test_gs_inside_a_wedge_burst_is_part_of_the_code():
    assert wedge_run(burst("0109501101530003\x1d10ABC\r")) == (["0109501101530003\x1d10ABC"], "")


def test_wedge_device_emits_scanned_and_reports_unknown_health_as_warning():
    device = from_url("hid:?gap_ms=20&min_length=3")
    assert isinstance(device, WedgeScanner)
    events = collect(device)
    for char, at in burst("ABC\r", gap=0.01):
        device.feed(char, at)
    assert take(events, kinds=("scanned",)) == [("scanned", "ABC")]
    assert device.check_health().health is Health.WARNING


# --- kiosk scan and kiosk emulate scanner -------------------------------------------

def test_kiosk_scan_prints_codes_and_masks_id_numbers(scanner_emulator, capsys):
    def later():
        time.sleep(0.5)
        scanner_emulator.send("SB20261123000123")
        scanner_emulator.send("eid:430102199003075518;t=1")
    threading.Thread(target=later, daemon=True).start()
    code = main(["scan", "--device", scanner_emulator.url, "--count", "2", "--timeout", "5"])
    out = capsys.readouterr().out
    assert code == 0 and out.splitlines() == ["SB20261123000123", "eid:4301**********5518;t=1"]


def test_kiosk_scan_times_out_with_one_plain_line(capsys):
    code = main(["scan", "--device", "sim:", "--timeout", "0.5"])
    err = capsys.readouterr().err
    assert code == 5 and "kiosk scan: 0 of 1 code(s) scanned within 0.5 s" in err


def test_kiosk_scan_with_a_missing_scanner(capsys):
    code = main(["scan", "--device", "socket://127.0.0.1:9", "--timeout", "0.5"])
    assert code == 5 and "no scanner at socket://127.0.0.1:9" in capsys.readouterr().err


def test_kiosk_scan_on_a_silent_port_and_on_a_port_in_use(capsys, serial_port_holder):
    import os
    master, slave = os.openpty()
    path = os.ttyname(slave)
    try:
        assert main(["scan", "--device", "serial://" + path, "--timeout", "0.5"]) == 5
        assert capsys.readouterr().err.strip().endswith(
            "kiosk scan: 0 of 1 code(s) scanned within 0.5 s: scan again, or check the scanner")
        with serial_port_holder(path):
            assert main(["scan", "--device", "serial://" + path, "--timeout", "0.5"]) == 5
        assert f"the scanner at {path} is in use by another program" in capsys.readouterr().err
    finally:
        os.close(master)
        os.close(slave)


def test_kiosk_scan_with_sim_codes(capsys):
    assert main(["scan", "--device", "sim:?codes=A1B2,C3D4", "--count", "2", "--timeout", "5"]) == 0
    assert capsys.readouterr().out.split() == ["A1B2", "C3D4"]


def test_emulate_scanner_sends_stdin_lines_over_tcp():
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "emulate", "scanner", "--tcp", "0",
                             "--suffix", "crlf"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=kiosk_env())
    try:
        ready = proc.stdout.readline()
        assert ready.startswith("scanner emulator ready: socket://127.0.0.1:")
        device = from_url(ready.split(": ", 1)[1].strip())
        events = collect(device)
        device.enable()
        time.sleep(0.2)
        proc.stdin.write("SB-FROM-STDIN\n")
        proc.stdin.flush()
        assert take(events) == [("scanned", "SB-FROM-STDIN")]
        device.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_kiosk_scan_hid_reads_a_wedge_burst_from_the_terminal():
    import os
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "scan", "--device", "hid:", "--timeout", "10"],
                            stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=kiosk_env())
    try:
        assert proc.stderr.readline().startswith("waiting for 1 code(s)")  # the terminal is in cbreak mode
        os.write(master, b"12")  # a person starting to type ...
        time.sleep(0.3)
        os.write(master, b"SB2026000999\r")  # ... then a scanner's burst
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert out.splitlines() == ["SB2026000999"]
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
        os.close(slave)
