"""The kiosk's Kivy application: lazy screens, language, elderly mode, idle, lockdown."""

from __future__ import annotations

import ctypes
import gc
import importlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import LabelBase
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.config import Settings
from kiosk.fonts import FontPair
from kiosk.i18n import LANGUAGE_NAMES, translate
from kiosk.session import Session
from screens.idle import IdleWatcher
from screens.theme import make_theme
from screens.wedge import WedgeKeys

log = logging.getLogger("kiosk.app")

KEY_ESCAPE = 27
STOP_WAIT = 30.0  # seconds a rebuild of the services waits for the ones before to stop
BETWEEN_RESIDENTS = 0.5  # s after a session ends, on the attract screen


def screen_class(name: str):
    """Screen "guides" or "guides.detail" lives in screens/guides.py, which maps names to
    classes in its SCREENS dict; the module is imported on first use."""
    module = importlib.import_module(f"screens.{name.split('.')[0]}")
    return module.SCREENS[name]


def make_transition() -> NoTransition:
    """Screens change at once. A fade draws both screens into frame buffers every frame: on a
    terminal without a GPU driver (Mesa's software renderer) that was ~60 ms a frame and
    ~300 ms a step (bench/flow_steps.py)."""
    return NoTransition()


def _collect_between_residents() -> None:
    """Free the dropped screens (their widgets are full of reference cycles, ~130k objects a
    session) while nobody is at the screen, then freeze what survives: the automatic
    collections during the next session look only at what that session makes, instead of
    walking every long-lived object (catalogue, dictionary, Kivy) in the middle of a flow."""
    gc.unfreeze()  # a frozen object that has become garbage since is collected now
    gc.collect()
    gc.freeze()


def _trim_heap() -> None:
    """Hand freed heap back to the system. Label textures are allocated and freed all day;
    without the trim glibc keeps the freed pages and the process grows session after session
    (bench/session_memory.py). Runs on a worker: ctypes lets go of the GIL for the call."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


class KioskApp(App):
    lang = StringProperty("zh")
    elderly = BooleanProperty(False)
    theme = ObjectProperty(None, rebind=True)  # rebind: kv rules reading app.theme.x follow a new theme
    other_language_name = StringProperty("")
    title = "Kiosk"

    def __init__(self, settings: Settings, fonts: FontPair, *, lockdown: bool = False,
                 start_screen: str = "attract",
                 on_first_frame: Callable[["KioskApp"], None] | None = None,
                 adjust_settings: Callable[[Settings], Settings] | None = None,
                 telemetry: bool = True, ime_cache: bool = True, **kwargs) -> None:
        from kiosk.telemetry import TransactionCounter

        self.settings = settings
        self.telemetry = telemetry  # heartbeats and the fleet console's commands (screens/remote.py)
        self.ime_cache = ime_cache  # build the pinyin dictionary ahead (not for a one-frame screenshot)
        self._adjust_settings = adjust_settings  # `kiosk demo`'s overrides of a settings file
        self.fonts = fonts
        self.lockdown = lockdown
        self.start_screen = start_screen
        self._on_first_frame = on_first_frame
        self.session = Session()
        self.cards_left: set[str] = set()  # readers with a card on them or in them: idcard, card
        self.history: list[str] = []
        self.manager: ScreenManager | None = None
        self.idle: IdleWatcher | None = None
        self.services = None  # kiosk.services.Services, created in on_start
        self.transactions = TransactionCounter()  # today's, kept when the services are rebuilt
        self.remote_message = None  # a fleet console message on screen (screens/remote.py)
        self._stopped_before = threading.Event()  # set once the services before the current ones stopped
        self._stopped_before.set()
        self._workers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kiosk-worker")
        # The pinyin cache is built (a child process, long the first time) on a worker of its
        # own, one build at a time: the screens' workers stay free for residents' work.
        self._ime_builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ime-cache")
        self.register_event_type("on_device_event")
        self.register_event_type("on_catalog")
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

        self.manager = ScreenManager(transition=make_transition())
        Window.clearcolor = self.theme.colour("background")
        Window.bind(on_keyboard=self._on_keyboard, on_request_close=self._on_request_close)
        self.idle = IdleWatcher(self)
        self.keys = WedgeKeys(self)
        from screens.admin import AdminGesture  # five taps top left: admin mode
        self.admin = AdminGesture(self)
        self.show(self.start_screen)
        return self.manager

    def background(self, work: Callable[..., Any], *args: Any,
                   done: Callable[[Any], None] | None = None,
                   failed: Callable[[BaseException], None] | None = None) -> None:
        """Run blocking work (device, hall, disk) on a worker; its result comes back on the
        UI thread, and only if the session that asked is still the current one."""
        run_if_same_session = self.session.deliver(lambda callback: callback())

        def deliver(future) -> None:
            if future.cancelled():  # the app is closing
                return
            error = future.exception()
            if error is not None:
                if failed is None:
                    log.error("background work failed: %s", error.__class__.__name__)
                    return
                callback = lambda: failed(error)  # noqa: E731
            elif done is not None:
                callback = lambda: done(future.result())  # noqa: E731
            else:
                return
            Clock.schedule_once(lambda _dt: run_if_same_session(callback), 0)

        self._workers.submit(work, *args).add_done_callback(deliver)

    def on_start(self):
        self._start_services()
        Clock.schedule_once(lambda _dt: _collect_between_residents(), 2 * BETWEEN_RESIDENTS)
        if self._on_first_frame:
            def after_flip(*_):
                Window.unbind(on_flip=after_flip)
                self._on_first_frame(self)
            Clock.schedule_once(lambda dt: Window.bind(on_flip=after_flip), 0)

    def screen(self, name: str):
        """The screen called `name`, built on first use."""
        if not self.manager.has_screen(name):
            self.manager.add_widget(screen_class(name)(name=name))
        return self.manager.get_screen(name)

    # navigation -------------------------------------------------------------
    def show(self, name: str, remember: bool = True) -> None:
        screen = self.screen(name)
        current = self.manager.current if self.manager.screens else ""
        if remember and current and current != name:
            self.history.append(current)
        self.manager.current = screen.name

    def open_service(self, service: str) -> None:
        self.show(service)

    def go_home(self) -> None:
        self.history.clear()
        self.show("home", remember=False)

    def go_back(self) -> None:
        target = self.history.pop() if self.history else "home"
        self.show(target, remember=False)

    def end_session(self, reason: str) -> None:
        """Wipe the resident's data, drop every screen that may hold it, show the attract screen."""
        if self.cards_left and self.manager is not None and self.manager.current != "attract":
            from screens.voice import voice_of
            voice_of(self).say("take_card")  # before the mode goes back to the default
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
        Clock.schedule_once(self._between_residents, BETWEEN_RESIDENTS)

    def _between_residents(self, _dt=None) -> None:
        if self.manager.transition.is_active:
            Clock.schedule_once(self._between_residents, BETWEEN_RESIDENTS)
            return
        # The last transition still holds the session's last screen: a new one lets go of it.
        self.manager.transition = make_transition()
        _collect_between_residents()
        try:
            self._workers.submit(_trim_heap)
        except RuntimeError:  # the app is stopping
            pass

    def _start_services(self, old=None) -> None:
        """Build the services and start them on a thread of their own (starting waits for
        devices and the hall: it must not hold up the workers the screens use), once `old`
        (and every service set before it) has stopped: a device, or the metrics port, is let
        go of before it is taken again. The stop does not wait for the old start to finish
        (settings applied twice in a row): Services.stop/start handle that order."""
        from kiosk import ime
        from kiosk.services import Services
        from screens import remote

        if self.ime_cache:
            self._ime_builder.submit(ime.ensure_cache, self.settings.state_dir())
        self.cards_left.clear()  # the new drivers report the cards they find
        services = Services(self.settings, on_device_event=self._device_event_from_worker,
                            screen=lambda: self.manager.current if self.manager else "",
                            session_active=lambda: remote.resident_present(self),
                            transactions=self.transactions, telemetry=self.telemetry,
                            on_catalog=lambda: Clock.schedule_once(lambda _dt: self.dispatch("on_catalog"), 0))
        if services.telemetry is not None:
            remote.register(services.telemetry, self)  # before the first heartbeat brings commands
        self.services = services
        earlier_stopped, stopped = self._stopped_before, threading.Event()
        self._stopped_before = stopped

        def start() -> None:
            if not earlier_stopped.wait(STOP_WAIT):
                log.warning("earlier services still stopping after %g s; starting anyway", STOP_WAIT)
            try:
                if old is not None:
                    old.stop()
            except Exception:
                log.exception("the previous services did not stop cleanly")
            finally:
                stopped.set()
            try:
                services.start()
            except Exception:  # the screens report what is missing; the log says why
                log.exception("the services did not start")
        threading.Thread(target=start, name="services-start", daemon=True).start()

    def apply_settings(self, settings: Settings) -> None:
        """Use new settings at once: services are rebuilt (old ones stopped off the UI thread,
        before the new ones start)."""
        old, self.settings = self.services, settings
        self._start_services(old)

    def adjust_settings(self, settings: Settings) -> Settings:
        """Settings read from the file again (a remote reload), with what this run overrides."""
        return self._adjust_settings(settings) if self._adjust_settings else settings

    def _device_event_from_worker(self, event) -> None:
        Clock.schedule_once(lambda _dt: self._device_event(event), 0)

    def _device_event(self, event) -> None:
        # before the screens hear of it: a screen ends the session when a card is taken away
        if event.kind in ("identity", "card_inserted"):
            self.cards_left.add(event.device)
        elif event.kind == "card_removed":
            self.cards_left.discard(event.device)
        self.dispatch("on_device_event", event)

    def on_device_event(self, event) -> None:
        """A device event (hardware.model.DeviceEvent) on the UI thread; screens bind to it."""

    def on_catalog(self) -> None:
        """A catalogue refresh has landed (on the UI thread); screens that list it bind to it."""

    def on_stop(self):
        # Kivy may dispatch on_stop twice (app.stop(), then the window closing).
        services, self.services = self.services, None
        if services:
            services.stop()  # the app is closing: waiting for the devices here is fine
        self._workers.shutdown(wait=False, cancel_futures=True)
        self._ime_builder.shutdown(wait=False, cancel_futures=True)

    # lockdown -------------------------------------------------------------
    def _on_keyboard(self, _window, key, *_args):
        if key == KEY_ESCAPE:
            return True  # swallow: Escape must never leave or go back out of the app
        return False

    def _on_request_close(self, *_args, **_kwargs):
        # Window close (Alt+F4, the window manager) is refused in kiosk mode.
        return self.lockdown
