"""Running the real `kiosk` command in a subprocess, and a free TCP port for a server to take."""

import os
import socket
import subprocess
import sys


def kiosk_env(**extra):
    """The environment for a `kiosk` subprocess, without the test process's Kivy or SDL settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIVY_", "SDL_"))}
    env.update(extra)
    return env


def run_kiosk(*args, timeout=60, env=None):
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=kiosk_env(**(env or {})))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
