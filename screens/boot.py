"""Kivy's environment and Config, set before anything imports kivy.core.window.

Kivy reads ~/.kivy/config.ini and command-line arguments unless told not to;
a kiosk must not pick up a user's config, so KIVY_HOME points into the state
directory and KIVY_NO_CONFIG / KIVY_NO_ARGS are set.
"""

from __future__ import annotations

import os
from pathlib import Path


def prepare(*, size: tuple[int, int], fullscreen: bool, show_cursor: bool,
            offscreen: bool, state_dir: Path) -> None:
    if "kivy.core.window" in __import__("sys").modules:
        raise RuntimeError("screens.boot.prepare() must run before the Kivy window is created")
    kivy_home = state_dir / "kivy"
    kivy_home.mkdir(parents=True, exist_ok=True)
    os.environ["KIVY_HOME"] = str(kivy_home)
    os.environ["KIVY_NO_CONFIG"] = "1"
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ["KIVY_NO_FILELOG"] = "1"
    os.environ["KIVY_LOG_MODE"] = "PYTHON"
    os.environ.setdefault("KIVY_GL_DEBUG", "0")
    if offscreen:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("kivy", "keyboard_mode", "system")
    if fullscreen and not offscreen:
        size = desktop_size() or size
        Config.set("graphics", "position", "custom")
        Config.set("graphics", "left", "0")
        Config.set("graphics", "top", "0")
    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "borderless", "1" if fullscreen else "0")
    Config.set("graphics", "resizable", "0" if fullscreen else "1")
    Config.set("graphics", "show_cursor", "1" if show_cursor else "0")
    Config.set("graphics", "multisamples", "0")
    # A mouse click must be one touch, never the red multitouch-emulation dot.
    Config.set("input", "mouse", "mouse,disable_multitouch")
    for key in list(Config.options("input")):
        if key != "mouse":
            Config.remove_option("input", key)
    import logging
    logging.getLogger("kivy").addFilter(no_cut_buffer_alarm)


def no_cut_buffer_alarm(record) -> bool:
    """Kivy looks for xclip or xsel (the X selection for middle-click paste) when the first
    text field is made and logs CRITICAL, with tracebacks, when neither is there. A kiosk
    has no use for them, and that line would turn the terminal red on the fleet console."""
    return not str(record.msg).startswith("Cutbuffer: Unable to find")


def desktop_size() -> tuple[int, int] | None:
    """The display's size, asked of the SDL library Kivy bundles, before any window exists.

    SDL's full-screen mode is a request to the window manager; a kiosk started
    straight from xinit has none and the window would keep its configured size.
    So a locked-down kiosk creates its window at the display's size at 0,0.
    """
    import ctypes
    import glob

    import kivy

    site = Path(kivy.__file__).resolve().parent.parent
    libraries = glob.glob(str(site / "Kivy.libs" / "libSDL2-*.so*")) or ["libSDL2-2.0.so.0"]
    try:
        sdl = ctypes.CDLL(libraries[0])
    except OSError:
        return None

    class DisplayMode(ctypes.Structure):
        _fields_ = [("format", ctypes.c_uint32), ("w", ctypes.c_int), ("h", ctypes.c_int),
                    ("refresh_rate", ctypes.c_int), ("driverdata", ctypes.c_void_p)]

    SDL_INIT_VIDEO = 0x20
    if sdl.SDL_InitSubSystem(SDL_INIT_VIDEO) != 0:
        return None
    mode = DisplayMode()
    found = sdl.SDL_GetDesktopDisplayMode(0, ctypes.byref(mode)) == 0
    sdl.SDL_QuitSubSystem(SDL_INIT_VIDEO)
    return (mode.w, mode.h) if found and mode.w > 0 else None
