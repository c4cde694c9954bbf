"""Where the project's files live."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = Path(os.environ.get("KIOSK_ASSETS", ROOT / "assets"))
LOCALE = ASSETS / "locale"
FONTS = ASSETS / "fonts"
SOUNDS = ASSETS / "sounds"
SEED = ASSETS / "seed"
SYSTEM_CONFIG = Path("/etc/kiosk/kiosk.toml")
