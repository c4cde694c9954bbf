"""Expected failures: each carries one plain line for a person to act on."""


class KioskError(Exception):
    """A failure the CLI prints as one line (no traceback) and exits non-zero on."""

    exit_code = 1


class ConfigError(KioskError):
    exit_code = 3


class FontError(KioskError):
    exit_code = 4
