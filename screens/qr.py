"""A QR code as a Kivy widget: ``QRCodeImage(data="https://...")``.

The symbol is built with `qrcode` and uploaded as a texture of one texel per module,
scaled up with nearest-neighbour filtering so the edges stay sharp at any size.
Building a symbol takes a millisecond or two, so it happens on the UI thread.
"""

from __future__ import annotations

import qrcode
from kivy.graphics.texture import Texture
from kivy.properties import StringProperty
from kivy.uix.image import Image

QUIET_ZONE = 4  # modules of white around the symbol, as the QR standard asks


def qr_matrix(data: str) -> list[list[bool]]:
    code = qrcode.QRCode(border=QUIET_ZONE, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    return code.get_matrix()


def qr_texture(data: str) -> Texture:
    matrix = qr_matrix(data)
    size = len(matrix)
    # Texture rows go bottom-up, so the matrix is flipped while packing.
    pixels = bytes(0 if dark else 255 for row in reversed(matrix) for dark in row)
    texture = Texture.create(size=(size, size), colorfmt="luminance")
    texture.blit_buffer(pixels, colorfmt="luminance", bufferfmt="ubyte")
    texture.mag_filter = texture.min_filter = "nearest"
    return texture


class QRCodeImage(Image):
    data = StringProperty("")

    def __init__(self, **kwargs):
        kwargs.setdefault("fit_mode", "contain")
        super().__init__(**kwargs)
        self.on_data(self, self.data)

    def on_data(self, _widget, data: str) -> None:
        self.texture = qr_texture(data) if data else None
        self.opacity = 1 if data else 0
