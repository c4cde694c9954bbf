"""Privacy across the whole app: a resident identified by ID card fills in an application up to
its review (its form, a page photographed with the document camera, a signature), then the session ends by "finish", by taking the card away, or by the idle
timeout. Afterwards the name, ID number, address and phone are in no widget on any screen or
on the window, in no log record, in no file under the state directory, and the identity
object the screens held is blanked; the page's bytes and the signature are zeroed, and no
thumbnail, preview or signature stroke is left on a screen."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
from testing.applying import choose, field, fill, hand_in, sign
from testing.gui import HallProcess, device, every_text, hall_settings, open_tile, press

pytestmark = pytest.mark.gui
NAME, ID_NUMBER = "张晓明", "430102199003075518"  # the seed card "mainland" (fictional)
ADDRESS_PART = "五一大道100号"  # in the card's address (a place name alone is in the pinyin dictionary)
PHONE = "13987654321"


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("privacy-hall")
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log").start()
    yield process
    process.stop()


def fill_an_application_up_to_review(ui):
    import screens.identify as identify_module
    ui.wait(lambda: ui.app.services.catalog.version is not None, timeout=30, what="the catalogue")
    reader = device(ui, "idcard")
    reader.emulator.place("mainland")
    ui.wait(lambda: ui.screen.name == "home", timeout=10, what="home, identified")
    identity = identify_module.current_identity()
    open_tile(ui, "apply")
    press(ui, ui.screen.ids.start)
    ui.wait(lambda: ui.screen.name == "apply.item" and bool(ui.screen.ids.list.data), timeout=20,
            what="the online items")
    ui.screen.choose("GF00208001")  # 就业登记: the ID card and an employment contract
    ui.wait(lambda: ui.screen.name == "apply.form", what="the form")
    assert ADDRESS_PART in field(ui, "address").value, "prefilled from the card"
    choose(ui, "employment", "self")
    fill(ui, "start_date", "20240301")
    fill(ui, "phone", PHONE)
    fill(ui, "notes", f"申请人{NAME}")
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "apply.materials", what="the materials")
    hand_in(ui, "m1", "id_card")
    hand_in(ui, "m2", "camera")
    ui.wait(lambda: ui.screen.name == "apply.camera" and ui.screen.ids.preview.found, timeout=15,
            what="the camera's picture")
    press(ui, ui.screen.ids.take)
    ui.wait(lambda: len(ui.screen.ids.thumbs.children) == 1 and not ui.screen.busy, timeout=20, what="the page")
    press(ui, ui.screen.ids.done)
    ui.wait(lambda: ui.screen.name == "apply.materials", what="the materials")
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "apply.review", what="the review")
    ui.frames(3)
    sign(ui)
    shown = " ".join(ui.texts())
    assert "4301**********5518" in shown and ID_NUMBER not in shown and PHONE not in shown
    from screens.apply import application_files
    return reader, identity, application_files()


def end_by_finish(ui, _reader):
    ui.app.go_home()
    ui.wait(lambda: ui.screen.name == "home" and not ui.app.manager.transition.is_active)
    from testing.driver import find_button
    press(ui, find_button(ui, "结束办理并清除我的信息"))


def end_by_card_removal(_ui, reader):
    reader.emulator.remove()


def end_by_idle_timeout(ui, _reader):
    ui.app.idle.show_warning()
    ui.frames(2)
    ui.app.idle.warning_started -= ui.app.settings.ui.idle_warning  # the countdown has run out


@pytest.mark.parametrize("end, reason", [(end_by_finish, "finished"), (end_by_card_removal, "card removed"),
                                         (end_by_idle_timeout, "idle")])
def test_nothing_personal_is_left_after_the_session_ends(ui, hall, caplog, end, reason):
    caplog.set_level(logging.DEBUG)
    ui.app.apply_settings(hall_settings(hall.url, card="none:"))
    reader, identity, files = fill_an_application_up_to_review(ui)
    [page] = files.of("m2")
    jpeg, signature = page.jpeg, files.signature  # the very buffers the session held
    try:
        end(ui, reader)
        ui.wait(lambda: ui.screen.name == "attract", timeout=10, what="the attract screen")
        assert ui.app.session.ended_by == reason and ui.app.session.data == {}
        assert (identity.name, identity.id_number, identity.address) == ("", "", ""), "blanked in memory"
        assert len(jpeg) == 0 and not any(signature) and files.count() == 0, "pages and signature wiped"
        assert ui.app.screen("apply.camera").ids.thumbs.children == []
        assert not ui.app.screen("apply.camera").ids.preview.running
        assert ui.app.screen("apply.review").ids.pad.strokes == []
        ui.frames(3)
        secrets = (NAME, ID_NUMBER, ADDRESS_PART, PHONE, "4301**********5518", "张*明", "139****4321")
        shown = every_text(ui)
        assert [s for s in secrets if s in shown] == []
        logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
        assert [s for s in secrets[:4] if s in logged] == []
        time.sleep(0.2)  # anything written on a worker has landed
        for path in Path(ui.app.settings.state_dir()).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert [s for s in secrets[:4] if s.encode() in data] == [], path
    finally:
        reader.emulator.remove()
