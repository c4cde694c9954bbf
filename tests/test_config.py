"""Settings: defaults, lookup order, and one clear line for every kind of bad file."""

import pytest

from kiosk import config
from kiosk.errors import ConfigError


def test_defaults_make_the_demo_work_with_nothing_configured():
    s = config.load(None)
    assert s.source == "built-in defaults"
    assert s.ui.language == "zh" and s.ui.idle_timeout == 60 and s.ui.idle_warning >= 20
    assert all(getattr(s.devices, k) == "sim:" for k in ("idcard", "card", "printer", "scanner", "camera"))
    assert s.window_size() == (1080, 1920)


def test_a_good_file_is_read_and_typed(write_config):
    path = write_config("""
[terminal]
id = "qs-lobby-03"
name = "青山县政务服务中心 3号机"
[ui]
language = "en"
idle_timeout = 90
[devices]
idcard = "serial:///dev/ttyUSB0?baudrate=115200"
printer = "tcp://10.0.0.9:9100"
[hall]
timeout = 3
""")
    s = config.load(str(path))
    assert s.terminal.id == "qs-lobby-03"
    assert s.ui.language == "en" and s.ui.idle_timeout == 90
    assert s.devices.printer == "tcp://10.0.0.9:9100" and s.devices.card == "sim:"
    assert s.hall.timeout == 3.0 and isinstance(s.hall.timeout, float)


def test_lookup_order_explicit_then_environment(write_config, monkeypatch):
    env_file = write_config('[ui]\nlanguage = "en"\n', "env.toml")
    explicit = write_config('[ui]\nidle_timeout = 30\n', "explicit.toml")
    monkeypatch.setenv("KIOSK_CONFIG", str(env_file))
    assert config.load(None).ui.language == "en"
    assert config.load(str(explicit)).ui.idle_timeout == 30
    assert config.load(str(explicit)).ui.language == "zh"


@pytest.mark.parametrize("text, expected", [
    ('[ui]\nidle_timeout = "abc"\n', 'ui.idle_timeout: must be a whole number (got "abc")'),
    ("[ui]\nidle_timeout = 5\n", "ui.idle_timeout: must be a whole number from 10 to 3600 (got 5)"),
    ("[ui]\nidle_warning = 10\n", "ui.idle_warning: must be a whole number from 20 to 300"),
    ('[ui]\nlanguage = "fr"\n', "ui.language: must be one of zh, en"),
    ('[ui]\nlanguages = ["en"]\n', 'ui.language: "zh" is not in ui.languages'),
    ('[ui]\nservices = ["guides", "casino"]\n', "ui.services: must list each of"),
    ('[ui]\nwindow_size = "big"\n', "ui.window_size: must be WIDTHxHEIGHT"),
    ("[ui]\nelderly_default = 1\n", "ui.elderly_default: must be true or false"),
    ("[ui]\nvoice = true\n", "ui.voice: must be a string (got True)"),
    ('[ui]\nvoice = "loud"\n', "ui.voice: must be one of elderly, on, off"),
    ('[ui]\nidle_timout = 30\n', "ui.idle_timout: unknown setting"),
    ('[uii]\nx = 1\n', "[uii]: unknown section"),
    ('ui = 3\n', "[ui] must be a table"),
    ('[devices]\nprinter = "lpt1"\n', "devices.printer: must be a device URL starting with sim:, usb:"),
    ('[devices]\ncard = "serial:///dev/ttyS0"\n', "devices.card: must be a device URL starting with sim:, pcsc:"),
    ('[hall]\nurl = "ftp://hall"\n', 'hall.url: must be "embedded" or an http:// or https:// URL'),
    ('[hall]\ntimeout = true\n', "hall.timeout: must be a number (got True)"),
    ('[terminal]\nid = "has space"\n', "terminal.id: must be 1-64 letters"),
    ('[terminal]\nsecret = "short"\n', "terminal.secret: must be at least 8 characters"),
    ("[ui\nlanguage = 'zh'\n", "not valid TOML"),
    (b"\xff\xfe[ui]\n", "not UTF-8 text"),
])
def test_a_bad_file_gives_one_line_naming_the_key(write_config, text, expected):
    path = write_config(text)
    with pytest.raises(ConfigError) as err:
        config.load(str(path))
    message = str(err.value)
    assert expected in message
    assert message.startswith("kiosk.toml")
    assert "\n" not in message


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="settings file not found"):
        config.load(str(tmp_path / "nope.toml"))



def test_telemetry_defaults_and_a_good_section(write_config):
    assert config.load(None).telemetry == config.TelemetrySettings(heartbeat_interval=30, metrics_port=9107)
    s = config.load(str(write_config("[telemetry]\nheartbeat_interval = 60\nmetrics_port = 0\n")))
    assert s.telemetry.heartbeat_interval == 60 and s.telemetry.metrics_port == 0
    assert config.to_dict(s)["telemetry"] == {"heartbeat_interval": 60, "metrics_port": 0}


@pytest.mark.parametrize("text, expected", [
    ("[telemetry]\nheartbeat_interval = 4\n", "telemetry.heartbeat_interval: must be a whole number from 5 to 3600 (got 4)"),
    ("[telemetry]\nheartbeat_interval = 3601\n", "telemetry.heartbeat_interval: must be a whole number from 5 to 3600"),
    ("[telemetry]\nheartbeat_interval = 30.5\n", "telemetry.heartbeat_interval: must be a whole number (got 30.5)"),
    ('[telemetry]\nmetrics_port = "9107"\n', 'telemetry.metrics_port: must be a whole number (got "9107")'),
    ("[telemetry]\nmetrics_port = 80\n", "telemetry.metrics_port: must be 0 (off) or a port from 1024 to 65535 (got 80)"),
    ("[telemetry]\nmetrics_port = 70000\n", "telemetry.metrics_port: must be 0 (off) or a port from 1024 to 65535"),
    ('[telemetry]\nmetrics_host = "0.0.0.0"\n', "telemetry.metrics_host: unknown setting"),
])
def test_a_bad_telemetry_setting_is_refused(write_config, text, expected):
    with pytest.raises(ConfigError) as err:
        config.load(str(write_config(text)))
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_admin_defaults_and_a_good_section(write_config):
    assert config.load(None).admin == config.AdminSettings(card_uids=[], pin_file="", session_timeout=120)
    path = write_config('[admin]\ncard_uids = ["04A224B2C95E80", "deadbeef"]\nsession_timeout = 300\n')
    s = config.load(str(path))
    assert s.admin.card_uids == ["04A224B2C95E80", "deadbeef"] and s.admin.session_timeout == 300
    assert s.source == str(path.absolute())  # the admin editor saves back to this file


@pytest.mark.parametrize("text, expected", [
    ('[admin]\ncard_uids = ["04A2"]\n', "admin.card_uids: must list card UIDs as hex, 4 to 10 bytes each"),
    ('[admin]\ncard_uids = ["04A224B2C95E8"]\n', "admin.card_uids: must list card UIDs as hex"),
    ('[admin]\ncard_uids = ["not-hex!"]\n', "admin.card_uids: must list card UIDs as hex"),
    ('[admin]\ncard_uids = "04A224B2"\n', "admin.card_uids: must be a list of strings"),
    ("[admin]\nsession_timeout = 10\n", "admin.session_timeout: must be a whole number from 30 to 3600 (got 10)"),
    ('[admin]\npin = "1234"\n', "admin.pin: unknown setting"),
])
def test_a_bad_admin_setting_is_refused(write_config, text, expected):
    with pytest.raises(ConfigError) as err:
        config.load(str(write_config(text)))
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_the_terminal_timezone_is_checked(write_config):
    assert config.load(None).terminal.timezone == "Asia/Shanghai"
    assert config.load(str(write_config('[terminal]\ntimezone = "Asia/Urumqi"\n'))).terminal.timezone == "Asia/Urumqi"
    with pytest.raises(ConfigError, match="terminal.timezone: must be a time zone name"):
        config.load(str(write_config('[terminal]\ntimezone = "Mars/Olympus"\n')))
