"""The document camera driver through its real transport: the emulator's MJPEG-over-HTTP stream,
opened by cv2.VideoCapture, with every fault the emulator can make."""

import difflib
import re
import time

import cv2
import numpy as np
import pytest

from hardware.camera import (NO_PAGE, TOO_DARK, CameraError, CameraOffline, DocumentCamera, NoFrames, NoPage,
                             Source, TooDark, from_url)
from hardware.camera import scene
from hardware.model import Health, Status
from testing.ocr import needs_ocr, ocr


def similarity(expected: str, read: str) -> float:
    return difflib.SequenceMatcher(None, expected, read.replace("|", ""), autojunk=False).ratio()


def wait_for(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def previews(camera, seconds):
    """Every new preview over `seconds`, polled as a screen would (plus the first one)."""
    first = camera.next_preview(0, timeout=5)
    assert first is not None, "no preview within 5 s"
    got, deadline = [first], time.monotonic() + seconds
    while time.monotonic() < deadline:
        frame = camera.next_preview(got[-1].frame_id, timeout=2)
        assert frame is not None, f"previews stopped; status {camera.status}"
        got.append(frame)
    return got


def expected_outline(emulator, preview):
    """Where the emulator put the sheet, in the preview's pixels."""
    return scene.page_quad(emulator.size) * (preview.width / emulator.size[0])


# preview ----------------------------------------------------------------------------------

def test_previews_stream_with_the_sheets_outline(camera_emulator, camera):
    # how many a second is measured by bench/apply_camera.py, not asserted here
    got = previews(camera, 2.0)
    assert len(got) >= 3 and all(a.frame_id < b.frame_id for a, b in zip(got, got[1:]))
    last = got[-1]
    assert (last.width, last.height) == (640, 480) and len(last.rgb) == 640 * 480 * 3
    assert all(p.outline is not None and p.problem == "" for p in got)
    error = np.abs(np.array(last.outline) - expected_outline(camera_emulator, last)).max()
    assert error <= 6, f"outline {last.outline} is {error:.0f} px off"
    # the RGB bytes are the picture: the sheet (light) inside the outline, the desk (brown) outside
    picture = np.frombuffer(last.rgb, np.uint8).reshape(480, 640, 3)
    assert picture[240, 330].mean() > 150 and picture[240, 20, 0] > picture[240, 20, 2] + 30
    assert camera.counters["frames"] >= len(got)


def test_preview_never_blocks_and_gives_only_newer_frames(camera):
    latest = camera.next_preview(0, timeout=5)
    slowest = 0.0
    for _ in range(200):
        began = time.perf_counter()
        again = camera.preview(latest.frame_id)
        slowest = max(slowest, time.perf_counter() - began)
        assert again is None or again.frame_id > latest.frame_id
    assert slowest < 0.005, f"a preview() call took {slowest * 1000:.1f} ms"


def test_the_stream_closes_when_nobody_looks_and_keeps_no_picture(camera_emulator):
    device = DocumentCamera(camera_emulator.url, Source.stream(camera_emulator.url), keep_streaming=0.5)
    device.enable()
    try:
        assert device.next_preview(0, timeout=5) is not None
        assert wait_for(lambda: camera_emulator.streams == 1)
        assert wait_for(lambda: camera_emulator.streams == 0, timeout=5), "the stream stayed open"
        assert device.preview() is None  # asking again starts it: the old picture is gone
        assert device.next_preview(0, timeout=5) is not None
    finally:
        device.close()


# capture ----------------------------------------------------------------------------------

@needs_ocr
@pytest.mark.parametrize("number", range(1, len(scene.DOCUMENTS) + 1))
def test_capture_is_a_readable_a4_page_with_the_documents_text(camera_emulator, camera, number):
    camera_emulator.show(number)
    page = camera.capture()
    data = bytes(page.jpeg)
    assert 150_000 <= len(data) <= 450_000, f"{len(data)} bytes"
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[:2] == (page.height, page.width) and page.width >= 1240 and page.height >= 1754
    assert page.height / page.width == pytest.approx(297 / 210, rel=0.01)
    assert data[13] == 1 and int.from_bytes(data[14:16], "big") == page.dpi >= 150  # JFIF dots per inch
    text = ocr(data)
    document = scene.DOCUMENTS[number - 1]
    assert [k for k in document.keywords if k not in text] == [], text
    # character by character, OCR reads 94-99 % of the page right (another page: under 30 %)
    assert similarity(document.text, text) >= 0.85, text
    assert camera.counters["captures"] == 1
    page.wipe()
    assert len(page.jpeg) == 0


def test_capture_flattens_the_shadow_and_crops_the_desk(camera):
    page = camera.capture()
    grey = cv2.imdecode(np.frombuffer(bytes(page.jpeg), np.uint8), cv2.IMREAD_GRAYSCALE)
    # the photograph is 35 % darker bottom right with the arm's shadow; the page's paper is even
    corners = [grey[40:120, 40:120], grey[40:120, -120:-40], grey[-120:-40, 40:120], grey[-120:-40, -120:-40]]
    levels = [float(np.median(c)) for c in corners]
    assert min(levels) >= 235 and max(levels) - min(levels) <= 8, levels
    edges = np.concatenate([grey[:6].ravel(), grey[-6:].ravel(), grey[:, :6].ravel(), grey[:, -6:].ravel()])
    assert np.percentile(edges, 5) > 200, "desk left along the page's edge"


# faults -----------------------------------------------------------------------------------

def test_no_page_says_where_to_put_it_and_leaves_the_camera_ok(camera_emulator, camera):
    camera_emulator.show(None)
    assert wait_for(lambda: (p := camera.preview()) is not None and p.problem == NO_PAGE)
    assert camera.preview().outline is None
    with pytest.raises(NoPage) as caught:
        camera.capture()
    assert str(caught.value) == "no page found — place the page flat inside the frame"
    assert camera.status.health is Health.OK
    camera_emulator.show(2)
    assert wait_for(lambda: (p := camera.preview()) is not None and p.outline is not None)


def test_a_dark_picture_says_switch_the_light_on_and_warns(camera_emulator, camera):
    camera_emulator.set_dark()
    assert wait_for(lambda: (p := camera.preview()) is not None and p.problem == TOO_DARK)
    with pytest.raises(TooDark) as caught:
        camera.capture()
    assert str(caught.value) == "too dark — switch on the camera light / place the page"
    assert camera.status == Status(Health.WARNING, TOO_DARK)
    camera_emulator.set_dark(False)
    assert wait_for(lambda: camera.status.health is Health.OK and camera.preview().problem == "")


def test_unplugged_mid_preview_goes_offline_then_recovers_when_plugged_back(camera_emulator, camera):
    before = camera.next_preview(0, timeout=5)
    camera_emulator.unplug()
    assert wait_for(lambda: camera.status.health is Health.OFFLINE, timeout=3), camera.status
    assert "went away (unplugged?)" in camera.status.reason
    began = time.monotonic()
    with pytest.raises(CameraOffline, match="went away"):
        camera.capture()
    assert time.monotonic() - began < 2, "a capture waited on an unplugged camera"
    assert camera.counters["errors"] == 1  # one fault, however many reconnects it takes
    time.sleep(0.5)  # reconnect attempts meanwhile are refused
    camera_emulator.plug()
    after = camera.next_preview(before.frame_id, timeout=5)
    assert after is not None and after.outline is not None
    assert wait_for(lambda: camera.status.health is Health.OK), camera.status
    assert camera.capture().width == 1654


def test_a_frozen_camera_is_an_error_with_no_picture(camera_emulator, camera):
    before = camera.next_preview(0, timeout=5)
    camera_emulator.freeze()  # frames already on their way still arrive: then nothing for 2 s
    assert wait_for(lambda: camera.status.health is Health.ERROR, timeout=5), camera.status
    assert camera.status.reason == "the camera sends no picture (none for 2 s): unplug it and plug it in again"
    with pytest.raises(NoFrames, match=r"^the camera sends no picture \(none for 2 s\)"):
        camera.capture(timeout=5)
    camera_emulator.freeze(False)
    assert camera.next_preview(before.frame_id, timeout=8) is not None
    assert wait_for(lambda: camera.status.health is Health.OK), camera.status


def test_no_camera_at_all_is_offline_with_where_to_look():
    url = "http://127.0.0.1:9/stream.mjpg"  # discard port: nothing listens
    device = DocumentCamera(url, Source.stream(url), frame_timeout=1.0)
    device.open()  # a missing camera opens (its status says why): it may be plugged in later
    try:
        assert device.status == Status(Health.OFFLINE, f"no camera stream at {url}: check the camera and its cable")
        assert device.check_health().health is Health.OFFLINE
        with pytest.raises(CameraOffline):
            device.capture()
    finally:
        device.close()


def test_health_check_when_opened_but_not_enabled(camera_emulator):
    device = DocumentCamera(camera_emulator.url, Source.stream(camera_emulator.url))
    device.open()
    try:
        assert device.check_health() == device.status
        assert device.status.health is Health.OK and device.status.reason == "ready (2592x1944)"
        camera_emulator.set_dark()
        assert device.check_health().reason == TOO_DARK
        camera_emulator.set_dark(False)
        assert device.check_health().health is Health.OK
        assert re.fullmatch(r"captured a page: 1654x2339 px \(200 dpi\), \d{3} KB JPEG", device.self_test())
    finally:
        device.close()
    # the emulator sees a closed stream when its next frame fails to go out
    deadline = time.monotonic() + 5
    while camera_emulator.streams and time.monotonic() < deadline:
        time.sleep(0.05)
    assert camera_emulator.streams == 0


# URLs and the hub -------------------------------------------------------------------------

def test_urls():
    v4l2 = from_url("v4l2:///dev/video2?width=1920&height=1080&fps=30")
    assert (v4l2.source.target, v4l2.source.api, v4l2.source.width, v4l2.source.height, v4l2.source.fps) == \
        ("/dev/video2", cv2.CAP_V4L2, 1920, 1080, 30.0)
    assert from_url("v4l2:///dev/video0").source.width == 2592
    stream = from_url("http://10.0.0.7:8080/video.mjpg")
    assert (stream.source.target, stream.source.api) == ("http://10.0.0.7:8080/video.mjpg", cv2.CAP_FFMPEG)
    for bad, message in [("none:", "no document camera is configured"), ("usb:1", "unsupported document camera URL"),
                         ("v4l2:///dev/video0?fps=0", "fps must be a number from 1 to 60"),
                         ("sim:?page=9", "pages are numbered 1 to 5"), ("sim:?size=12", "WIDTHxHEIGHT")]:
        with pytest.raises(CameraError, match=message):
            from_url(bad)


def test_sim_url_starts_the_emulator_and_closing_stops_it(camera_font):
    device = from_url("sim:?page=application&size=1280x960", font=camera_font)
    try:
        assert device.emulator.document.key == "application" and device.emulator.size == (1280, 960)
        device.enable()
        frame = device.next_preview(0, timeout=5)
        assert frame is not None and frame.outline is not None
    finally:
        device.close()
    with pytest.raises(CameraError):
        DocumentCamera("x", Source.stream(device.emulator.url), frame_timeout=1.0).capture()


def test_the_hub_opens_enables_and_captures_through_the_devices_thread(camera_font):
    from kiosk.devices import DeviceHub
    with DeviceHub({"camera": "sim:?page=2"}, enable=True) as hub:
        assert hub.wait_open(20)
        assert hub.statuses()["camera"].health is Health.OK
        assert hub.check_all(5)["camera"].reason == "ready (2592x1944)"
        page = hub.call("camera", lambda camera: camera.capture(), 15)
        assert page.width == 1654
        described = hub.describe()["camera"]
        assert described["lifecycle"] == "enabled" and described["counters"]["captures"] == 1
