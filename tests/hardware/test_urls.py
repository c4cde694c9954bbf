"""Device URLs: one parser, the (kind, scheme) registry, `none:`, and hardware/ standing on its own."""

import ast
from pathlib import Path

import pytest

from hardware import KINDS, DeviceUrl, configured, open_device
from hardware.urls import DeviceUrlError, device_kind, schemes

FORMS = {
    "idcard": "serial:///dev/ttyUSB0?baudrate=115200, socket://HOST:PORT or sim:",
    "card": "pcsc:, pcsc:READER NAME or sim:",
    "printer": "usb://0xVVVV:0xPPPP, serial:///dev/ttyS1?baudrate=9600, tcp://HOST:9100, "
               "file:///dev/usb/lp0 or sim:",
    "scanner": "serial:///dev/ttyACM0, socket://HOST:PORT, hid: or sim:",
    "camera": "v4l2:///dev/video0, http://HOST:PORT/PATH, https://HOST:PORT/PATH or sim:",
    "a4": "cups:QUEUE, ipp://HOST/printers/NAME, ipps://HOST/printers/NAME or sim:",
}
NOUNS = {"idcard": "ID card reader", "card": "card reader", "printer": "printer", "scanner": "scanner",
         "camera": "document camera", "a4": "A4 printer"}


@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_scheme_is_refused_with_the_kinds_forms_as_its_own_error(kind):
    with pytest.raises(device_kind(kind).error) as refused:
        open_device(kind, "ftp://somewhere/x")
    assert str(refused.value) == f"unsupported {NOUNS[kind]} URL 'ftp://somewhere/x': use {FORMS[kind]}"
    # every scheme the driver package opens is among the forms the message lists
    listed = FORMS[kind].replace(" or ", ", ").split(", ")
    assert sorted(schemes(kind)) == sorted({form.split(":")[0] for form in listed})


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("url", ["none:", "NONE:", " none:"])
def test_none_is_not_configured_for_every_kind(kind, url):
    assert not configured(url) and not DeviceUrl.parse(url).configured
    with pytest.raises(device_kind(kind).error, match=rf"no {NOUNS[kind]} is configured \(\[devices\] {kind} = "):
        open_device(kind, url)


def test_other_urls_are_configured():
    assert all(configured(url) for url in ["sim:", "pcsc:", "hid:", "nonesuch:", "none", ""])


def test_unknown_kind():
    with pytest.raises(Exception, match="unknown device kind 'fax'"):
        open_device("fax", "sim:")


def test_parse_splits_once():
    url = DeviceUrl.parse("socket://Bridge.local:7001?baudrate=9600&baudrate=19200&x=1")
    assert (url.scheme, url.host, url.port, url.path) == ("socket", "bridge.local", 7001, "")
    assert dict(url.query) == {"baudrate": "19200", "x": "1"}   # the last value counts
    usb = DeviceUrl.parse("usb://0x0416:0x5011")
    assert (usb.netloc, usb.port) == ("0x0416:0x5011", None)   # vendor:product, not a port
    pcsc = DeviceUrl.parse("pcsc:ACS ACR39U")
    assert (pcsc.scheme, pcsc.path) == ("pcsc", "ACS ACR39U")
    assert DeviceUrl.parse("tcp://h:9100?width=58").with_query(width="80").text == "tcp://h:9100?width=80"


def test_numbers_in_the_query():
    url = DeviceUrl.parse("hid:?gap_ms=20&min_length=x&baudrate=1234")
    assert url.number("gap_ms", 30) == 20 and url.number("absent", 4, whole=True) == 4
    with pytest.raises(DeviceUrlError, match="min_length must be a positive number"):
        url.number("min_length", 4, whole=True)
    with pytest.raises(DeviceUrlError, match="baudrate must be one of 9600, 115200"):
        url.number("baudrate", 9600, whole=True, choices=(9600, 115200))


def test_the_settings_check_takes_the_schemes_the_drivers_open():
    from kiosk.config import DEVICE_SCHEMES
    assert {kind: sorted(DEVICE_SCHEMES[kind]) for kind in KINDS} == \
        {kind: sorted([*schemes(kind), "none"]) for kind in KINDS}


def test_hardware_imports_nothing_from_kiosk():
    root = Path(__file__).resolve().parents[2] / "hardware"
    reaching_up = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            reaching_up += [f"{path.relative_to(root)}:{node.lineno} {n}" for n in names
                            if n.split(".")[0] == "kiosk"]
    assert reaching_up == []
