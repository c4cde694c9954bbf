"""Read what the window shows, as a Pillow image (for `kiosk screenshot` and tests)."""

from __future__ import annotations

from PIL import Image


def window_image() -> Image.Image:
    from kivy.core.window import Window
    from kivy.graphics.opengl import GL_RGBA, GL_UNSIGNED_BYTE, glReadPixels

    width, height = Window.size
    data = glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE)
    image = Image.frombytes("RGBA", (width, height), data)
    return image.transpose(Image.Transpose.FLIP_TOP_BOTTOM).convert("RGB")
