"""Settings: a TOML file, validated on load into typed, frozen sections.

Lookup order: --config, else $KIOSK_CONFIG, else /etc/kiosk/kiosk.toml, else the
built-in defaults (which make `kiosk demo` work with nothing configured).
Every problem is one ConfigError line naming the key, e.g.
``kiosk.toml: ui.idle_timeout: must be a whole number from 10 to 3600 (got "abc")``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from kiosk import paths
from kiosk.errors import ConfigError

SERVICES = ("guides", "progress", "apply", "certificates", "hotline", "booking", "rating", "outlets", "notices")
LANGUAGES = ("zh", "en")
DEVICE_SCHEMES = {
    "idcard": ("sim", "serial", "socket", "none"),
    "card": ("sim", "pcsc", "none"),
    "printer": ("sim", "usb", "tcp", "serial", "file", "none"),
    "scanner": ("sim", "serial", "socket", "hid", "none"),
    "camera": ("sim", "v4l2", "http", "https", "none"),
    "a4": ("sim", "cups", "ipp", "ipps", "none"),
}


def _is_zone(name: str) -> bool:
    from kiosk.clock import is_zone
    return is_zone(name)


def _check(rule: Callable[[Any], bool], message: str) -> dict:
    return {"check": rule, "message": message}


def _between(lo: float, hi: float, what: str = "number") -> dict:
    return _check(lambda v: lo <= v <= hi, f"must be a {what} from {lo} to {hi}")


def _one_of(*choices: str) -> dict:
    return _check(lambda v: v in choices, "must be one of " + ", ".join(choices))


def _subset_of(choices: tuple[str, ...]) -> dict:
    return _check(lambda v: set(v) <= set(choices) and len(set(v)) == len(v),
                  "must list each of " + ", ".join(choices) + " at most once")


def _device_url(kind: str) -> dict:
    schemes = DEVICE_SCHEMES[kind]
    return _check(lambda v: v.split(":", 1)[0] in schemes and ":" in v,
                  "must be a device URL starting with " + ", ".join(s + ":" for s in schemes))


def _http_url() -> dict:
    return _check(lambda v: re.fullmatch(r"https?://[^\s/]+(/\S*)?", v) is not None,
                  "must be an http:// or https:// URL")


@dataclass(frozen=True)
class TerminalSettings:
    id: str = field(default="demo-001", metadata=_check(
        lambda v: re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", v) is not None,
        "must be 1-64 letters, digits, '.', '_' or '-'"))
    name: str = field(default="县政务服务中心 自助终端 01", metadata=_check(
        lambda v: 0 < len(v) <= 60, "must be 1 to 60 characters"))
    secret: str = field(default="demo-secret", metadata=_check(
        lambda v: len(v) >= 8, "must be at least 8 characters"))
    timezone: str = field(default="Asia/Shanghai", metadata=_check(
        lambda v: _is_zone(v), "must be a time zone name such as Asia/Shanghai"))


@dataclass(frozen=True)
class HallSettings:
    url: str = field(default="embedded", metadata=_check(
        lambda v: v == "embedded" or re.fullmatch(r"https?://[^\s/]+(/\S*)?", v) is not None,
        'must be "embedded" or an http:// or https:// URL'))
    timeout: float = field(default=5.0, metadata=_between(0.5, 60))


@dataclass(frozen=True)
class UiSettings:
    language: str = field(default="zh", metadata=_one_of(*LANGUAGES))
    languages: list[str] = field(default_factory=lambda: list(LANGUAGES),
                                 metadata=_subset_of(LANGUAGES))
    elderly_default: bool = False
    idle_timeout: int = field(default=60, metadata=_between(10, 3600, "whole number"))
    idle_warning: int = field(default=25, metadata=_between(20, 300, "whole number"))
    show_cursor: bool = False
    font: str = ""
    voice: str = field(default="elderly", metadata=_one_of("elderly", "on", "off"))  # elderly: in 长辈版 only
    services: list[str] = field(default_factory=lambda: list(SERVICES),
                                metadata=_subset_of(SERVICES))
    window_size: str = field(default="1080x1920", metadata=_check(
        lambda v: parse_size(v) is not None, 'must be WIDTHxHEIGHT, e.g. "1080x1920"'))


@dataclass(frozen=True)
class DeviceSettings:
    idcard: str = field(default="sim:", metadata=_device_url("idcard"))
    card: str = field(default="sim:", metadata=_device_url("card"))
    printer: str = field(default="sim:", metadata=_device_url("printer"))
    scanner: str = field(default="sim:", metadata=_device_url("scanner"))
    camera: str = field(default="sim:", metadata=_device_url("camera"))
    # none: by default: sim: starts a private cupsd, which `kiosk demo` asks for
    a4: str = field(default="none:", metadata=_device_url("a4"))


@dataclass(frozen=True)
class PrivacySettings:
    id_show_head: int = field(default=4, metadata=_between(0, 6, "whole number"))
    id_show_tail: int = field(default=4, metadata=_between(0, 4, "whole number"))


@dataclass(frozen=True)
class PathSettings:
    state_dir: str = ""  # empty: $KIOSK_STATE_DIR, else /var/lib/kiosk if writable, else ~/.local/state/kiosk


@dataclass(frozen=True)
class TelemetrySettings:
    heartbeat_interval: int = field(default=30, metadata=_between(5, 3600, "whole number"))
    # Always bound to 127.0.0.1 (the hall's console is the remote view); 0 turns it off.
    metrics_port: int = field(default=9107, metadata=_check(
        lambda v: v == 0 or 1024 <= v <= 65535, "must be 0 (off) or a port from 1024 to 65535"))


@dataclass(frozen=True)
class AdminSettings:
    # contactless UIDs (hex, 4 to 10 bytes) of the cards that open admin mode
    card_uids: list[str] = field(default_factory=list, metadata=_check(
        lambda v: all(re.fullmatch(r"(?:[0-9A-Fa-f]{2}){4,10}", u) for u in v),
        "must list card UIDs as hex, 4 to 10 bytes each"))
    pin_file: str = ""  # empty: admin-pin.json in the state directory
    session_timeout: int = field(default=120, metadata=_between(30, 3600, "whole number"))


@dataclass(frozen=True)
class Settings:
    terminal: TerminalSettings = field(default_factory=TerminalSettings)
    hall: HallSettings = field(default_factory=HallSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    devices: DeviceSettings = field(default_factory=DeviceSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    paths: PathSettings = field(default_factory=PathSettings)
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)
    admin: AdminSettings = field(default_factory=AdminSettings)
    source: str = "built-in defaults"

    def state_dir(self) -> Path:
        if self.paths.state_dir:
            return Path(self.paths.state_dir)
        if os.environ.get("KIOSK_STATE_DIR"):
            return Path(os.environ["KIOSK_STATE_DIR"])
        system = Path("/var/lib/kiosk")
        if system.is_dir() and os.access(system, os.W_OK):
            return system
        return Path.home() / ".local" / "state" / "kiosk"

    def window_size(self) -> tuple[int, int]:
        return parse_size(self.ui.window_size)  # type: ignore[return-value]

    def replace(self, **sections: Any) -> "Settings":
        return dataclasses.replace(self, **sections)


def parse_size(text: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"(\d{3,4})x(\d{3,4})", text.strip())
    return (int(m[1]), int(m[2])) if m else None


def _describe(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else '"' + value + '"'
    return text if len(text) <= 40 else text[:37] + "..."


def _coerce(value: Any, kind: Any, where: str) -> Any:
    origin = typing.get_origin(kind)
    if origin is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: must be a list of strings (got {_describe(value)})")
        return list(value)
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: must be true or false (got {_describe(value)})")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: must be a whole number (got {_describe(value)})")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: must be a number (got {_describe(value)})")
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be a string (got {_describe(value)})")
    return value


def _build_section(cls: type, data: Any, origin: str, section: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: [{section}] must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{origin}: {section}.{unknown[0]}: unknown setting "
                          f"(known: {', '.join(known)})")
    values = {}
    for name, value in data.items():
        where = f"{origin}: {section}.{name}"
        value = _coerce(value, hints[name], where)
        rule = known[name].metadata
        if rule and not rule["check"](value):
            raise ConfigError(f"{where}: {rule['message']} (got {_describe(value)})")
        values[name] = value
    return cls(**values)


def from_dict(data: dict, origin: str = "settings") -> Settings:
    sections = {f.name: f for f in dataclasses.fields(Settings) if f.name != "source"}
    unknown = sorted(set(data) - set(sections))
    if unknown:
        raise ConfigError(f"{origin}: [{unknown[0]}]: unknown section (known: {', '.join(sections)})")
    built = {name: _build_section(typing.get_type_hints(Settings)[name], data[name], origin, name)
             for name in data}
    settings = Settings(**built, source=origin)
    if settings.ui.language not in settings.ui.languages:
        raise ConfigError(f"{origin}: ui.language: \"{settings.ui.language}\" is not in ui.languages")
    return settings


def to_dict(settings: Settings) -> dict:
    data = dataclasses.asdict(settings)
    data.pop("source")
    return data


def resolve_path(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    if os.environ.get("KIOSK_CONFIG"):
        return Path(os.environ["KIOSK_CONFIG"])
    if paths.SYSTEM_CONFIG.exists():
        return paths.SYSTEM_CONFIG
    return None


def load(explicit: str | None = None) -> Settings:
    path = resolve_path(explicit)
    if path is None:
        return Settings()
    origin = path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: settings file not found") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read settings file ({e.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{origin}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{origin}: not valid TOML: {e}") from None
    # the full path, so that the admin settings editor writes back to the file the app started with
    return dataclasses.replace(from_dict(data, origin), source=str(path.absolute()))
