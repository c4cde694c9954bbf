"""Widgets shared by every screen: the screen base with its top bar, buttons, tiles."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.textinput import TextInput

from screens.linebreak import KinsokuLabel  # noqa: F401 (registered for the kv rules: long Chinese text)

Builder.load_file(str(Path(__file__).with_name("widgets.kv")))


class KioskScreen(Screen):
    """A screen with the top bar (back, home, 长辈版, language) and a body.

    Children declared in a subclass's kv rule go into the body, below the bar.
    """

    title = StringProperty("")  # message id, translated by the bar
    show_nav = BooleanProperty(True)

    def add_widget(self, widget, *args, **kwargs):
        if "body" in self.ids:
            return self.ids.body.add_widget(widget, *args, **kwargs)
        return super().add_widget(widget, *args, **kwargs)

    def on_wiped(self) -> None:
        """Called when the session ends; screens holding personal data clear it here."""


class TopBar(BoxLayout):
    """Back and home (when the screen wants them), 长辈版 and the language switch."""

    show_nav = BooleanProperty(True)

    def on_kv_post(self, _base):
        self.on_show_nav(self, self.show_nav)

    def on_show_nav(self, _bar, show: bool) -> None:
        nav = self.ids.get("nav")
        if nav is None:
            return
        nav.clear_widgets()
        if show:
            from kivy.factory import Factory
            back = Factory.TrNavButton(msgid="Back", on_release=lambda *_: app().go_back())
            home = Factory.TrNavButton(msgid="Home", on_release=lambda *_: app().go_home())
            nav.add_widget(back)
            nav.add_widget(home)
            self.back, self.home = back, home


class KioskButton(ButtonBehavior, Label):
    """A touch target that is never smaller than the theme's minimum."""

    role = StringProperty("accent")  # accent | plain | bar
    msgid = StringProperty("")  # for buttons whose label is a translated message id
    wrap = BooleanProperty(True)  # False: one line, the button sized to its text


class KioskInput(TextInput):
    """A text field that tells the keyboard-wedge router it has the focus (screens.wedge)."""

    def on_focus(self, _field, focused: bool) -> None:
        App.get_running_app().keys.focus_changed(self, focused)


class KeyboardDock(BoxLayout):
    """Shows one on-screen keyboard (screens.keyboard) under a form, for whichever watched
    field has the focus. It stays up when the focus goes (a tap on a button must not move the
    button under the finger) and goes on the Done key, on hide() and when its screen leaves."""

    keyboard = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._layouts: list[str] = []  # every watched field's: the keyboard keeps the largest size
        self._typing: list = []  # (field, callback) of on_typing

    def watch(self, text_input, layout: str, layouts=None) -> None:
        for name in [layout, *(layouts or [])]:
            if name not in self._layouts:
                self._layouts.append(name)
        text_input.bind(focus=lambda field, on: on and self.show_for(field, layout, layouts or [layout]))

    def on_typing(self, text_input, callback) -> None:
        """callback(query) when the field's text or the pinyin letters being typed into it
        change: a search field searches initials ("sfz") while they are typed in pinyin."""
        text_input = getattr(text_input, "__self__", text_input)  # ids are weak proxies
        self._typing.append((text_input, callback))
        text_input.bind(text=lambda *_: callback(self.typed(text_input)))

    def typed(self, text_input) -> str:
        keyboard = self.keyboard
        text_input = getattr(text_input, "__self__", text_input)
        pending = keyboard is not None and keyboard.target is text_input and keyboard.parent is not None
        return text_input.text + (keyboard.preedit if pending else "")

    def _preedit(self, keyboard, _letters) -> None:
        for field, callback in self._typing:
            if keyboard.target is field:
                callback(self.typed(field))

    def watch_fields(self, *fields) -> None:
        """FlowFields, each with the keyboard it declares (`keyboard`, `keyboards`)."""
        for field in fields:
            self.watch(field.ids.input, field.keyboard, field.keyboards)

    def show_for(self, field, layout: str, layouts: list[str]) -> None:
        from screens.keyboard import OnScreenKeyboard
        if self.keyboard is None:
            self.keyboard = OnScreenKeyboard(target=field, layout=layout, layouts=layouts,
                                             reserve=self._layouts)
            self.keyboard.bind(on_done=lambda *_: self.hide(), preedit=self._preedit)
            screen = self._screen()
            if screen is not None:
                screen.bind(on_leave=lambda *_: self.hide())
        if self.keyboard.reserve != self._layouts:
            self.keyboard.reserve = list(self._layouts)
        if self.keyboard.target is not field or self.keyboard.parent is None:
            self.keyboard.target = field
            self.keyboard.layouts = layouts
            self.keyboard.layout = layout
        if self.keyboard.parent is None:
            self.add_widget(self.keyboard)
        Clock.schedule_once(lambda _dt: keep_in_view(field), 0.05)  # once the form has shrunk

    def hide(self) -> None:
        if self.keyboard is not None and self.keyboard.parent is not None:
            self.remove_widget(self.keyboard)

    def _screen(self):
        parent = self.parent
        while parent is not None and not isinstance(parent, Screen):
            parent = parent.parent
        return parent


def keep_in_view(widget, tries: int = 10) -> None:
    """Scroll the widget's ScrollView, if it has one, so that the widget shows (a field that
    the keyboard has just covered). Only when it is out of view and there is something to
    scroll: on content shorter than the view Kivy's scroll_to sets scroll_y to 0, which draws
    the content at the bottom, and the view glides back under the next tap."""
    from kivy.uix.scrollview import ScrollView
    view = widget.parent
    while view is not None and not isinstance(view, ScrollView):
        view = view.parent if view.parent is not view else None
    # A RecycleView's views are its visible rows already (and its scroll_to breaks on them);
    # it is told by `viewclass`, as Kivy's kv loader may import it under a second module name.
    if view is None or hasattr(view, "viewclass") or widget.get_root_window() is None:
        return
    layout_pending = getattr(getattr(view._viewport, "_trigger_layout", None), "is_triggered", False)
    if (layout_pending or view.height < 1) and tries > 0:  # measure once the form is laid out
        Clock.schedule_once(lambda _dt: keep_in_view(widget, tries - 1), 0.05)
        return
    if view.viewport_size[1] <= view.height:
        view.scroll_y = 1  # it all fits: at the top, where Kivy puts short content at scroll_y 1
        return
    bottom = view.to_widget(*widget.to_window(widget.x, widget.y))[1]
    top = view.to_widget(*widget.to_window(widget.right, widget.top))[1]
    if bottom < view.y or top > view.top:
        view.scroll_to(widget, padding=10, animate=False)


class ServiceTile(ButtonBehavior, BoxLayout):
    service = StringProperty("")
    label = StringProperty("")
    hint = StringProperty("")
    colour_index = NumericProperty(0)


def app():
    return App.get_running_app()
