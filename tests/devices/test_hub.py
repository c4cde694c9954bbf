"""The DeviceHub with real drivers on their real transports (`sim:` emulators, pcscd + vpcd)."""

import threading
import time

import pytest

from hardware.model import DeviceError, Health, Paper
from kiosk.devices import DeviceHub, DeviceTimeout

ALL_SIM = {"idcard": "sim:", "card": "sim:", "printer": "sim:", "scanner": "sim:"}


class Events:
    """Collects forwarded events with the thread each arrived on."""

    def __init__(self):
        self.items, self.threads = [], set()
        self.changed = threading.Condition()

    def __call__(self, event):
        with self.changed:
            self.items.append(event)
            self.threads.add(threading.current_thread().name)
            self.changed.notify_all()

    def wait_for(self, predicate, timeout=10):
        with self.changed:
            return self.changed.wait_for(lambda: any(predicate(e) for e in self.items), timeout)


@pytest.fixture
def hub_for():
    hubs = []

    def make(urls, **options):
        hub = DeviceHub(urls, **options)
        hubs.append(hub)
        return hub
    yield make
    for hub in hubs:
        hub.close()


def test_four_sim_devices_open_off_the_callers_thread_and_report_ok(pcscd_service, hub_for):
    events = Events()
    hub = hub_for(ALL_SIM, on_event=events).start()
    assert hub.wait_open(30)
    statuses = hub.check_all(10)
    assert {k: s.health for k, s in statuses.items()} == {k: Health.OK for k in ALL_SIM}, statuses
    assert statuses["printer"].paper is Paper.OK
    assert statuses["idcard"].paper is None
    described = hub.describe()
    assert set(described) == set(ALL_SIM)
    assert all(d["lifecycle"] == "open" and isinstance(d["counters"], dict) for d in described.values())
    # every device said something (its status), and never on the test's own thread
    assert {e.device for e in events.items if e.kind == "status"} == set(ALL_SIM)
    assert threading.current_thread().name not in events.threads


def test_none_and_bad_urls_are_reported_not_raised(hub_for):
    hub = hub_for({"idcard": "none:", "printer": "serial:///dev/does-not-exist",
                   "scanner": "bogus://nowhere", "card": "pcsc-typo:"}).start()
    assert hub.wait_open(20)
    for statuses in (hub.statuses(), hub.check_all(5)):  # a second look retries the opening
        assert statuses["idcard"].health is Health.ABSENT
        assert statuses["idcard"].reason == "not configured"
        assert statuses["printer"].health is Health.OFFLINE
        assert "cannot reach the printer" in statuses["printer"].reason
        assert statuses["scanner"].health is Health.ABSENT
        assert "unsupported scanner URL" in statuses["scanner"].reason
        assert statuses["card"].health is Health.ABSENT
        assert "unsupported card reader URL" in statuses["card"].reason
    with pytest.raises(DeviceError, match="not configured"):
        hub.call("idcard", lambda d: d.check_health(), 1)
    with pytest.raises(DeviceError, match="unsupported scanner URL"):
        hub.call("scanner", lambda d: d.check_health(), 5)


def test_configured_is_every_kind_with_a_url_but_none(hub_for):
    hub = hub_for({"idcard": "none:", "printer": "NONE:", "scanner": "hid:", "card": "bogus://x"})
    assert {kind: hub.configured(kind) for kind in hub.kinds()} == \
        {"idcard": False, "printer": False, "scanner": True, "card": True}
    assert not hub_for({"idcard": "sim:"}).configured("printer")  # a kind the hub was not given


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown device kind 'fax'"):
        DeviceHub({"fax": "sim:"})


def test_a_hung_health_check_does_not_hold_up_the_others(pcscd_service, hub_for):
    from hardware.idcard import frame
    hub = hub_for(ALL_SIM).start()
    assert hub.wait_open(30)
    reader = hub.device("idcard")
    reader.timeouts[frame.SAM_STATUS] = 6.0  # the driver waits long: its check hangs for slow_delay
    reader.emulator.slow_delay = 3.0
    reader.emulator.set_fault("slow")

    statuses = hub.check_all(1.0)
    assert statuses["idcard"].health is Health.OFFLINE
    assert "no answer to a health check within 1 s" in statuses["idcard"].reason
    assert all(statuses[k].health is Health.OK for k in ("card", "printer", "scanner")), statuses
    # asked again while the first check still hangs: not queued twice, still bounded
    again = hub.check_all(0.5)
    assert again["idcard"].health is Health.OFFLINE and again["printer"].health is Health.OK
    # Both answered before the slow answer came: had either waited for it, it would have said OK,
    # which the hung check says by itself only now, when the answer arrives.
    deadline = time.monotonic() + 20
    while hub.statuses()["idcard"].health is not Health.OK and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub.statuses()["idcard"].health is Health.OK, hub.statuses()["idcard"]

    with pytest.raises(DeviceTimeout, match="did not finish within 0.2 s"):
        hub.call("idcard", lambda d: d.sam_status(), 0.2)

    reader.emulator.set_fault("none")
    deadline = time.monotonic() + 20
    while hub.check_all(2.0)["idcard"].health is not Health.OK and time.monotonic() < deadline:
        pass
    assert hub.statuses()["idcard"].health is Health.OK  # it recovers by itself


def test_events_reach_the_callback_even_after_it_failed_once(hub_for):
    calls = []

    def flaky(event):
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("listener bug")
    events = Events()
    hub = hub_for({"scanner": "sim:?codes=KIOSK-HUB-1,KIOSK-HUB-2"},
                  on_event=lambda e: (events(e), flaky(e)), enable=True).start()
    assert events.wait_for(lambda e: e.kind == "scanned" and e.data == "KIOSK-HUB-2", 15)
    scanned = [e.data for e in events.items if e.kind == "scanned"]
    assert scanned == ["KIOSK-HUB-1", "KIOSK-HUB-2"]
    assert hub.describe()["scanner"]["counters"]["scans"] == 2
    assert hub.device("scanner").lifecycle.value == "enabled"


def test_sim_id_card_read_through_the_hub(hub_for):
    hub = hub_for({"idcard": "sim:?card=mainland"}).start()
    identity = hub.call("idcard", lambda reader: reader.read_card(timeout=5), 15)
    assert len(identity.id_number) == 18 and identity.id_number[:6].isdigit()
    identity.wipe()
    assert identity.wiped
    assert hub.describe()["idcard"]["counters"]["reads"] == 1


def test_a_receipt_cut_short_shows_in_the_printers_health(hub_for):
    from kiosk.receipts import PrintOutcome, print_receipt
    from hardware.printer.testpage import selftest_receipt
    hub = hub_for({"printer": "sim:"}).start()
    assert hub.wait_open(20) and hub.statuses()["printer"].health is Health.OK
    hub.device("printer").emulator.paper_out_after(9 + 300)
    outcome = hub.call("printer", lambda p: print_receipt(p, selftest_receipt()), 10)
    assert outcome == PrintOutcome(False, "The printer is out of paper.", "paper-out")
    status = hub.statuses()["printer"]  # what the heartbeat sends the console
    assert (status.health, status.reason, status.paper) == (Health.ERROR, "out of paper", Paper.EMPTY)


def test_close_is_idempotent_and_calls_after_close_fail_plainly(hub_for):
    hub = hub_for({"printer": "sim:"}).start()
    assert hub.wait_open(15)
    hub.close()
    hub.close()
    assert hub.device("printer").lifecycle.value == "closed"
    with pytest.raises(DeviceError):
        hub.call("printer", lambda p: p.check_health(), 1)
