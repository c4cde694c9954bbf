"""`kiosk print-test`: print the test receipt (Chinese, CJK punctuation, QR, barcode, cut)."""

from __future__ import annotations

import argparse

from kiosk.errors import KioskError


class PrinterFailed(KioskError):
    exit_code = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--printer", metavar="URL",
                        help="printer URL (default: devices.printer from the settings), e.g. "
                             "tcp://10.0.0.9:9100, serial:///dev/ttyS1?baudrate=9600, sim:")
    parser.add_argument("--width", type=int, choices=(58, 80), help="paper width in mm")
    parser.add_argument("--preview", metavar="PNG", help="also write a PNG preview of the receipt")


def run(args: argparse.Namespace) -> int:
    from hardware import open_device
    from hardware.model import DeviceError
    from hardware.printer.stream import StreamParser
    from hardware.printer.testpage import selftest_receipt
    from kiosk import config

    settings = config.load(args.config)
    url = args.printer or settings.devices.printer
    device = None
    try:
        device = open_device("printer", url, width=args.width)
        data = selftest_receipt(settings.terminal.name).encode(device.options)
        status = device.print_bytes(data)
        if args.preview:
            from kiosk.fonts import find_cjk_font
            fonts = find_cjk_font(settings.ui.font)
            emulator = device.emulator
            if emulator is not None and emulator.wait_for_jobs(1, 5.0):
                png = emulator.png(emulator.jobs[-1], fonts)  # what the emulated printer received
            else:  # a real printer: render the bytes we sent
                from hardware.printer.preview import render_png
                job = StreamParser(device.options.encoding, True).feed(data)[0]
                png = render_png(job, device.options.paper.dots, fonts)
            try:
                with open(args.preview, "wb") as f:
                    f.write(png)
            except OSError as e:
                raise KioskError(f"cannot write the preview {args.preview}: {e.strerror}") from None
    except DeviceError as e:
        raise PrinterFailed(str(e)) from None
    finally:
        if device is not None:
            device.close()
    note = f" (warning: {status.reason})" if status.reason else ""
    print(f"printed a test receipt on {url}{note}")
    return 0
