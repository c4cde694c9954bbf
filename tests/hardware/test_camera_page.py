"""Page processing on its own: finding the sheet, the A4 warp, flattening and the JPEG's size."""

import cv2
import numpy as np
import pytest

from hardware.camera import page as pages
from hardware.camera import scene

SIZE = (2592, 1944)


@pytest.fixture(scope="module")
def photo(camera_font):
    return scene.with_noise(scene.photograph(scene.DOCUMENTS[2], SIZE, camera_font), seed=1)


def grey(image):
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def test_the_sheet_is_found_where_it_lies_at_preview_and_capture_widths(photo):
    truth = scene.page_quad(SIZE)
    # make_page pulls the corners in by INSET, 13 px of this picture at the corners: that covers these
    inset = np.linalg.norm(truth - truth.mean(axis=0), axis=1).min() * pages.INSET
    assert inset > 10
    for width, tolerance in [(640, 10), (1296, 6)]:
        corners = pages.find_page(grey(photo), width)
        assert corners is not None
        assert np.abs(corners - truth).max() <= tolerance, (width, corners, truth)


def test_an_empty_desk_a_dark_frame_and_a_sheet_cut_off_have_no_page(photo, camera_font):
    desk = scene.with_noise(scene.photograph(None, SIZE), seed=1)
    assert pages.find_page(grey(desk)) is None
    dark = grey(scene.with_noise(scene.photograph(scene.DOCUMENTS[0], SIZE, camera_font, dark=True), seed=1))
    assert pages.brightness(dark) < pages.DARK <= pages.brightness(grey(photo))
    # half the sheet out of the picture is not a sheet to warp
    assert pages.find_page(grey(photo)[:, : SIZE[0] // 2]) is None


def test_corners_are_ordered_clockwise_from_top_left():
    shuffled = np.array([[900, 50], [100, 800], [120, 40], [880, 820]], np.float32)
    assert pages.order_corners(shuffled).tolist() == [[120, 40], [900, 50], [880, 820], [100, 800]]


def test_a4_upright_or_lying_as_the_sheet_lies():
    upright = np.array([[0, 0], [700, 0], [700, 990], [0, 990]], np.float32)
    lying = np.array([[0, 0], [990, 0], [990, 700], [0, 700]], np.float32)
    assert pages.page_size(upright) == (1654, 2339)
    assert pages.page_size(lying) == (2339, 1654)
    assert pages.page_size(upright, dpi=150) == (1240, 1754)


def test_flatten_whitens_uneven_paper_and_keeps_ink_and_red(photo):
    h, w = 600, 400
    lit = np.linspace(1.0, 0.55, w, dtype=np.float32)[None, :, None]  # a strong shadow across
    paper = np.full((h, w, 3), 235, np.float32)
    paper[280:320, 50:350] = (30, 30, 30)        # a line of ink (BGR)
    paper[100:140, 50:350] = (40, 40, 200)       # a red stamp
    flat = pages.flatten((paper * lit).astype(np.uint8))
    assert flat[20:80].min() >= 250                              # paper white from bright to shadowed
    assert flat[290:310, 60:340].max() <= 80                     # ink still dark, in the shadow too
    red = flat[110:130, 60:340].reshape(-1, 3)
    assert (red[:, 2] > 200).all() and (red[:, 0] < 120).all()   # red stays red


def test_jpeg_quality_is_picked_to_land_in_the_target_size_and_says_its_dpi(photo):
    corners = pages.find_page(grey(photo), 1296)
    page = pages.make_page(photo, corners)
    low, high = pages.TARGET_BYTES
    assert low <= len(page.jpeg) <= high and 45 <= page.quality <= 95
    assert (page.width, page.height, page.dpi) == (1654, 2339, 200)
    assert page.jpeg[6:11] == b"JFIF\0" and page.jpeg[13] == 1 and page.jpeg[14:18] == bytes([0, 200, 0, 200])
    # a busy page (noise everywhere) comes down in quality; a blank one goes up to the top
    rng = np.random.default_rng(0)
    busy = rng.integers(0, 256, (2339, 1654, 3), dtype=np.uint8)
    jpeg, quality = pages.encode(busy, 200)
    assert quality < pages.QUALITY and len(jpeg) < len(pages._jpeg(busy, pages.QUALITY))
    blank = np.full((2339, 1654, 3), 255, np.uint8)
    assert pages.encode(blank, 200)[1] == 95


def test_wipe_leaves_no_picture():
    page = pages.Page(bytearray(b"\xff\xd8secret\xff\xd9"), 1, 1, 200, 85)
    page.wipe()
    assert page.jpeg == bytearray()
