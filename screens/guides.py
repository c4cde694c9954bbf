"""办事指南: browse by audience, department and theme, search as you type (Chinese, full
pinyin, pinyin initials), a RecycleView result list, and a guide page with every field,
a QR code to continue on a phone and a printed summary.

Catalogue calls run on the app's worker (the first one reads the SQLite copy); typing
is debounced, and a result that arrives after a newer query was typed is dropped
(screens.flow.LiveSearch).
"""

from __future__ import annotations

import logging
from pathlib import Path

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, DictProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from kiosk import receipts
from screens import qr  # noqa: F401  (registers QRCodeImage for the kv rules)
from screens.flow import LiveSearch, print_on_printer
from screens.widgets import KioskScreen, app

log = logging.getLogger("kiosk.guides")

Builder.load_file(str(Path(__file__).with_name("guides.kv")))

AUDIENCES = [("", "All"), ("个人", "Individuals"), ("法人", "Businesses")]
MAX_RESULTS = 2000  # a list longer than this is not read by anyone; search narrows it


def catalog_filters(catalog) -> dict:
    """Departments (in catalogue order) and themes (most used first) for the filter chips."""
    departments: dict[str, str] = {}
    themes: dict[str, int] = {}
    for item in catalog.items():
        dept = item.get("department") or {}
        if dept.get("code"):
            departments.setdefault(dept["code"], dept.get("name", dept["code"]))
        for theme in item.get("themes", []):
            themes[theme] = themes.get(theme, 0) + 1
    return {"departments": list(departments.items()),
            "themes": sorted(themes, key=lambda t: (-themes[t], t))}


def find_items(catalog, query: str, audience: str, department: str, theme: str) -> list[dict]:
    """Search (ranked) or browse (catalogue order), narrowed by the chosen categories."""
    if query.strip():
        found = [hit.item for hit in catalog.search(query, limit=0)]
    else:
        found = catalog.items()
    out = []
    for item in found:
        dept = item.get("department") or {}
        if audience and audience not in item.get("audience", []):
            continue
        if department and department != dept.get("code"):
            continue
        if theme and theme not in item.get("themes", []):
            continue
        out.append(item)
        if len(out) >= MAX_RESULTS:
            break
    return out


def catalog_problem(error: BaseException) -> str:
    from kiosk.catalog import CatalogUnavailable
    if isinstance(error, CatalogUnavailable):
        return "The service guides are not on this terminal yet. Please ask at a service window."
    log.error("guide search failed: %s", error.__class__.__name__)
    return "The service guides cannot be read right now. Please ask at a service window."


def colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def limit_words(days, lang: str) -> str:
    return receipts.limit_text(days, lang)


class GuideRow(ButtonBehavior, BoxLayout):
    """One result line in the RecycleView (the view class: only its properties change)."""

    code = StringProperty("")
    name = StringProperty("")
    meta = StringProperty("")


class Chip(ButtonBehavior, Label):
    """A category choice; `label` is data (a department's name), `msgid` a translated word."""

    msgid = StringProperty("")
    label = StringProperty("")
    value = StringProperty("")
    group = StringProperty("")
    selected = BooleanProperty(False)


class GuidesScreen(KioskScreen):
    query = StringProperty("")
    audience = StringProperty("")
    department = StringProperty("")
    theme = StringProperty("")
    status = StringProperty("")       # message id, or "" while results are shown
    count = ObjectProperty(None, allownone=True)  # number of results shown, None before the first answer
    filters = DictProperty({})

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._searching = False  # a query is typed
        self._filters_asked = 0  # a catalogue landing mid-way makes an earlier answer stale
        self.search = LiveSearch(lambda *key: find_items(app().services.catalog, *key),
                                 self._show, self._failed)
        self.bind(audience=self._refilter, department=self._refilter, theme=self._refilter)
        self._build_audience_chips()
        self.ids.dock.watch(self.ids.search, "pinyin", ["pinyin", "letters", "digits"])
        self.ids.dock.on_typing(self.ids.search, lambda query: setattr(self, "query", query))
        app().bind(on_catalog=self._catalog_landed)

    # lifecycle -------------------------------------------------------------------
    def on_pre_enter(self, *_):
        app().bind(lang=self._relabel)

    def on_leave(self, *_):
        app().unbind(lang=self._relabel)

    def _relabel(self, *_):
        if self.count is not None:
            self.refresh()

    def on_enter(self, *_):
        if not self.filters:
            self._load_filters()
        if self.count is None:
            self.refresh()

    def on_wiped(self) -> None:
        self.ids.search.text = ""
        self.ids.dock.hide()

    def _catalog_landed(self, *_):
        """A new catalogue (the first, on a terminal that started before its hall): redraw now
        if shown, else when next shown."""
        self.filters, self.count = {}, None
        if self.manager is not None and self.manager.current == self.name:
            self.on_enter()

    def _load_filters(self) -> None:
        if app().services is None:  # the app is still starting: try again shortly
            Clock.schedule_once(lambda _dt: self.on_enter(), 0.2)
            return
        self._filters_asked += 1
        asked = self._filters_asked
        app().background(catalog_filters, app().services.catalog,
                         done=lambda filters: self._show_filters(filters, asked), failed=lambda _e: None)

    def _show_filters(self, filters: dict, asked: int) -> None:
        if asked != self._filters_asked:
            return
        self.filters = filters
        box = self.ids.departments
        box.clear_widgets()
        box.add_widget(self._chip("department", "", msgid="All departments"))
        for code, name in filters["departments"]:
            box.add_widget(self._chip("department", code, name))
        box = self.ids.themes
        box.clear_widgets()
        box.add_widget(self._chip("theme", "", msgid="All themes"))
        for theme in filters["themes"]:
            box.add_widget(self._chip("theme", theme, theme))

    def _build_audience_chips(self) -> None:
        box = self.ids.audiences
        for value, msgid in AUDIENCES:
            box.add_widget(self._chip("audience", value, msgid=msgid))

    def _chip(self, group: str, value: str, label: str = "", msgid: str = "") -> Chip:
        chip = Chip(group=group, value=value, label=label, msgid=msgid,
                    selected=getattr(self, group) == value)
        chip.bind(on_release=self.choose)
        return chip

    # filters and search ----------------------------------------------------------
    def choose(self, chip: Chip) -> None:
        setattr(self, chip.group, chip.value)

    def _refilter(self, *_):
        for box in (self.ids.audiences, self.ids.departments, self.ids.themes):
            for chip in box.children:
                chip.selected = getattr(self, chip.group) == chip.value
        self.refresh()

    def on_query(self, _screen, query: str):
        # a search looks in every service (身份证 finds nothing under 社会保障): the categories go
        # back to "all" as the resident starts typing; a category tapped afterwards narrows it
        if query.strip() and not self._searching:
            self.audience = self.department = self.theme = ""
        self._searching = bool(query.strip())
        self.search.ask(*self._key())

    def clear_query(self) -> None:
        self.ids.search.text = ""

    def refresh(self) -> None:
        services = app().services
        if services is None:
            Clock.schedule_once(lambda _dt: self.refresh(), 0.2)
            return
        self.search.now(*self._key())

    def _key(self) -> tuple:
        return (self.query, self.audience, self.department, self.theme)

    @property
    def settled(self) -> bool:
        """What the resident asked for last is on screen (for tests and screenshots)."""
        return self.search.settled(self._key())

    def _show(self, items: list[dict]) -> None:
        lang = app().lang
        self.ids.results.data = [self.row(item, lang) for item in items]
        self.ids.results.scroll_y = 1
        self.count = len(items)
        self.status = "" if items else "Nothing found. Try fewer characters or another category."

    def _failed(self, error: BaseException) -> None:
        self.ids.results.data = []
        self.count = 0
        self.status = catalog_problem(error)

    @staticmethod
    def row(item: dict, lang: str) -> dict:
        t = app().t
        meta = [item.get("code", ""), (item.get("department") or {}).get("name", ""),
                t("Promised time limit") + colon(lang) + limit_words(item.get("promised_limit_days"), lang)]
        if item.get("online"):
            meta.append(t("Can apply online"))
        return {"code": item.get("code", ""), "name": item.get("name", ""), "meta": " · ".join(meta)}

    def open_item(self, code: str) -> None:
        app().screen("guides.detail").code = code
        app().show("guides.detail")


class DetailSection(BoxLayout):
    heading = StringProperty("")  # message id


class GuideDetailScreen(KioskScreen):
    code = StringProperty("")
    item = DictProperty({})
    item_name = StringProperty("")
    qr_data = StringProperty("")
    print_state = StringProperty("")    # "", "printing", "printed", "failed"
    print_message = StringProperty("")  # message id shown beside the print button
    has_a4 = BooleanProperty(False)     # the full guide can go to the A4 printer

    def on_code(self, *_):
        self.item, self.item_name = {}, ""
        self.print_state = self.print_message = ""
        self.qr_data = receipts.guide_url(self.code) if self.code else ""
        self.ids.content.clear_widgets()
        if not self.code or app().services is None:
            return
        code = self.code
        app().background(app().services.catalog.item, code,
                         done=lambda item: self._show(code, item),
                         failed=lambda error: self._problem(code, error))

    def on_pre_enter(self, *_):
        from kiosk.a4print import has_a4
        app().bind(lang=self._relabel)
        self.has_a4 = has_a4(getattr(app().services, "devices", None))

    def on_leave(self, *_):
        app().unbind(lang=self._relabel)

    def on_wiped(self) -> None:
        self.ids.content.clear_widgets()

    def _relabel(self, *_):
        if self.item:
            self._show(self.code, dict(self.item))

    def _problem(self, code: str, error: BaseException) -> None:
        if code == self.code:
            self._message(catalog_problem(error))

    def _message(self, msgid: str) -> None:
        content = self.ids.content
        content.clear_widgets()
        content.add_widget(Factory.DetailBody(text=app().t(msgid)))

    def _show(self, code: str, item: dict | None) -> None:
        if code != self.code:
            return
        if item is None:
            self._message("This guide is no longer in the catalogue.")
            return
        self.item, self.item_name = item, item.get("name", "")
        content = self.ids.content
        content.clear_widgets()
        for heading, lines in guide_sections(item, app().lang):
            section = Factory.DetailSection(heading=heading)
            for line in lines:
                section.add_widget(Factory.DetailBody(text=line))
            content.add_widget(section)

    # print -----------------------------------------------------------------------
    def print_summary(self) -> None:
        if not self.item or self.print_state == "printing":
            return
        self.print_state, self.print_message = "printing", "Printing..."
        summary = receipts.guide_summary(dict(self.item), app().lang)
        app().background(print_on_printer, getattr(app().services, "devices", None), summary,
                         done=self._printed,
                         failed=lambda _e: self._printed(receipts.PrintOutcome(
                             False, "The receipt could not be printed.", "layout")))

    def _printed(self, outcome: receipts.PrintOutcome) -> None:
        if outcome.printed:
            self.print_state, self.print_message = "printed", "Printed. Please take your summary."
        else:
            self.print_state, self.print_message = "failed", outcome.reason

    def print_full(self) -> None:
        """The guide in full on the A4 printer (its PDF laid out off the UI thread)."""
        from kiosk.a4print import FAULT_MESSAGES, print_guide
        if not self.item or self.print_state == "printing":
            return
        self.print_state, self.print_message = "printing", "Printing..."
        app().background(print_guide, app().services.devices, dict(self.item), done=self._printed_a4,
                         failed=lambda _e: self._printed_a4(None, FAULT_MESSAGES["refused"]))

    def _printed_a4(self, outcome, message: str = "") -> None:
        if outcome is not None and outcome.printed:
            self.print_state, self.print_message = "printed", "Printed. Please take the guide from the A4 printer."
        else:
            self.print_state, self.print_message = "failed", outcome.message if outcome is not None else message


def guide_sections(item: dict, lang: str) -> list[tuple[str, list[str]]]:
    """Every guide field as (heading message id, lines), in the order of a published guide."""
    t = app().t
    c = colon(lang)
    agency = item.get("agency") or {}
    fee = item.get("fee") or {}
    dept = item.get("department") or {}
    yes_no = lambda flag: t("Yes") if flag else t("No")  # noqa: E731
    sections = [
        ("Basic information", [
            f"{t('Item code')}{c}{item.get('code', '')}",
            f"{t('Item type')}{c}{item.get('type', '')}",
            f"{t('Who it is for')}{c}{'、'.join(item.get('audience', []))}",
            f"{t('Department')}{c}{dept.get('name', '')}",
            f"{t('Themes')}{c}{'、'.join(item.get('themes', []))}",
            f"{t('Can apply online')}{c}{yes_no(item.get('online'))}",
            f"{t('Visits needed')}{c}{item.get('visits', '')}",
        ]),
        ("Handled by", [agency.get("name", ""), f"{t('Address')}{c}{agency.get('address', '')}",
                        f"{t('Phone')}{c}{agency.get('phone', '')}"]),
        ("Conditions", [item.get("conditions", "")]),
        ("Materials", [f"{n}. {receipts.material_text(m, lang)}"
                       for n, m in enumerate(item.get("materials", []), 1)] or [t("None")]),
        ("Steps", [f"{n}. {s}" for n, s in enumerate(item.get("steps", []), 1)]),
    ]
    if item.get("special_steps"):
        sections.append(("Special steps", [item["special_steps"]]))
    sections += [
        ("Time limits", [f"{t('Legal time limit')}{c}{limit_words(item.get('legal_limit_days'), lang)}",
                         f"{t('Promised time limit')}{c}"
                         f"{limit_words(item.get('promised_limit_days'), lang)}"]),
        ("Fees", [f"{t('Fee')}{c}{fee.get('standard') or t('Free')}",
                  f"{t('Fee basis')}{c}{fee.get('basis') or t('None')}"]),
        ("Legal basis", list(item.get("legal_basis", [])) or [t("None")]),
        ("Where and when", [f"{t('Place')}{c}{item.get('place', '')}",
                            f"{t('Hours')}{c}{item.get('hours', '')}"]),
        ("Phone numbers", [f"{t('Enquiries')}{c}{item.get('consult_phone', '')}",
                           f"{t('Complaints')}{c}{item.get('complaint_phone', '')}"]),
    ]
    if item.get("faq"):
        sections.append(("Questions and answers",
                         [f"{t('Q')}{c}{f.get('q', '')}\n{t('A')}{c}{f.get('a', '')}"
                          for f in item["faq"]]))
    return sections


# `kiosk screenshot` set-up ---------------------------------------------------------
def demo_catalog():
    """A catalogue of the bundled seed in a temporary store, so screenshots need no hall."""
    import json
    import tempfile

    from kiosk import paths
    from kiosk.catalog import Catalog, annotate_pinyin
    from kiosk.store import Store

    folder = tempfile.TemporaryDirectory(prefix="kiosk-screens-")
    items = json.loads((paths.SEED / "catalog.json").read_text(encoding="utf-8"))["items"]
    annotate_pinyin(items)
    store = Store(Path(folder.name) / Store.FILENAME)
    store.save_catalog("seed", None, items)
    catalog = Catalog(store)
    catalog._folder = folder  # removed when the catalogue goes
    return catalog


def screenshot_setup(kiosk_app, arg: str):
    """Show the guides with the seed catalogue; arg "search:TEXT" types a query, "detail:CODE"
    opens a guide. Returns a function that says when the screen is ready."""
    kiosk_app.services.catalog = demo_catalog()
    what, _, value = arg.partition(":")
    if what == "detail":
        screen = kiosk_app.screen("guides.detail")
        screen.code = ""
        screen.code = value
        return lambda: bool(screen.item)
    screen = kiosk_app.screen("guides")
    screen._load_filters()
    if what == "search":
        screen.ids.search.text = value
    screen.refresh()
    return lambda: screen.settled and bool(screen.filters)


SCREENS = {"guides": GuidesScreen, "guides.detail": GuideDetailScreen}
