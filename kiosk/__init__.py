"""The terminal's core: settings, CLI, session, services, hall client, i18n."""

__version__ = "0.1.0"
