"""An application with its own form, materials and a signature, on the real app against a running
hall: the ID card from the emulated reader counts as the 居民身份证 material; a two-page employment
contract is photographed with the sim: document camera; the resident signs on the pad. The hall
then holds the pages (JPEG, and OCR finds the emulated pages' text), the signature (PNG) and the
form with the item's own fields. Also: required materials block Next with a plain message, camera
faults say what to do, pages can be retaken and removed, at most 20 pages, and the pages and the
signature are gone from memory and screens when the session ends."""

from __future__ import annotations

import os
import sqlite3
import json

import cv2
import numpy as np
import pytest

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
from hardware.camera import scene
from testing.applying import choose, field, fill, hand_in, material_row, sign
from testing.fleet import OPERATOR, Operator
from testing.gui import (HallProcess, assert_elderly_sizes, assert_readable, attach_printer, detach_printer,
                         device, every_text, hall_settings, open_tile, press)
from testing.ocr import needs_ocr, ocr

pytestmark = pytest.mark.gui
ITEM_CODE, ITEM_NAME = "GF00208001", "就业登记"  # ID card (m1) and an employment contract (m2), both required
ADDRESS = "湖南省长沙市芙蓉区五一大道100号演示小区3栋2单元501室"
PHONE = "13912345678"
LEASE = [d for d in scene.DOCUMENTS if d.key.startswith("lease")]  # the sim: camera's two-page document


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("apply-materials-hall")
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log",
                          args=["--operator", f"{OPERATOR[0]}:{OPERATOR[1]}"]).start()
    process.db = folder / "hall.sqlite3"
    yield process
    process.stop()


@pytest.fixture
def devices(ui, hall):
    """ID card reader, printer and document camera on their emulators, the hall's catalogue."""
    ui.app.apply_settings(hall_settings(hall.url, card="none:", scanner="none:"))
    ui.wait(lambda: ui.app.services.catalog.version is not None, timeout=30, what="the catalogue")
    printer = attach_printer(ui, timeout=40)
    reader = device(ui, "idcard", timeout=40)
    camera = device(ui, "camera", timeout=40)
    yield reader, camera, printer
    reader.emulator.remove()
    camera.emulator.clear()
    camera.emulator.show(1)
    detach_printer(ui, printer)


def to_form(ui, reader) -> None:
    open_tile(ui, "apply")
    press(ui, ui.screen.ids.start)
    ui.wait(lambda: ui.screen.name == "identify", what="the identify screen")
    reader.emulator.place("mainland")
    ui.wait(lambda: ui.screen.name == "apply.item", timeout=20, what="the item list after the card")
    ui.wait(lambda: any(d["code"] == ITEM_CODE for d in ui.screen.ids.list.data), timeout=15, what="the item")
    ui.screen.choose(ITEM_CODE)  # choosing from the list is test_apply's; this test is about what follows
    ui.wait(lambda: ui.screen.name == "apply.form", what="the form")
    ui.frames(3)


def fill_form(ui) -> None:
    choose(ui, "employment", "employed")
    fill(ui, "employer", "长沙市芙蓉区政务服务中心")
    fill(ui, "start_date", "20240301")
    fill(ui, "phone", PHONE)
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "apply.materials", what="the materials")
    ui.frames(3)


def photograph(ui, camera, *pages) -> None:
    """On the camera screen: put each page under the camera and take it."""
    screen = ui.screen
    for page in pages:
        camera.emulator.show(page)
        before = camera.counters.get("captures", 0)
        ui.wait(lambda: screen.ids.preview.found, timeout=10, what="the page outline")
        press(ui, screen.ids.take)
        ui.wait(lambda: not screen.busy, timeout=20, what="the photo")
        assert camera.counters.get("captures", 0) == before + 1, screen.status
    ui.wait(lambda: all(c.ids.thumb.picture is not None for c in screen.ids.thumbs.children), timeout=10,
            what="the thumbnails")
    ui.frames(2)


def test_apply_with_own_fields_id_card_photographed_pages_and_a_signature(ui, devices, hall):
    reader, camera, printer = devices
    to_form(ui, reader)
    keys = [w.field["key"] for w in ui.screen.widgets()]
    assert keys == ["employment", "employer", "start_date", "phone", "address", "notes"], "the item's own form"
    assert field(ui, "address").value == ADDRESS, "prefilled from the ID card"
    texts = ui.texts()
    assert "就业形式 *" in texts and "就业日期 *" in texts and "单位就业" in " ".join(texts)
    assert_readable(ui)
    fill_form(ui)
    assert [r.material["key"] for r in reversed(ui.screen.ids.materials.children)] == ["m1", "m2"]
    hand_in(ui, "m1", "id_card")
    assert material_row(ui, "m1").how == "id_card"
    hand_in(ui, "m2", "camera")
    ui.wait(lambda: ui.screen.name == "apply.camera", what="the camera screen")
    photograph(ui, camera, LEASE[0].key, LEASE[1].key)
    assert len(ui.screen.ids.thumbs.children) == 2
    assert_readable(ui)
    press(ui, ui.screen.ids.done)
    ui.wait(lambda: ui.screen.name == "apply.materials", what="back to the materials")
    assert material_row(ui, "m2").pages == 2 and "已拍摄 2 页" in ui.texts()
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "apply.review", what="the review")
    ui.frames(3)
    texts = ui.texts()
    assert "就业形式: 单位就业" in texts and "就业日期: 2024-03-01" in texts
    assert "劳动合同或营业执照: 已拍摄 2 页" in texts
    press(ui, ui.screen.ids.submit)  # not signed yet
    assert ui.screen.name == "apply.review" and ui.screen.ids.problem.text == "请在框内签名，然后点“确认签名”。"
    sign(ui)
    assert_readable(ui)
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "apply.done", timeout=30, what="the receipt screen")
    number = ui.screen.number
    assert number.startswith("SB"), number

    with sqlite3.connect(hall.db) as db:
        form, version, materials = db.execute(
            "SELECT form, form_version, materials FROM applications WHERE number = ?", (number,)).fetchone()
    form, materials = json.loads(form), json.loads(materials)
    assert form["employment"] == "employed" and form["start_date"] == "2024-03-01" and form["phone"] == PHONE
    assert form["employer"] == "长沙市芙蓉区政务服务中心" and form["address"] == ADDRESS
    assert version and [(m["key"], m["how"], len(m.get("pages") or [])) for m in materials] == \
        [("m1", "id_card", 0), ("m2", "camera", 2)]
    clerk = Operator(hall.url)
    files = clerk.get(f"/console/applications/{number}/materials").json()["files"]
    assert [(f["material"], f["page"], f["type"]) for f in files] == [
        ("m2", 0, "image/jpeg"), ("m2", 1, "image/jpeg"), (None, None, "image/png")]
    stored = [clerk.get(f["url"]).content for f in files]
    for data, document in zip(stored[:2], LEASE):
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and image.shape[0] >= 1754 and image.shape[1] >= 1240, "an A4 page at >= 150 dpi"
        if needs_ocr.args[0]:  # no tesseract here (outside CI): the rest is checked
            continue
        text = ocr(data)
        assert [k for k in document.keywords if k not in text] == [], text
    signature = cv2.imdecode(np.frombuffer(stored[2], np.uint8), cv2.IMREAD_GRAYSCALE)
    assert stored[2][:8] == b"\x89PNG\r\n\x1a\n" and (signature < 128).sum() > 500, "ink on the signature"
    # the receipt; then the session's end leaves nothing of the pages
    assert printer.emulator.wait_for_jobs(1, timeout=15)
    assert number in printer.emulator.jobs[-1].text
    ui.app.end_session("test done")
    ui.frames(3)
    from screens.apply import SESSION_FILES
    assert SESSION_FILES not in ui.app.session.data
    assert len(ui.app.screen("apply.camera").ids.thumbs.children) == 0
    assert ui.app.screen("apply.review").ids.pad.strokes == []


# the parts, from a filled form on ---------------------------------------------------------------
def at_materials(ui) -> None:
    """The resident identified by card, the item's form filled (as the test above leaves it)."""
    from screens.flow import flow_data
    from screens.identify import ResidentIdentity
    ui.app.session.data["identity"] = ResidentIdentity("张晓明", "430102199003075518", "idcard", ADDRESS)
    item = ui.app.services.catalog.item(ITEM_CODE)
    flow_data("apply").update(item={"code": ITEM_CODE, "name": item["name"], "limit": 0, "form": item["form"]},
                              form={"employment": "self", "start_date": "2024-03-01", "phone": PHONE,
                                    "address": ADDRESS})
    ui.app.show("apply.materials")
    ui.wait(lambda: ui.screen.name == "apply.materials", what="the materials")
    ui.frames(3)


def to_camera(ui, key="m2") -> None:
    hand_in(ui, key, "camera")
    ui.wait(lambda: ui.screen.name == "apply.camera", what="the camera screen")
    ui.wait(lambda: ui.screen.ids.preview.found, timeout=10, what="the page outline")


def test_required_materials_block_next_with_a_plain_message(ui, devices):
    at_materials(ui)
    press(ui, ui.screen.ids.next)
    assert ui.screen.name == "apply.materials"
    assert ui.screen.problem == "请提交所有标 * 的材料：居民身份证、劳动合同或营业执照。"
    hand_in(ui, "m1", "id_card")
    press(ui, ui.screen.ids.next)
    assert ui.screen.name == "apply.materials" and ui.screen.problem == "请提交所有标 * 的材料：劳动合同或营业执照。"
    to_camera(ui)
    press(ui, ui.screen.ids.done)  # nothing photographed: not handed in
    ui.wait(lambda: ui.screen.name == "apply.materials", what="back to the materials")
    assert material_row(ui, "m2").how == ""
    press(ui, ui.screen.ids.next)
    assert ui.screen.problem == "请提交所有标 * 的材料：劳动合同或营业执照。"
    assert material_row(ui, "m2").ids.window.disabled, "the contract is only accepted photographed"
    assert_readable(ui)


def test_pages_are_retaken_and_removed(ui, devices):
    _reader, camera, _printer = devices
    from screens.apply import application_files
    at_materials(ui)
    to_camera(ui)
    photograph(ui, camera, LEASE[0].key, LEASE[1].key)
    first, second = (bytes(p.jpeg) for p in application_files().of("m2"))
    cells = {c.index: c for c in ui.screen.ids.thumbs.children}
    press(ui, cells[0].ids.retake_button)
    assert ui.screen.retaking == 0 and ui.screen.ids.take.text == "重拍第 1 页"
    photograph(ui, camera, "hukou")
    pages = application_files().of("m2")
    assert len(pages) == 2 and bytes(pages[0].jpeg) != first and bytes(pages[1].jpeg) == second
    cells = {c.index: c for c in ui.screen.ids.thumbs.children}
    press(ui, cells[1].ids.remove_button)
    ui.frames(3)
    assert [bytes(p.jpeg) for p in application_files().of("m2")] == [bytes(pages[0].jpeg)]
    assert len(ui.screen.ids.thumbs.children) == 1 and "已拍 1 页，本次申请最多 20 页" in ui.texts()
    assert_readable(ui)


def test_at_most_twenty_pages(ui, devices):
    _reader, camera, _printer = devices
    from hardware.camera.page import Page
    from screens.apply import application_files
    from testing.materials import page_jpeg
    at_materials(ui)
    files = application_files()
    for _ in range(20):
        files.add("m2", Page(bytearray(page_jpeg(1)), 1240, 1754, 150, 75))
    to_camera(ui)
    before = camera.counters.get("captures", 0)
    press(ui, ui.screen.ids.take)
    ui.frames(3)
    assert "一次申请最多 20 页。请先删除一页再拍。" in ui.texts()
    assert camera.counters.get("captures", 0) == before and files.count() == 20
    press(ui, next(c for c in ui.screen.ids.thumbs.children if c.index == 0).ids.remove_button)
    photograph(ui, camera, LEASE[0].key)
    assert files.count() == 20


@pytest.mark.parametrize("fault,words", [
    ("dark", "画面太暗。请打开高拍仪的灯后重试。"),
    ("no page", "没有找到纸张。请把材料平放在画面内再试。"),
    ("unplug", "高拍仪未连接。您可以改为把这份材料带到服务窗口。"),
])
def test_camera_faults_say_what_to_do(ui, devices, fault, words):
    _reader, camera, _printer = devices
    from screens.apply import application_files
    at_materials(ui)
    hand_in(ui, "m1", "id_card")
    to_camera(ui)
    preview = ui.screen.ids.preview
    {"dark": lambda: camera.emulator.set_dark(True), "no page": lambda: camera.emulator.show(None),
     "unplug": camera.emulator.unplug}[fault]()
    if fault != "unplug":  # the preview says so as it happens
        ui.wait(lambda: not preview.found and words in ui.texts(), timeout=10, what=f"the preview's {fault}")
    press(ui, ui.screen.ids.take)
    ui.wait(lambda: not ui.screen.busy, timeout=30, what="the capture to fail")
    assert words in ui.texts(), ui.texts()
    assert application_files().of("m2") == []
    assert_readable(ui)
    camera.emulator.clear()
    camera.emulator.show(LEASE[0].key)
    if fault == "unplug":
        camera.emulator.plug()
    ui.wait(lambda: preview.found, timeout=30, what="the picture back")
    photograph(ui, camera, LEASE[0].key)  # retake works once the fault is gone
    assert len(application_files().of("m2")) == 1


def test_a_frozen_camera_says_no_picture_and_offers_the_window(ui, devices):
    _reader, camera, _printer = devices
    at_materials(ui)
    to_camera(ui)
    camera.emulator.freeze()
    ui.wait(lambda: "高拍仪没有画面。请重试，或把这份材料带到服务窗口。" in ui.texts(), timeout=15,
            what="no picture")
    camera.emulator.freeze(False)
    # the contract accepts only photographs: bringing it instead is refused by the definition
    press(ui, ui.screen.ids.bring)
    ui.wait(lambda: ui.screen.name == "apply.materials", what="the materials")


def test_english_and_elderly_mode_on_the_camera_and_materials(ui, devices):
    _reader, camera, _printer = devices
    ui.app.lang, ui.app.elderly = "en", True
    at_materials(ui)
    assert "Employment contract or business licence (electronic copy) *" in ui.texts()
    assert_readable(ui)
    assert_elderly_sizes(ui)
    to_camera(ui)
    photograph(ui, camera, LEASE[0].key)
    assert "Pages: 1 of at most 20 in this application" in ui.texts()
    assert_readable(ui)
    assert_elderly_sizes(ui)


def test_strokes_are_smoothed_and_the_png_has_ink(ui):
    import io

    from PIL import Image

    from screens.signature import PNG_SIZE, SignaturePad, smooth
    corner = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]
    cut = smooth(corner, rounds=1)
    assert cut[0] == corner[0] and cut[-1] == corner[-1] and (1.0, 0.0) not in cut and len(cut) == 6
    pad = SignaturePad()
    pad.strokes = [[(0.1, 0.5), (0.5, 0.9), (0.9, 0.5)]]
    image = Image.open(io.BytesIO(pad.png()))
    assert image.size == PNG_SIZE and image.getextrema()[0] == 0, "dark ink on white"
