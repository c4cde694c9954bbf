"""Voice prompts at the key moments: place your card, take your card, take your receipt,
session ending. One WAV per prompt and language in assets/sounds (made with espeak-ng by
scripts/make-sounds).

Switching: `ui.voice = "elderly"` (the default) speaks in elderly mode only, where residents
who read less easily are; "on" speaks in every mode, "off" never (a terminal without a
speaker, or a quiet room) — the admin's "off" wins over elderly mode.

Playing never blocks the UI thread: the files are decoded on a worker thread once
(`preload`), and `say` only starts a loaded sound (SDL mixes it on its own thread).
A prompt asked for before its file is loaded is loaded on the worker and played then.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable

from kiosk import paths

log = logging.getLogger("kiosk.voice")

# key -> {lang: what is said}. Plain words, short: residents hear them while busy with a card.
PROMPTS: dict[str, dict[str, str]] = {
    "place_card": {"zh": "请将身份证放在读卡区。",
                   "en": "Please place your ID card on the reader."},
    "take_card": {"zh": "请取走您的证件。", "en": "Please take your card."},
    "take_receipt": {"zh": "请取走您的凭条。", "en": "Please take your receipt."},
    "session_ending": {"zh": "您还在办理吗？为保护您的信息，本次服务即将结束，如需继续请点击屏幕。",
                       "en": "Are you still there? To protect your information, this session "
                             "will end soon. Touch the screen to continue."},
}
LANGS = ("zh", "en")


def sound_path(key: str, lang: str, folder: Path | None = None) -> Path:
    return (folder or paths.SOUNDS) / f"{key}-{lang}.wav"


class Voice:
    """Plays prompts for one app. `enabled()` reads the settings each time, so a settings
    change (or a test) takes effect at once."""

    def __init__(self, voice_on: Callable[[], bool], lang: Callable[[], str],
                 folder: Path | None = None) -> None:
        self.voice_on, self.lang, self.folder = voice_on, lang, folder
        self._sounds: dict[Path, Any] = {}
        self._lock = threading.Lock()
        self.played: list[str] = []  # keys said (last 20, no personal data): for diagnostics

    def enabled(self) -> bool:
        return bool(self.voice_on())

    def preload(self) -> None:
        """Decode every prompt; blocking (disk), so call it off the UI thread."""
        for key in PROMPTS:
            for lang in LANGS:
                self._load(sound_path(key, lang, self.folder))

    def say(self, key: str) -> bool:
        """Play a prompt in the current language; False when voice is off. Call on the UI thread."""
        if key not in PROMPTS:
            raise ValueError(f"unknown voice prompt {key!r} (known: {', '.join(PROMPTS)})")
        if not self.enabled():
            return False
        self.played = (self.played + [key])[-20:]
        path = sound_path(key, self.lang() if self.lang() in LANGS else "zh", self.folder)
        sound = self._sounds.get(path)
        if sound is None:
            threading.Thread(target=self._load_and_play, args=(key, path), daemon=True).start()
        else:
            self._play(key, sound)
        return True

    def _load(self, path: Path):
        with self._lock:
            if path not in self._sounds:
                from kivy.core.audio import SoundLoader
                sound = SoundLoader.load(str(path)) if path.exists() else None
                if sound is None:
                    log.warning("voice prompt %s cannot be played (missing file or no audio)", path.name)
                self._sounds[path] = sound or False  # False: tried, do not retry every time
            return self._sounds[path]

    def _load_and_play(self, key: str, path: Path) -> None:
        sound = self._load(path)
        if sound:
            from kivy.clock import Clock
            Clock.schedule_once(lambda _dt: self._play(key, sound), 0)

    def _play(self, key: str, sound) -> None:
        if sound:
            sound.stop()  # restart a prompt said again rather than overlap it
            sound.play()


def voice_wanted(setting: str, elderly: bool) -> bool:
    return setting == "on" or (setting == "elderly" and elderly)


def voice_of(app) -> Voice:
    """The app's Voice, made on first use (and its files preloaded on a worker)."""
    voice = getattr(app, "voice", None)
    if voice is None:
        voice = Voice(lambda: voice_wanted(app.settings.ui.voice, app.elderly), lambda: app.lang)
        app.voice = voice
        threading.Thread(target=voice.preload, name="voice-preload", daemon=True).start()
    return voice


def say(key: str) -> bool:
    """Say a prompt through the running app: `from screens.voice import say; say("take_receipt")`."""
    from kivy.app import App
    app = App.get_running_app()
    return voice_of(app).say(key) if app is not None else False
