"""Device URLs: one parser, one registry of openers keyed by (kind, scheme), one `none:`.

Every device is configured by a URL (``serial:///dev/ttyUSB0?baudrate=115200``,
``pcsc:ACS ACR39U``, ``tcp://10.0.0.9:9100``, ``hid:``, ``sim:``, ...). Each driver
package registers its kind and an opener per scheme it takes (``register``);
``open_device`` parses the URL once and calls the opener. ``none:`` (no such device
fitted) is decided here and nowhere else (``configured``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Callable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

from hardware.model import Device, DeviceError

KINDS = ("idcard", "card", "printer", "scanner", "camera", "a4")
NONE = "none"  # the scheme of a device that is not fitted


class DeviceUrlError(DeviceError):
    """A URL (or a setting in its query) a kind cannot take; `open_device` raises it as the
    kind's own error class."""


class UnsupportedUrl(DeviceUrlError):
    """Not one of the kind's URL forms; `open_device` says which forms there are."""

    def __init__(self) -> None:
        super().__init__("unsupported device URL")


def _scheme(text: str) -> str:
    head, colon, _ = text.strip().partition(":")
    return head.lower() if colon else ""


def configured(text: str) -> bool:
    """False for ``none:`` (the device is not fitted), True for any other URL."""
    return _scheme(text) != NONE


@dataclass(frozen=True)
class DeviceUrl:
    text: str                   # as configured
    scheme: str                 # lower case; "" when there is none
    netloc: str = ""
    path: str = ""
    host: str = ""
    port: int | None = None     # None when absent or not a number
    query: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # last value of each key

    @classmethod
    def parse(cls, text: str) -> DeviceUrl:
        try:
            parts = urlsplit(text.strip())
        except ValueError:  # a bad [IPv6] host
            raise UnsupportedUrl() from None
        try:
            port = parts.port
        except ValueError:  # not a number (usb://0x0416:0x5011 has a vendor:product pair there)
            port = None
        return cls(text, _scheme(text), parts.netloc, parts.path, parts.hostname or "", port,
                   MappingProxyType(dict(parse_qsl(parts.query))))

    @property
    def configured(self) -> bool:
        return configured(self.text)

    def number(self, name: str, default: float, *, whole: bool = False,
               choices: tuple[float, ...] = ()) -> float:
        """The query's `name` as a positive number (or one of `choices`); `default` when absent."""
        try:
            value = (int if whole else float)(self.query.get(name, default))
        except ValueError:
            value = -1
        if choices and value not in choices:
            raise DeviceUrlError(f"{self.text}: {name} must be one of {', '.join(map(str, choices))}")
        if value <= 0:
            raise DeviceUrlError(f"{self.text}: {name} must be a positive number")
        return value

    def with_query(self, **changes: str) -> DeviceUrl:
        """The same URL with these query values set."""
        query = {**self.query, **changes}
        text = urlsplit(self.text.strip())._replace(query=urlencode(query)).geturl()
        return replace(self, text=text, query=MappingProxyType(query))


@dataclass(frozen=True)
class DeviceKind:
    name: str                   # "idcard"
    noun: str                   # "ID card reader", as messages name it
    error: type[DeviceError]    # what its URL errors are raised as
    forms: tuple[str, ...]      # the URL forms it takes, listed when one is refused

    def unsupported(self, text: str) -> DeviceError:
        *most, last = self.forms
        return self.error(f"unsupported {self.noun} URL {text!r}: use "
                          + (f"{', '.join(most)} or {last}" if most else last))

    def not_configured(self, text: str) -> DeviceError:
        return self.error(f"no {self.noun} is configured ([devices] {self.name} = \"{text}\")")


Opener = Callable[..., Device]  # opener(url: DeviceUrl, **options) -> an unopened driver
_KINDS: dict[str, DeviceKind] = {}
_OPENERS: dict[tuple[str, str], Opener] = {}


def register(kind: DeviceKind, openers: Mapping[str, Opener]) -> DeviceKind:
    """Called by each driver package (`hardware.<kind>`) when it is imported."""
    _KINDS[kind.name] = kind
    for scheme, opener in openers.items():
        _OPENERS[kind.name, scheme] = opener
    return kind


def device_kind(kind: str) -> DeviceKind:
    """The registered kind (importing its driver package registers it)."""
    if kind not in KINDS:
        raise DeviceError(f"unknown device kind {kind!r} (known: {', '.join(KINDS)})")
    if kind not in _KINDS:
        importlib.import_module(f"hardware.{kind}")
    return _KINDS[kind]


def schemes(kind: str) -> tuple[str, ...]:
    """The schemes a kind's driver package opens (``none:`` aside)."""
    device_kind(kind)
    return tuple(scheme for k, scheme in _OPENERS if k == kind)


def open_device(kind: str, text: str, **options) -> Device:
    """The driver for a device URL, not opened yet; raises the kind's error for a bad URL.

    `sim:` starts that kind's emulator in-process and connects the real driver to it.
    """
    spec = device_kind(kind)
    if not configured(text):
        raise spec.not_configured(text)
    try:
        url = DeviceUrl.parse(text)
        opener = _OPENERS.get((kind, url.scheme))
        if opener is None:
            raise UnsupportedUrl()
        return opener(url, **options)
    except UnsupportedUrl:
        raise spec.unsupported(text) from None
    except DeviceUrlError as e:
        raise spec.error(str(e)) from None
