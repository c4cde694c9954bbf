"""Widgets shared by every screen: the screen base with its top bar, buttons, tiles."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.textinput import TextInput

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


class KioskInput(TextInput):
    """A text field that tells the keyboard-wedge router it has the focus (screens.wedge)."""

    def on_focus(self, _field, focused: bool) -> None:
        App.get_running_app().keys.focus_changed(self, focused)


class ServiceTile(ButtonBehavior, BoxLayout):
    service = StringProperty("")
    label = StringProperty("")
    hint = StringProperty("")
    colour_index = NumericProperty(0)


def app():
    return App.get_running_app()
