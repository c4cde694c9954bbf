"""A private CUPS server (cupsd) for the simulated A4 printer and the tests.

Its own configuration, spool and logs in a temporary folder, a free port on
127.0.0.1, one raw queue whose backend (sim_backend.py) writes each job's PDF
into the folder: the jobs go through the real scheduler, so the driver meets
the same job states and printer-state-reasons a real printer gives it. Nothing
of the system's CUPS service is used or touched. Stopped by its PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hardware.model import DeviceError, die_with_parent

CUPSD = ("/usr/sbin/cupsd", "/usr/local/sbin/cupsd")
SYSTEM_BIN = Path("/usr/lib/cups")
QUEUE = "kiosk-a4"
FAULTS = ("media-empty", "door-open", "offline", "toner-low", "hang")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _own_session_dying_with_us() -> None:
    """Out of the terminal's signals (Ctrl-C), and sent SIGTERM when the thread that started
    it ends (a crash of the terminal included): no private cupsd is left behind."""
    os.setsid()
    die_with_parent()


def _cupsd() -> str:
    for path in CUPSD:
        if os.access(path, os.X_OK):
            return path
    found = shutil.which("cupsd")
    if not found:
        raise DeviceError("the simulated A4 printer needs CUPS (apt install cups)")
    return found


class PrivateCups:
    """``with PrivateCups() as cups:`` a cupsd on ``cups.port`` with the queue ``cups.queue``."""

    def __init__(self, root: Path | None = None) -> None:
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-cups-")) if root is None else root
        self.port = 0
        self.queue = QUEUE
        self.process: subprocess.Popen | None = None

    @property
    def out(self) -> Path:
        """Where the printed documents come out, one job-NNNNN.pdf per job."""
        return self.root / "device" / "out"

    @property
    def url(self) -> str:
        return f"ipp://127.0.0.1:{self.port}/printers/{self.queue}"

    def printed(self) -> list[Path]:
        return sorted(self.out.glob("job-*.pdf")) if self.out.is_dir() else []

    def set_fault(self, fault: str = "") -> None:
        """What the printer does with its next job: one of FAULTS, or "" to print."""
        if fault and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r} (known: {', '.join(FAULTS)})")
        path = self.root / "device" / "fault"
        path.write_text(fault)
        path.chmod(0o644)

    def repair(self) -> None:
        """What staff do after a fault: the printer fixed (no fault), the queue started again."""
        import cups
        self.set_fault("")
        connection = cups.Connection(host="127.0.0.1", port=self.port)
        connection.enablePrinter(self.queue)
        connection.acceptJobs(self.queue)

    def stop_queue(self) -> None:
        """An admin's cupsdisable: the queue keeps jobs but prints none."""
        import cups
        cups.Connection(host="127.0.0.1", port=self.port).disablePrinter(self.queue)

    # lifecycle ---------------------------------------------------------------
    def start(self, timeout: float = 15.0) -> PrivateCups:
        self._write_config()
        self.process = subprocess.Popen(
            [_cupsd(), "-f", "-c", str(self.root / "cupsd.conf"), "-s", str(self.root / "cups-files.conf")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=_own_session_dying_with_us)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace").strip()
                raise DeviceError(f"the private CUPS server did not start: {err or self._log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise DeviceError(f"the private CUPS server did not answer within {timeout:g} s")
            time.sleep(0.05)
        self._add_queue()
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(5)
        if process is not None and process.stderr:
            process.stderr.close()

    def remove(self) -> None:
        self.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivateCups:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.remove()

    # set-up --------------------------------------------------------------------
    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def _log_tail(self) -> str:
        log = self.root / "log" / "error_log"
        return log.read_text(errors="replace").strip().splitlines()[-1] if log.exists() else ""

    def _write_config(self) -> None:
        root = self.root
        for sub in ("spool", "spool/tmp", "cache", "state", "log", "conf", "bin/backend", "device"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        # cupsd checks that what it runs is not writable by others; the device folder is
        # written by the backend, which runs as the unprivileged user lp under a root cupsd
        root.chmod(0o755)
        (root / "device").chmod(0o777)
        bin_ = root / "bin"
        for name in ("filter", "daemon", "cgi-bin", "monitor", "notifier", "driver"):
            if (SYSTEM_BIN / name).exists() and not (bin_ / name).exists():
                (bin_ / name).symlink_to(SYSTEM_BIN / name)
        backend = bin_ / "backend" / "kiosk-sim"
        source = Path(__file__).with_name("sim_backend.py").read_text()
        # a root cupsd runs it as lp, who may not reach this venv's interpreter
        python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
        backend.write_text(f"#!{python}\n{source}")
        backend.chmod(0o755)
        if not self.port:
            self.port = _free_port()
        user = ""
        if os.geteuid() != 0:  # an unprivileged cupsd runs everything as its own user (as CUPS' tests do)
            import grp
            import pwd
            group = grp.getgrgid(os.getegid()).gr_name
            user = f"User {pwd.getpwuid(os.geteuid()).pw_name}\nGroup {group}\nSystemGroup {group}\n"
        (root / "cups-files.conf").write_text(
            f"{user}ServerRoot {root / 'conf'}\nRequestRoot {root / 'spool'}\n"
            f"TempDir {root / 'spool' / 'tmp'}\nServerBin {bin_}\nCacheDir {root / 'cache'}\n"
            f"StateDir {root / 'state'}\nDataDir /usr/share/cups\nDocumentRoot /usr/share/cups/doc-root\n"
            f"AccessLog {root / 'log' / 'access_log'}\nErrorLog {root / 'log' / 'error_log'}\n"
            f"PageLog {root / 'log' / 'page_log'}\nFileDevice No\nSandboxing Relaxed\n")
        (root / "cupsd.conf").write_text(
            f"Listen 127.0.0.1:{self.port}\nBrowsing No\nDefaultAuthType None\nLogLevel warn\n"
            "PreserveJobHistory Yes\nMaxJobs 500\nJobRetryLimit 0\n"
            "<Location />\nOrder allow,deny\nAllow from 127.0.0.1\n</Location>\n"
            "<Policy default>\n<Limit All>\nOrder deny,allow\n</Limit>\n</Policy>\n")

    def _add_queue(self) -> None:
        import cups
        connection = cups.Connection(host="127.0.0.1", port=self.port)
        connection.addPrinter(self.queue, device=f"kiosk-sim:{self.root / 'device'}",
                              info="Simulated A4 printer")
        connection.enablePrinter(self.queue)
        connection.acceptJobs(self.queue)
        self.set_fault("")
