"""Colours and sizes for normal and elderly (长辈版) mode.

Elderly mode follows the MIIT 适老化 rules in PRODUCT.md: body text >= 30 dp,
headings larger, touch targets >= 60x60 dp, contrast >= 4.5:1. Sizes are in dp
here and turned into pixels by `Theme.px` so tests can check the dp figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def rgba(hex_colour: str) -> tuple[float, float, float, float]:
    h = hex_colour.lstrip("#")
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, 1.0)


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    def luminance(hex_colour: str) -> float:
        channels = []
        for c in rgba(hex_colour)[:3]:
            channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        r, g, b = channels
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True)
class Palette:
    background: str
    surface: str
    text: str
    muted: str
    bar: str
    bar_text: str
    accent: str
    accent_text: str
    warning: str
    warning_text: str
    tiles: tuple[str, ...]
    tile_text: str


NORMAL_PALETTE = Palette(
    background="#EEF2F7", surface="#FFFFFF", text="#1A1D21", muted="#48505A",
    bar="#1B4F9C", bar_text="#FFFFFF", accent="#1B4F9C", accent_text="#FFFFFF",
    warning="#FFF4D6", warning_text="#5C3B00",
    tiles=("#1B4F9C", "#00695C", "#5E35B1", "#B23C17", "#2E7D32", "#AD1457", "#283593", "#5D4037", "#006064"),
    tile_text="#FFFFFF",
)

ELDERLY_PALETTE = Palette(
    background="#FFFFFF", surface="#FFFFFF", text="#000000", muted="#26292E",
    bar="#0B3778", bar_text="#FFFFFF", accent="#0B3778", accent_text="#FFFFFF",
    warning="#FFF0B3", warning_text="#3D2700",
    tiles=("#0B3778", "#004D40", "#4527A0", "#8F2A0C", "#1B5E20", "#880E4F", "#1A237E", "#3E2723", "#004347"),
    tile_text="#FFFFFF",
)


@dataclass(frozen=True)
class Sizes:  # all in dp
    small: int
    body: int
    heading: int
    title: int
    target: int  # minimum height/width of anything touchable
    bar: int
    padding: int


NORMAL_SIZES = Sizes(small=18, body=22, heading=32, title=46, target=64, bar=96, padding=20)
ELDERLY_SIZES = Sizes(small=30, body=32, heading=42, title=56, target=96, bar=124, padding=24)


@dataclass(frozen=True)
class Theme:
    elderly: bool
    palette: Palette = field(repr=False)
    sizes: Sizes = field(repr=False)
    scale: float = 1.0  # pixels per dp

    def px(self, dp_value: float) -> float:
        return dp_value * self.scale

    def colour(self, name: str) -> tuple[float, float, float, float]:
        return rgba(getattr(self.palette, name))

    def tile_colour(self, index: int) -> tuple[float, float, float, float]:
        return rgba(self.palette.tiles[index % len(self.palette.tiles)])

    # kv reads these as app.theme.body etc. (pixels)
    @property
    def small(self) -> float: return self.px(self.sizes.small)
    @property
    def body(self) -> float: return self.px(self.sizes.body)
    @property
    def heading(self) -> float: return self.px(self.sizes.heading)
    @property
    def title(self) -> float: return self.px(self.sizes.title)
    @property
    def target(self) -> float: return self.px(self.sizes.target)
    @property
    def bar(self) -> float: return self.px(self.sizes.bar)
    @property
    def pad(self) -> float: return self.px(self.sizes.padding)


def make_theme(elderly: bool, scale: float) -> Theme:
    if elderly:
        return Theme(True, ELDERLY_PALETTE, ELDERLY_SIZES, scale)
    return Theme(False, NORMAL_PALETTE, NORMAL_SIZES, scale)
