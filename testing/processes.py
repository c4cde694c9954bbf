"""Running the real `kiosk` command in a subprocess, and a free TCP port for a server to take."""

import os
import random
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
    """A port free now, for a server started later (a late hall is told its URL first). Picked
    below the kernel's ephemeral range: a port from port 0, as every other test's server and
    outgoing connection takes, could be handed to another process before ours binds it."""
    low = _ephemeral_start()
    for _ in range(100):
        port = random.randrange(max(1024, low - 12000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def _ephemeral_start() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768
