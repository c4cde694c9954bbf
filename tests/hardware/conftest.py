"""Device fixtures. Shared by the hardware engineers: add fixtures, prefixed by device kind."""

import pytest


# --- ID card reader -------------------------------------------------------------

@pytest.fixture(params=["pty", "tcp"])
def idcard_emulator(request):
    """The wire-level ID card reader emulator with the seed cards, on a pty or a TCP port."""
    from hardware.idcard.emulator import IdCardEmulator
    emulator = IdCardEmulator(transport=request.param, slow_delay=2.0).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def idcard_reader(idcard_emulator):
    """The real driver connected to `idcard_emulator` through pyserial (pty path or socket:// URL).

    Timeouts are looser than the reference's 100 ms so a busy test machine does not flake;
    the emulator's slow answers (2 s) still miss them.
    """
    from hardware.idcard import frame
    from hardware.idcard.driver import IdCardReader
    reader = IdCardReader(idcard_emulator.url, idcard_emulator.link.driver_address, poll_interval=0.05,
                          timeouts={frame.FIND: 0.5, frame.SELECT: 0.5, frame.READ_ADDRESS: 0.5})
    reader.open()
    yield reader
    reader.close()


# --- scanner --------------------------------------------------------------------

@pytest.fixture(params=["pty", "tcp"])
def scanner_emulator(request):
    from hardware.scanner.emulator import ScannerEmulator
    emulator = ScannerEmulator(transport=request.param, baudrate=115200).start()
    yield emulator
    emulator.stop()


# --- serial lines (ID card reader, scanner) ----------------------------------------

HOLD_PORT = """
import sys, serial
try:
    port = serial.Serial(sys.argv[1], exclusive=True)
except serial.SerialException:
    print("could not lock", flush=True)
    sys.exit(1)
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def serial_port_holder():
    """`with serial_port_holder(path):` another program holds that serial port open and locked
    (pyserial's exclusive=True, as another kiosk or a serial console would) until the block ends."""
    import contextlib
    import subprocess
    import sys

    @contextlib.contextmanager
    def hold(path):
        proc = subprocess.Popen([sys.executable, "-c", HOLD_PORT, path], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        try:
            answer = proc.stdout.readline().strip()
            assert answer == "held", answer
            yield proc
        finally:
            proc.stdin.close()
            proc.wait(timeout=10)
    return hold


# --- receipt printer ------------------------------------------------------------

@pytest.fixture(params=["tcp", "pty"])
def printer_emulator(request):
    """The ESC/POS printer emulator (80 mm, GB18030, Chinese mode on) on a TCP port or a pty."""
    from hardware.printer.emulator import PrinterEmulator
    emulator = PrinterEmulator(width=80)
    emulator.driver_url = (emulator.start_tcp() if request.param == "tcp"
                           else "serial://" + emulator.start_pty())
    yield emulator
    emulator.stop()


@pytest.fixture
def printer_device(printer_emulator):
    """The real driver (python-escpos Network or Serial) connected to `printer_emulator`."""
    from hardware.printer.driver import ReceiptPrinter
    device = ReceiptPrinter(printer_emulator.driver_url, timeout=0.5)
    device.open()
    yield device
    device.close()


# --- smart card reader (PC/SC) --------------------------------------------------

def card_wait_reader_empty(timeout=5.0):
    """Wait until pcscd sees no card in 'Virtual PCD 00 00' (so tests start clean)."""
    import time
    from smartcard import scard
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hresult, states = scard.SCardGetStatusChange(
                context, 0, [("Virtual PCD 00 00", scard.SCARD_STATE_UNAWARE)])
            if hresult == scard.SCARD_S_SUCCESS and states[0][1] & scard.SCARD_STATE_EMPTY:
                return
            time.sleep(0.05)
    finally:
        scard.SCardReleaseContext(context)


@pytest.fixture
def card_clean_slot(pcscd_service):
    """vpcd's first slot is empty before and after the test (one card per slot at a time)."""
    card_wait_reader_empty()
    yield
    card_wait_reader_empty()


@pytest.fixture
def card_virtual(card_clean_slot):
    """The product's virtual card (seed cards) in vpcd's first slot, nothing inserted yet."""
    from hardware.card.vpcd_card import VirtualCard
    card = VirtualCard()
    yield card
    card.close()


@pytest.fixture
def card_reader(card_virtual):
    """The real pyscard driver on reader 'Virtual PCD 00 00', enabled (its watcher runs)."""
    from hardware.card import from_url
    reader = from_url("pcsc:Virtual PCD 00 00")
    reader.enable()
    yield reader
    reader.close()


# --- document camera ------------------------------------------------------------

@pytest.fixture(scope="session")
def camera_font():
    """The app's Simplified Chinese face, passed to the emulator as the app passes it."""
    from kiosk.fonts import find_cjk_font
    return str(find_cjk_font().regular)


@pytest.fixture(scope="module")
def _camera_emulator_running(camera_font):
    from hardware.camera.emulator import CameraEmulator
    emulator = CameraEmulator(camera_font).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def camera_emulator(_camera_emulator_running):
    """The MJPEG-over-HTTP camera emulator (page 1, no faults), shared by a module's tests:
    its scenes are rendered once each."""
    emulator = _camera_emulator_running
    emulator.clear()
    emulator.show(1)
    yield emulator
    emulator.clear()


@pytest.fixture
def camera(camera_emulator):
    """The real driver on the emulator's stream (cv2.VideoCapture over HTTP), enabled."""
    from hardware.camera import DocumentCamera, Source
    device = DocumentCamera(camera_emulator.url, Source.stream(camera_emulator.url), frame_timeout=2.0,
                            retry_interval=0.2)
    device.enable()
    yield device
    device.close()


# --- A4 printer (CUPS) ----------------------------------------------------------------

@pytest.fixture(scope="module")
def a4_cups():
    """A private cupsd (own config, spool and port; stopped by PID after) with the simulated queue."""
    from hardware.a4.spooler import PrivateCups
    with PrivateCups() as server:
        yield server


@pytest.fixture
def a4_printer(a4_cups):
    """The real driver on `a4_cups`' queue by its ipp:// URL, the queue ready and printing."""
    from hardware import open_device
    a4_cups.repair()
    printer = open_device("a4", f"{a4_cups.url}?timeout=30")
    printer.open()
    yield printer
    printer.close()
