"""Translations from gettext catalogs in assets/locale (domain "kiosk").

Message ids are English; zh (zh_CN) is the default language. Catalogs are loaded
once per language and kept; switching language is a dictionary look-up.
"""

from __future__ import annotations

import gettext

from kiosk import paths

DOMAIN = "kiosk"
LOCALE_OF = {"zh": "zh_CN", "en": "en"}
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}

_catalogs: dict[str, gettext.NullTranslations] = {}


def catalog(lang: str) -> gettext.NullTranslations:
    if lang not in _catalogs:
        _catalogs[lang] = gettext.translation(
            DOMAIN, localedir=paths.LOCALE, languages=[LOCALE_OF.get(lang, lang)], fallback=True)
    return _catalogs[lang]


def translate(msgid: str, lang: str) -> str:
    return catalog(lang).gettext(msgid)
