"""The signature pad: the resident signs with a finger; strokes are smoothed (Chaikin's corner
cutting) as they are drawn, and the confirmed signature is a PNG drawn from the same strokes
(Pillow, off the canvas, so it does not depend on the screen's size or GL read-back)."""

from __future__ import annotations

import io

from kivy.graphics import Color, Line
from kivy.properties import BooleanProperty, NumericProperty
from kivy.uix.widget import Widget

PNG_SIZE = (800, 300)
MIN_POINTS = 12  # fewer points in all is a tap, not a signature


def smooth(points: list[tuple[float, float]], rounds: int = 2) -> list[tuple[float, float]]:
    """Chaikin's corner cutting: each round replaces every corner by two points on its sides."""
    for _ in range(rounds):
        if len(points) < 3:
            return points
        cut = [points[0]]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            cut += [(0.75 * x0 + 0.25 * x1, 0.75 * y0 + 0.25 * y1), (0.25 * x0 + 0.75 * x1, 0.25 * y0 + 0.75 * y1)]
        points = cut + [points[-1]]
    return points


class SignaturePad(Widget):
    """Strokes in the widget's own coordinates scaled to 0..1 (so a resize keeps them)."""

    signed = BooleanProperty(False)   # enough has been drawn to count as a signature
    ink = NumericProperty(4)
    drawn = NumericProperty(0)        # strokes begun: a change after a confirmed signature

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.strokes: list[list[tuple[float, float]]] = []
        self._lines: list[Line] = []
        self.bind(size=self._redraw, pos=self._redraw)

    def on_touch_down(self, touch):
        if not self.collide_point(*touch.pos):
            return super().on_touch_down(touch)
        touch.grab(self)
        self.strokes.append([self._unit(touch.pos)])
        self.drawn += 1
        with self.canvas:
            Color(0.05, 0.1, 0.35, 1)
            self._lines.append(Line(points=self._points(self.strokes[-1]), width=self.ink, cap="round", joint="round"))
        return True

    def on_touch_move(self, touch):
        if touch.grab_current is not self:
            return super().on_touch_move(touch)
        self.strokes[-1].append(self._unit(touch.pos))
        self._lines[-1].points = self._points(smooth(self.strokes[-1]))
        self.signed = sum(map(len, self.strokes)) >= MIN_POINTS
        return True

    def on_touch_up(self, touch):
        if touch.grab_current is not self:
            return super().on_touch_up(touch)
        touch.ungrab(self)
        return True

    def clear(self) -> None:
        self.strokes, self._lines = [], []
        self.canvas.clear()
        self.signed = False

    def png(self) -> bytes:
        """The signature as a PNG, dark ink on white (blocking only for a moment: ~10 ms)."""
        from PIL import Image, ImageDraw
        image = Image.new("L", PNG_SIZE, 255)
        draw = ImageDraw.Draw(image)
        width, height = PNG_SIZE
        ink = max(3, round(width / 160))
        for stroke in self.strokes:
            points = [(x * width, (1 - y) * height) for x, y in smooth(stroke)]
            if len(points) == 1:
                points = points * 2
            draw.line(points, fill=0, width=ink, joint="curve")
            for x, y in (points[0], points[-1]):
                draw.ellipse((x - ink / 2, y - ink / 2, x + ink / 2, y + ink / 2), fill=0)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()

    def _unit(self, pos) -> tuple[float, float]:
        return ((pos[0] - self.x) / max(1, self.width), (pos[1] - self.y) / max(1, self.height))

    def _points(self, stroke) -> list[float]:
        points = [v for x, y in stroke for v in (self.x + x * self.width, self.y + y * self.height)]
        return points * 2 if len(points) == 2 else points

    def _redraw(self, *_) -> None:
        for line, stroke in zip(self._lines, self.strokes):
            line.points = self._points(smooth(stroke))
