"""A photographed sheet made into a page a clerk can read (OpenCV and numpy only).

`find_page` finds the sheet's four corners in a (small) grey picture; `make_page`
warps the sheet to an upright A4 rectangle (deskew and perspective), flattens the
lighting (shadows and the lamp's fall-off go, the paper turns white) and encodes a
JPEG whose quality is picked so a page lands in `TARGET_BYTES`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

A4_MM = (210, 297)
DPI = 200                        # 1654x2339 px: above the 150 dpi (1240x1754) a clerk needs
TARGET_BYTES = (200_000, 400_000)
QUALITY = 85                     # the JPEG quality tried first (see `encode`)
DARK = 40                        # mean grey level (0-255) below which a picture is too dark
INSET = 0.012                    # of the way to the centre: 1.3 mm in from A4's long edges, 1.8 mm from its short ones
DETECT_WIDTH = 640               # outlines are found on a picture this wide (or narrower)

Corners = tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]


@dataclass
class Page:
    """One processed page: JPEG bytes (a bytearray, so `wipe` can clear them) and its size."""

    jpeg: bytearray
    width: int
    height: int
    dpi: int
    quality: int

    def wipe(self) -> None:
        self.jpeg[:] = bytes(len(self.jpeg))
        self.jpeg.clear()


def brightness(grey: np.ndarray) -> float:
    return float(cv2.mean(grey)[0])


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left."""
    points = points.reshape(4, 2).astype(np.float32)
    total, diff = points.sum(axis=1), np.diff(points, axis=1).ravel()
    return np.array([points[np.argmin(total)], points[np.argmin(diff)],
                     points[np.argmax(total)], points[np.argmax(diff)]], dtype=np.float32)


def _plausible_sheet(quad: np.ndarray, frame_area: float) -> bool:
    """A sheet covers 15-97 % of the picture, has a paper-like aspect and near-right angles."""
    area = cv2.contourArea(quad)
    if not 0.15 * frame_area <= area <= 0.97 * frame_area or not cv2.isContourConvex(quad.astype(np.int32)):
        return False
    tl, tr, br, bl = quad
    widths = np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)
    heights = np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)
    aspect = max(widths, heights) / max(1.0, min(widths, heights))
    if not 1.15 <= aspect <= 1.75:  # A4 is 1.41; perspective bends it a little
        return False
    for i in range(4):
        a, b, c = quad[i - 1], quad[i], quad[(i + 1) % 4]
        u, v = a - b, c - b
        cos = float(np.dot(u, v) / max(1e-6, np.linalg.norm(u) * np.linalg.norm(v)))
        if abs(cos) > 0.5:  # each corner between 60 and 120 degrees
            return False
    return True


def _quads(mask: np.ndarray):
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        hull = cv2.convexHull(contour)
        quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(quad) == 4:
            yield order_corners(quad)


def find_page(grey: np.ndarray, width: int = DETECT_WIDTH) -> np.ndarray | None:
    """The sheet's corners (4x2 float32, TL TR BR BL, in `grey`'s pixels), or None.

    Tries the bright blob (paper on a darker desk, split by Otsu) first, then edges
    (a sheet on a light desk). Pictures wider than `width` are searched scaled down.
    """
    scale = min(1.0, width / grey.shape[1])
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    small = cv2.GaussianBlur(small, (5, 5), 0)
    area = float(small.shape[0] * small.shape[1])
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
    _, bright = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, kernel)
    edges = cv2.dilate(cv2.Canny(small, 40, 120), kernel)
    for mask in (bright, edges):
        for quad in _quads(mask):
            if _plausible_sheet(quad, area):
                return quad / scale
    return None


def page_size(corners: np.ndarray, dpi: int = DPI) -> tuple[int, int]:
    """A4 at `dpi`, upright or lying as the sheet lies in the picture."""
    tl, tr, br, bl = corners
    wide = np.linalg.norm(tr - tl) + np.linalg.norm(br - bl) > np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)
    short, long = (round(mm / 25.4 * dpi) for mm in A4_MM)
    return (long, short) if wide else (short, long)


def flatten(image: np.ndarray) -> np.ndarray:
    """Divide out the lighting: paper turns white, ink stays dark, stamps keep their colour.

    The background is the picture with the ink dilated away, taken at 1/8 size and blurred
    (shadows and the lamp's fall-off are smooth). Paper above 88 % of its background is
    clipped to white, which also removes the sensor noise on it.
    """
    h, w = image.shape[:2]
    small = cv2.resize(image, (w // 8, h // 8), interpolation=cv2.INTER_AREA)
    small = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    small = cv2.GaussianBlur(small, (0, 0), 6)
    background = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    ratio = cv2.divide(image, background, scale=255.0 / 0.88, dtype=cv2.CV_8U)
    return cv2.convertScaleAbs(ratio, alpha=255 / (255 - 40), beta=-40 * 255 / (255 - 40))


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()


def encode(image: np.ndarray, dpi: int) -> tuple[bytearray, int]:
    """JPEG bytes and the quality picked: from 85 down in tens while over TARGET_BYTES, then up
    in fives while under it (a nearly empty page stays small even at 95)."""
    low, high = TARGET_BYTES
    quality, data = QUALITY, _jpeg(image, QUALITY)
    while len(data) > high and quality > 45:
        quality -= 10
        data = _jpeg(image, quality)
    while len(data) < low and quality < 95:
        quality += 5
        data = _jpeg(image, quality)
    jpeg = bytearray(data)
    _set_density(jpeg, dpi)
    return jpeg, quality


def _set_density(jpeg: bytearray, dpi: int) -> None:
    """Write `dpi` into the JFIF header (libjpeg leaves 1:1, no unit), so a print comes out A4."""
    if jpeg[6:11] == b"JFIF\0":
        jpeg[13] = 1  # dots per inch
        jpeg[14:18] = dpi.to_bytes(2, "big") * 2


def make_page(image: np.ndarray, corners: np.ndarray, dpi: int = DPI) -> Page:
    """The sheet at `corners` (in `image`'s pixels, TL TR BR BL) as an upright, flat A4 page.

    The corners are pulled in by INSET first: an outline found a few pixels outside the
    sheet would otherwise leave a dark line of desk along the page's edges.
    """
    corners = corners + (corners.mean(axis=0) - corners) * INSET
    width, height = page_size(corners, dpi)
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    warp = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    sheet = cv2.warpPerspective(image, warp, (width, height), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
    jpeg, quality = encode(flatten(sheet), dpi)
    return Page(jpeg, width, height, dpi, quality)
