"""Pages and signatures for tests and benchmarks of materials: real JPEG and PNG files.

A page is a grey A4 sheet at 150 dpi with lines of "text" and sensor noise, about 250 KB as
a JPEG (what the camera's pages weigh). Encoding one takes ~50-300 ms, so `tagged` makes more
from one: the same picture with a comment in it, hence other bytes and another SHA-256.
Pillow is imported only to make pictures: a process that only tags them starts faster.
"""

import hashlib
import io
import random
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def page_jpeg(seed: int = 0, quality: int = 75) -> bytes:
    """The noise differs between calls (Pillow's own generator), the lines by `seed`."""
    from PIL import Image, ImageDraw
    rng = random.Random(seed)
    sheet = Image.effect_noise((1240, 1754), 3).point(lambda v: min(255, v + 107))
    draw = ImageDraw.Draw(sheet)
    for y in range(150, 1650, 36):
        x = 120
        while x < 1100:
            width = rng.randrange(20, 90)
            draw.rectangle((x, y, x + width, y + 18), fill=40)
            x += width + 14
    out = io.BytesIO()
    sheet.save(out, "JPEG", quality=quality)
    return out.getvalue()


def tagged(image: bytes, tag: str) -> bytes:
    """The same picture with `tag` in it, as other bytes: a JPEG's COM segment after its SOI
    marker, or a PNG's tEXt chunk after its IHDR."""
    text = tag.encode()
    if not image.startswith(PNG_SIGNATURE):
        return image[:2] + b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text + image[2:]
    chunk = b"tEXt" + b"Comment\0" + text
    after_header = len(PNG_SIGNATURE) + 25  # IHDR: length, type, 13 bytes, CRC
    return (image[:after_header] + struct.pack(">I", len(chunk) - 4) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + image[after_header:])


def signature_png(seed: int = 0) -> bytes:
    from PIL import Image, ImageDraw
    rng = random.Random(seed)
    pad = Image.new("L", (600, 200), 255)
    draw = ImageDraw.Draw(pad)
    points = [(40 + 520 * i / 30, 100 + rng.gauss(0, 30)) for i in range(31)]
    draw.line(points, fill=0, width=4, joint="curve")
    out = io.BytesIO()
    pad.save(out, "PNG")
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ref(data: bytes) -> dict:
    """What an application's body names a file by (docs/hall-api.md)."""
    kind = "image/png" if data.startswith(PNG_SIGNATURE) else "image/jpeg"
    return {"sha256": sha256(data), "size": len(data), "type": kind}


def application_files(pages: list[bytes], signature: bytes, k: int) -> tuple[list[bytes], bytes]:
    """Application number `k` of a test: 2 or 3 of `pages` and the `signature`, each tagged
    with `k` (so each has its own bytes); the same bytes in every process."""
    return ([tagged(page, f"application {k} page {i + 1}") for i, page in enumerate(pages[:2 + k % 2])],
            tagged(signature, f"application {k}"))
