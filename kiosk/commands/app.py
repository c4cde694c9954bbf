"""`kiosk run` (the terminal, full screen) and `kiosk demo` (windowed, simulated devices)."""

from __future__ import annotations

import argparse
import dataclasses

from kiosk import config
from kiosk.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                        help="settings file (overrides the global --config)")


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    add_arguments(parser)
    parser.add_argument("--size", metavar="WxH", help="window size, e.g. 1080x1920 or 540x960")


def run_run(args: argparse.Namespace) -> int:
    from screens.launch import launch

    return launch(config.load(args.config), lockdown=True, telemetry=True)


def demo_settings(size: str | None):
    """What the demo changes in any settings (the file's, and the file's again on a reload):
    every device sim:, the embedded hall, the window size asked for."""
    def adjust(settings: config.Settings) -> config.Settings:
        sim = dataclasses.replace(settings.devices, idcard="sim:", card="sim:", printer="sim:", scanner="sim:",
                                  camera="sim:", a4="sim:")
        ui = settings.ui if not size else dataclasses.replace(settings.ui, window_size=size)
        return settings.replace(devices=sim, ui=ui, hall=dataclasses.replace(settings.hall, url="embedded"))
    return adjust


def run_demo(args: argparse.Namespace) -> int:
    from screens.launch import launch

    settings = config.load(args.config)
    if args.size and config.parse_size(args.size) is None:
        raise ConfigError(f'--size: must be WIDTHxHEIGHT, e.g. "540x960" (got "{args.size}")')
    adjust = demo_settings(args.size)
    settings = adjust(settings)
    from kiosk.embedded_hall import EmbeddedHall

    hall = EmbeddedHall(settings.state_dir())
    print(f"kiosk demo: online hall at {hall.start()} (seed data)", flush=True)
    try:
        return launch(settings, lockdown=False, telemetry=True, adjust_settings=adjust)
    finally:
        hall.stop()


run = run_run
