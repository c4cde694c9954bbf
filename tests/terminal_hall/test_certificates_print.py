"""证明开具 end to end: the real hall issues, the terminal lays out the PDF and prints it through
a real CUPS scheduler (the sim: A4 printer's private cupsd); the PDF that came out is read
back, its QR decoded with zbar and the hall's public check page opened at that address.
And the faults: out of paper, door open, queue stopped, printer gone mid-job."""

import shutil
import subprocess
import threading
import time

import cups
import pytest
import requests

from hardware.model import Health
from kiosk.certificates import Certificates
from kiosk.devices import DeviceHub
from kiosk.receipts import print_receipt

ZHANG = "430102199003075518"  # the demo ID card (assets/seed/idcards.json, certificates.json)
pytestmark = pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
                                reason="needs poppler-utils and zbar-tools")


@pytest.fixture
def hub():
    devices = DeviceHub({"a4": "sim:?timeout=30", "printer": "sim:"}).start()
    assert devices.wait_open(30)
    yield devices
    devices.close()


@pytest.fixture
def certificates(hall, client_for, hub):
    return Certificates(client_for(hall.url), hub)


def _page_text(pdf, tmp_path) -> str:
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf.read_bytes())
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _qr_of(pdf, tmp_path) -> str:
    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(png)], check=True)
    found = subprocess.run(["zbarimg", "--quiet", "--raw", f"{png}.png"], capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    return found.stdout.strip()


def test_a_certificate_printed_through_cups_is_genuine_on_the_check_page(hall, certificates, hub, tmp_path):
    preview = certificates.preview("social-insurance", ZHANG)
    assert preview["holder_name"] == "张晓明" and preview["code"] is None
    assert hall.count("issued_certificates") == 0  # a preview records nothing

    cert = certificates.issue("social-insurance", ZHANG, certificates.new_request())
    outcome = certificates.print(cert)
    assert outcome.printed, outcome
    assert hall.count("issued_certificates") == 1

    spooler = hub.device("a4").spooler
    (pdf,) = spooler.printed()  # what came out of the CUPS queue
    text = _page_text(pdf, tmp_path)
    for words in ("社会保险参保缴费证明", "张晓明", "4301**********5518", "161 个月", cert["code"],
                  "青山县社会保险事业管理中心"):
        assert words in text
    assert ZHANG not in text

    url = _qr_of(pdf, tmp_path)
    assert url == cert["verify_url"] == f"{hall.url}/verify/{cert['code']}"
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "此证明真实有效" in page.text and cert["code"] in page.text
    assert "张*明" in page.text and "张晓明" not in page.text
    assert hub.statuses()["a4"].health is Health.OK
    assert hub.device("a4").counters["prints"] == 1


@pytest.mark.parametrize("fault, message", [
    ("media-empty", "The A4 printer is out of paper."),
    ("door-open", "A door of the A4 printer is open."),
    ("stop-queue", "The A4 printer is not taking print jobs at the moment."),
])
def test_a_printer_fault_is_told_and_the_receipt_printer_gives_the_electronic_copy(
        hall, certificates, hub, fault, message):
    spooler = hub.device("a4").spooler
    spooler.stop_queue() if fault == "stop-queue" else spooler.set_fault(fault)
    cert = certificates.issue("household", ZHANG, certificates.new_request())
    outcome = certificates.print(cert)
    assert not outcome.printed and outcome.message == message
    assert spooler.printed() == []
    status = hub.check_all()["a4"]
    assert status.health is Health.ERROR  # what the heartbeat carries to the console
    assert {"media-empty": "out of paper", "door-open": "a door is open",
            "stop-queue": "the print queue is stopped"}[fault] in status.reason

    slip = certificates.receipt(cert, "zh")
    printed = hub.call("printer", lambda device: print_receipt(device, slip), timeout=20)
    assert printed.printed
    emulator = hub.device("printer").emulator
    assert emulator.wait_for_jobs(1)
    assert emulator.jobs[-1].qr_codes == [cert["verify_url"]]
    assert cert["code"] in emulator.jobs[-1].text

    spooler.repair()
    again = certificates.print(cert)  # staff fixed it: the same certificate prints
    assert again.printed and len(spooler.printed()) == 1


def test_the_printer_gone_mid_job(hall, certificates, hub):
    spooler = hub.device("a4").spooler
    spooler.set_fault("hang")
    cert = certificates.issue("social-insurance", ZHANG, certificates.new_request())
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(result=certificates.print(cert)))
    worker.start()
    server = cups.Connection(host="127.0.0.1", port=spooler.port)
    deadline = time.monotonic() + 20
    while not any(server.getJobAttributes(job)["job-state"] == 5 for job in server.getJobs()):
        assert time.monotonic() < deadline, "the job never reached the printer"
        time.sleep(0.1)
    spooler.stop()  # the print server goes away while the printer has the job
    worker.join(60)
    result = outcome["result"]
    assert not result.printed and result.fault == "gone"
    assert result.message == "The A4 printer stopped while printing: your certificate did not come out."
    assert hub.statuses()["a4"].health is Health.OFFLINE


def test_no_a4_printer(hall, client_for):
    with DeviceHub({"a4": "none:"}) as devices:
        certs = Certificates(client_for(hall.url), devices)
        cert = certs.preview("household", ZHANG)
        outcome = certs.print(cert)
        assert not outcome.printed and outcome.fault == "absent"
