"""The printer emulator: stream parser robustness, PNG previews read by zbar, the CLI commands."""

import os
import shutil
import signal
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from hardware.printer import PaperOut
from hardware.printer.driver import ReceiptPrinter
from hardware.printer.preview import render_png
from hardware.printer.receipt import PrintOptions, Receipt
from hardware.printer.stream import Job, StatusRequest, StreamParser
from hardware.printer.testpage import TEST_BARCODE, TEST_QR, selftest_receipt
from kiosk.fonts import find_cjk_font
from testing.processes import kiosk_env

pytestmark = pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools not installed")


def zbar(png_path):
    out = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png_path)],
                         capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def _events_text(events):
    return [(e.n,) if isinstance(e, StatusRequest) else (e.text, e.qr_codes, e.barcodes) for e in events]


SAMPLE = (b"\x1b@\x1c&" + Receipt().title("回执").text("，。").qr("abc").barcode("SB1").cut()
          .encode(PrintOptions()) + b"\x10\x04\x01\x10\x04\x04")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=6))
def test_parser_never_crashes_on_arbitrary_bytes(data, cuts):
    for encoding in ("gb18030", "utf-8"):
        parser = StreamParser(encoding)
        points = sorted({0, len(data), *[c for c in cuts if c < len(data)]})
        for a, b in zip(points, points[1:]):
            for event in parser.feed(data[a:b]):
                assert isinstance(event, (Job, StatusRequest))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=60), st.lists(st.integers(0, len(SAMPLE) + 60), max_size=5))
def test_split_points_do_not_change_what_is_printed(prefix, cuts):
    data = prefix + SAMPLE
    whole = _events_text(StreamParser().feed(data))
    parser, chunked = StreamParser(), []
    points = sorted({0, len(data), *[c for c in cuts if c < len(data)]})
    for a, b in zip(points, points[1:]):
        chunked += _events_text(parser.feed(data[a:b]))
    assert chunked == whole


@pytest.mark.parametrize("qr_mode", ["native", "image"])
def test_preview_qr_decodes_with_zbar(printer_device, printer_emulator, tmp_path, qr_mode):
    printer_device.options = PrintOptions(qr=qr_mode)
    printer_device.print_receipt(selftest_receipt())
    assert printer_emulator.wait_for_jobs(1)
    png = tmp_path / "job.png"
    png.write_bytes(printer_emulator.png(printer_emulator.jobs[0], find_cjk_font()))
    assert zbar(png) == TEST_QR


def test_preview_of_58mm_paper(tmp_path):
    job, = StreamParser().feed(selftest_receipt().encode(PrintOptions(width=58)))
    png = tmp_path / "58.png"
    png.write_bytes(render_png(job, 384, find_cjk_font()))
    from PIL import Image
    assert Image.open(png).width == 384 + 32  # the paper's dots plus the margin
    out = subprocess.run(["zbarimg", "--quiet", str(png)], capture_output=True, text=True, timeout=30)
    assert f"QR-Code:{TEST_QR}" in out.stdout and f"CODE-128:{TEST_BARCODE}" in out.stdout


@pytest.fixture
def printer_emulator_process(tmp_path):
    """`kiosk emulate printer --tcp 0 --out DIR` as a child process, stopped by its pid."""
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "emulate", "printer", "--tcp", "0",
                             "--out", str(tmp_path / "jobs")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=kiosk_env())
    try:
        first = proc.stdout.readline()
        assert first.startswith("printer emulator: tcp://"), first + proc.stderr.read()
        proc.stdout.readline()  # the help line
        proc.url = first.split(": ", 1)[1].strip()
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)


def _say(proc, line):
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    return proc.stdout.readline().strip()


def test_emulate_command_switches_faults_from_stdin(printer_emulator_process, tmp_path):
    proc = printer_emulator_process
    device = ReceiptPrinter(proc.url, timeout=0.5)
    assert _say(proc, "paper-out on") == "faults: paper-out"
    with pytest.raises(PaperOut):
        device.print_receipt(selftest_receipt())
    assert _say(proc, "clear") == "faults: none"
    device.print_receipt(selftest_receipt())
    assert proc.stdout.readline().startswith("job 1: ")
    device.close()
    assert zbar(tmp_path / "jobs" / "job-0001.png") == TEST_QR
    assert _say(proc, "bogus").startswith("commands:")
    proc.stdin.write("quit\n")
    proc.stdin.flush()
    assert proc.wait(timeout=10) == 0


def test_print_test_command_on_sim_writes_a_readable_preview(tmp_path):
    png = tmp_path / "receipt.png"
    out = subprocess.run([sys.executable, "-m", "kiosk.cli", "print-test", "--printer", "sim:",
                          "--width", "58", "--preview", str(png)],
                         capture_output=True, text=True, timeout=60, env=kiosk_env())
    assert out.returncode == 0, out.stderr
    assert "printed a test receipt" in out.stdout
    assert zbar(png) == TEST_QR


def test_print_test_command_says_paper_out_in_one_line(printer_emulator_process):
    assert _say(printer_emulator_process, "paper-out on") == "faults: paper-out"
    out = subprocess.run([sys.executable, "-m", "kiosk.cli", "print-test", "--printer",
                          printer_emulator_process.url], capture_output=True, text=True,
                         timeout=60, env=kiosk_env())
    assert out.returncode == 5
    assert out.stderr.strip() == ("kiosk print-test: the printer is out of paper: "
                                  "load a new roll and close the cover")


@pytest.mark.parametrize("fault, words", [
    ("reset-after 265", "kiosk print-test: lost the connection to the printer at {url} during the receipt: "
                        "check that it is switched on and connected"),
    ("paper-out-after 309", "kiosk print-test: the printer ran out of paper during the receipt: "
                            "load a new roll and close the cover"),
])
def test_print_test_command_says_a_half_printed_receipt_was_not_printed(printer_emulator_process, fault, words):
    proc = printer_emulator_process
    assert _say(proc, fault).startswith(f"faults: {'paper-out-after' if 'paper' in fault else 'reset-after'}")
    out = subprocess.run([sys.executable, "-m", "kiosk.cli", "print-test", "--printer", proc.url],
                         capture_output=True, text=True, timeout=60, env=kiosk_env())
    assert out.returncode == 5 and "printed" not in out.stdout
    assert out.stderr.strip() == words.format(url=proc.url)


def test_emulator_fault_commands_for_links_paper_and_speed(printer_emulator_process):
    proc = printer_emulator_process
    assert _say(proc, "reset-after 100") == "faults: reset-after 100"
    assert _say(proc, "paper-out-after 50") == "faults: paper-out-after 50, reset-after 100"
    assert _say(proc, "throughput 4096") == "faults: paper-out-after 50, reset-after 100, throughput 4096"
    assert _say(proc, "reset-after off") == "faults: paper-out-after 50, throughput 4096"
    assert _say(proc, "throughput soon").startswith("throughput takes a number")
    assert _say(proc, "clear") == "faults: none"
