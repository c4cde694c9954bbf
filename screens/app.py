"""The kiosk's Kivy application: lazy screens, language, elderly mode, idle, lockdown."""

from __future__ import annotations

import importlib
import logging
from typing import Callable

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import LabelBase
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import FadeTransition, ScreenManager

from kiosk.config import Settings
from kiosk.fonts import FontPair
from kiosk.i18n import LANGUAGE_NAMES, translate
from kiosk.session import Session
from screens.idle import IdleWatcher
from screens.theme import make_theme

log = logging.getLogger("kiosk.app")

# screen name -> "module:Class"; a screen is imported and built on first use.
SCREENS = {
    "attract": "screens.attract:AttractScreen",
    "home": "screens.home:HomeScreen",
    "soon": "screens.soon:ComingSoonScreen",
}
SERVICE_SCREENS: dict[str, str] = {}  # service key -> screen name, as flows land
KEY_ESCAPE = 27


class KioskApp(App):
    lang = StringProperty("zh")
    elderly = BooleanProperty(False)
    theme = ObjectProperty(None, rebind=True)  # rebind: kv rules reading app.theme.x follow a new theme
    other_language_name = StringProperty("")
    title = "Kiosk"

    def __init__(self, settings: Settings, fonts: FontPair, *, lockdown: bool = False,
                 start_screen: str = "attract",
                 on_first_frame: Callable[["KioskApp"], None] | None = None, **kwargs) -> None:
        self.settings = settings
        self.fonts = fonts
        self.lockdown = lockdown
        self.start_screen = start_screen
        self._on_first_frame = on_first_frame
        self.session = Session()
        self.history: list[str] = []
        self.manager: ScreenManager | None = None
        self.idle: IdleWatcher | None = None
        super().__init__(**kwargs)
        self.lang = settings.ui.language
        self.elderly = settings.ui.elderly_default
        self.theme = make_theme(self.elderly, dp(1))
        self.other_language_name = self._other_language_name()

    # translation --------------------------------------------------------
    def t(self, msgid: str, *_bindings) -> str:
        """Translate; kv passes app.lang as a binding so labels re-evaluate on a switch."""
        return translate(msgid, self.lang) if msgid else ""

    def _other_language_name(self) -> str:
        langs = self.settings.ui.languages
        other = langs[(langs.index(self.lang) + 1) % len(langs)] if self.lang in langs else langs[0]
        return LANGUAGE_NAMES[other]

    def toggle_language(self) -> None:
        langs = self.settings.ui.languages
        self.lang = langs[(langs.index(self.lang) + 1) % len(langs)]

    def on_lang(self, *_):
        self.other_language_name = self._other_language_name()

    def on_elderly(self, *_):
        self.theme = make_theme(self.elderly, dp(1))

    # building -------------------------------------------------------------
    def build(self):
        LabelBase.register("KioskFont", str(self.fonts.regular), fn_bold=str(self.fonts.bold))
        import screens.widgets  # noqa: F401  (loads the shared kv rules after the font exists)

        self.manager = ScreenManager(transition=FadeTransition(duration=0.12))
        Window.clearcolor = self.theme.colour("background")
        Window.bind(on_keyboard=self._on_keyboard, on_request_close=self._on_request_close)
        self.idle = IdleWatcher(self)
        self.show(self.start_screen)
        return self.manager

    def on_start(self):
        if self._on_first_frame:
            def after_flip(*_):
                Window.unbind(on_flip=after_flip)
                self._on_first_frame(self)
            Clock.schedule_once(lambda dt: Window.bind(on_flip=after_flip), 0)

    def screen(self, name: str):
        """The screen called `name`, built on first use."""
        if not self.manager.has_screen(name):
            module_name, class_name = SCREENS[name].split(":")
            cls = getattr(importlib.import_module(module_name), class_name)
            self.manager.add_widget(cls(name=name))
        return self.manager.get_screen(name)

    # navigation -------------------------------------------------------------
    def show(self, name: str, remember: bool = True) -> None:
        screen = self.screen(name)
        current = self.manager.current if self.manager.screens else ""
        if remember and current and current != name:
            self.history.append(current)
        self.manager.current = screen.name

    def open_service(self, service: str) -> None:
        if service in SERVICE_SCREENS:
            self.show(SERVICE_SCREENS[service])
        else:
            self.screen("soon").service = service
            self.show("soon")

    def go_home(self) -> None:
        self.history.clear()
        self.show("home", remember=False)

    def go_back(self) -> None:
        target = self.history.pop() if self.history else "home"
        self.show(target, remember=False)

    def end_session(self, reason: str) -> None:
        """Wipe the resident's data, drop every screen that may hold it, show the attract screen."""
        self.session.wipe(reason)
        self.history.clear()
        self.show("attract", remember=False)
        for screen in list(self.manager.screens):
            if screen.name != "attract":
                screen.on_wiped()
                self.manager.remove_widget(screen)
        self.elderly = self.settings.ui.elderly_default
        self.lang = self.settings.ui.language
        log.info("session ended: %s", reason)

    # lockdown -------------------------------------------------------------
    def _on_keyboard(self, _window, key, *_args):
        if key == KEY_ESCAPE:
            return True  # swallow: Escape must never leave or go back out of the app
        return False

    def _on_request_close(self, *_args, **_kwargs):
        # Window close (Alt+F4, the window manager) is refused in kiosk mode.
        return self.lockdown
