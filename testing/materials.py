"""Pages and signatures for tests and benchmarks of materials: real JPEG and PNG files.

A page is a grey A4 sheet at 150 dpi with lines of "text" and sensor noise, about 250 KB as
a JPEG (what the camera's pages weigh). Encoding one takes ~50 ms, so `tagged` makes more
from one: the same picture with a JPEG comment, hence other bytes and another SHA-256.
"""

import hashlib
import io
import random
import struct

from PIL import Image, ImageDraw


def page_jpeg(seed: int = 0, quality: int = 75) -> bytes:
    """The noise differs on every call (Pillow's own generator), the lines by `seed`."""
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


def tagged(jpeg: bytes, tag: str) -> bytes:
    """`jpeg` with a COM segment holding `tag` after its SOI marker: the same picture, other bytes."""
    text = tag.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text + jpeg[2:]


def signature_png(seed: int = 0) -> bytes:
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
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return {"sha256": sha256(data), "size": len(data), "type": kind}
