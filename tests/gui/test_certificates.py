"""证明开具 on the real app: the ID card emulator identifies, a real hall issues, the A4 printer is
the sim: one (a real cupsd with its own queue), the receipt printer its emulator. The resident
picks a certificate, checks it (masked on screen), prints; the PDF that came out of CUPS carries
the QR of the hall's check page. Out of paper: plain words, the electronic copy's QR on screen
and on a slip from the receipt printer, then the same certificate once staff have fixed it."""

from __future__ import annotations

import os
import subprocess

import pytest
import requests

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
from testing.gui import (HallProcess, assert_readable, decode_qr, device, every_text, find_button,
                         hall_settings, open_tile, press, widget_image)

pytestmark = pytest.mark.gui
NAME, ID_NUMBER, ID_MASKED = "张晓明", "430102199003075518", "4301**********5518"  # seed card "mainland"


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hall")
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log").start()
    yield process
    process.stop()


@pytest.fixture
def kiosk(ui, hall):
    ui.app.apply_settings(hall_settings(hall.url, idcard="sim:", printer="sim:", a4="sim:?timeout=30",
                                        scanner="none:", camera="none:"))
    a4 = device(ui, "a4", timeout=40)
    reader = device(ui, "idcard", timeout=40)
    device(ui, "printer", timeout=40)
    yield ui, a4.spooler, reader.emulator
    reader.emulator.remove()


def _identify_and_preview(ui, reader, title):
    open_tile(ui, "certificates")
    assert "请将身份证放在读卡区，或插入社保卡。" in ui.texts()
    assert ui.screen.ids.kinds.disabled  # nothing to pick before a card is read
    reader.place("mainland")
    ui.wait(lambda: f"张*明  {ID_MASKED}" in ui.texts(), timeout=15, what="the card read on this screen")
    press(ui, find_button(ui, title))
    ui.wait(lambda: ui.screen.name == "certificates.preview", timeout=15, what="the preview")
    ui.frames(3)


def _qr_of_pdf(pdf, tmp_path) -> str:
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    return subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "page.png")], capture_output=True,
                          text=True).stdout.strip()


def test_print_a_certificate_through_cups(kiosk, hall, tmp_path):
    ui, spooler, reader = kiosk
    _identify_and_preview(ui, reader, "社会保险参保缴费证明")
    texts = " ".join(ui.texts())
    assert "社会保险参保缴费证明" in texts and "161 个月" in texts and "张*明" in texts
    assert "青山县******" in texts  # the employer, personal: masked on screen
    shown = every_text(ui)
    assert NAME not in shown and ID_NUMBER not in shown and "青山县演示科技有限公司" not in shown
    assert_readable(ui)
    assert hall.count("issued_certificates") == 0

    press(ui, ui.screen.ids.print)
    ui.wait(lambda: ui.screen.name == "certificates.done", timeout=60, what="the certificate printed")
    ui.frames(3)
    assert "证明已打印，请从A4打印机取走。" in ui.texts()
    assert hall.count("issued_certificates") == 1
    (pdf,) = spooler.printed()
    url = _qr_of_pdf(pdf, tmp_path)
    code = ui.screen.code
    assert url == f"{hall.url}/verify/{code}"
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "此证明真实有效" in page.text
    assert_readable(ui)


def test_out_of_paper_offers_the_electronic_copy_and_prints_once_fixed(kiosk, hall, tmp_path):
    ui, spooler, reader = kiosk
    before, issued = len(spooler.printed()), hall.count("issued_certificates")
    spooler.set_fault("media-empty")
    _identify_and_preview(ui, reader, "户籍证明")
    press(ui, ui.screen.ids.print)
    ui.wait(lambda: ui.screen.name == "certificates.done", timeout=60, what="the outcome")
    ui.frames(3)
    texts = " ".join(ui.texts())
    assert "证明未能打印在纸上。" in texts and "A4打印机缺纸。" in texts and "已通知工作人员。" in texts
    screen = ui.screen
    assert screen.qr.endswith(f"/verify/{screen.code}")
    assert decode_qr(widget_image(ui.screenshot(), screen.ids.qr), tmp_path) == [screen.qr]
    assert ui.app.services.devices.statuses()["a4"].reason == "out of paper"  # what the heartbeat sends
    assert_readable(ui)

    emulator = ui.app.services.devices.device("printer").emulator
    jobs = len(emulator.jobs)
    press(ui, screen.ids.slip)
    ui.wait(lambda: len(emulator.jobs) > jobs, timeout=20, what="the slip")
    assert emulator.jobs[-1].qr_codes == [screen.qr]

    spooler.repair()
    press(ui, screen.ids.again)
    ui.wait(lambda: screen.printed, timeout=60, what="printed once fixed")
    assert len(spooler.printed()) == before + 1
    assert hall.count("issued_certificates") == issued + 1  # issued once, printed on the second try


def test_a_typed_id_number_does_not_issue_a_certificate(kiosk):
    ui, _, _ = kiosk
    from screens.identify import ResidentIdentity
    ui.app.session.data["identity"] = ResidentIdentity(NAME, ID_NUMBER, "manual")
    ui.app.show("certificates")
    ui.wait(lambda: ui.screen.name == "certificates", what="the certificates screen")
    ui.frames(3)
    assert "开具证明需要读取您的身份证或社保卡。" in " ".join(ui.texts())
    assert ui.screen.ids.kinds.disabled


def test_the_full_guide_on_a4_and_a_door_open(kiosk, tmp_path):
    ui, spooler, _ = kiosk
    ui.wait(lambda: ui.app.services.catalog.version is not None, timeout=60, what="catalogue copy")
    screen = ui.app.screen("guides.detail")
    ui.app.show("guides.detail")
    screen.code = "GF00101001"
    ui.wait(lambda: ui.screen.name == "guides.detail" and screen.item, timeout=15, what="the guide page")
    ui.frames(3)
    before = len(spooler.printed())
    press(ui, find_button(ui, "用A4纸打印完整办事指南"))
    ui.wait(lambda: screen.print_state == "printed", timeout=60, what="the guide printed")
    assert "已打印，请从A4打印机取走办事指南。" in ui.texts()
    pdf = spooler.printed()[-1]
    assert len(spooler.printed()) == before + 1
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "居民身份证首次申领" in text and "受理条件" in text

    spooler.set_fault("door-open")
    press(ui, find_button(ui, "用A4纸打印完整办事指南"))
    ui.wait(lambda: screen.print_state == "failed", timeout=60, what="the door-open message")
    assert any("A4打印机的舱门没有关好。" in t for t in ui.texts())
    spooler.repair()


def test_the_application_form_to_sign_on_a4(kiosk, hall, tmp_path):
    """An item signed on paper (its form asks for a signature): after submitting, the form with
    the filled fields and the signature drawn on the pad prints on A4, ID number and phone masked."""
    from testing.applying import choose, fill, hand_in, sign
    from screens.identify import ResidentIdentity
    ui, spooler, _ = kiosk
    ui.wait(lambda: ui.app.services.catalog.version is not None, timeout=60, what="catalogue copy")
    ui.app.session.data["identity"] = ResidentIdentity(NAME, ID_NUMBER, "idcard", "青山县人民路8号")
    open_tile(ui, "apply")
    press(ui, ui.screen.ids.start)
    ui.wait(lambda: ui.screen.name == "apply.item", timeout=15, what="the item list")
    listing = ui.screen.ids.list
    ui.wait(lambda: any(d["code"] == "GF00107001" for d in listing.data), timeout=15, what="居住证申领")
    ui.frames(3)
    from screens.apply import ApplyItemRow
    row = next(w for w in listing.walk(restrict=True) if isinstance(w, ApplyItemRow) and w.code == "GF00107001")
    press(ui, row)
    ui.wait(lambda: ui.screen.name == "apply.form", what="the form")
    fill(ui, "phone", "13912345678")
    fill(ui, "residence_address", "青山县人民路8号3栋201室")
    fill(ui, "living_since", "20200101")
    choose(ui, "basis", "job")
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "apply.materials", what="the materials")
    ui.frames(3)
    for key, how in (("m1", "id_card"), ("m3", "window"), ("m4", "window")):
        hand_in(ui, key, how)
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "apply.review", what="the review")
    ui.frames(3)
    sign(ui)
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "apply.done", timeout=30, what="submitted")
    ui.frames(3)
    done = ui.screen
    assert done.can_print_form
    before = len(spooler.printed())
    press(ui, done.ids.print_form)
    ui.wait(lambda: done.form_state == "printed", timeout=60, what="the form printed")
    assert "已打印，请在申请表上签字后交到服务窗口。" in ui.texts()
    assert len(spooler.printed()) == before + 1
    pdf = spooler.printed()[-1]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "居住证申领" in text and "申请表" in text and done.number in text
    assert "青山县人民路8号3栋201室" in text and "139****5678" in text and ID_MASKED in text
    assert ID_NUMBER not in text and "13912345678" not in text
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True).stdout
    assert len(images.splitlines()) >= 3  # the signature drawn on the pad
