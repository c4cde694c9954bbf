"""The outbox's files: a queued submission's pages and signature, on disk until the hall has them.

One folder per local reference under the state directory's `outbox/` (mode 0700), one file
per SHA-256 in it (mode 0600). `write` returns only once the files and both folders are
fsynced, so a row committed after it never names a file a power cut can take away. Files
are read back one at a time when they are sent, and never logged.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

TYPES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
_REF = re.compile(r"LOCAL-[A-Z0-9]{8}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def content_type(data: bytes) -> str | None:
    """image/jpeg or image/png by the file's first bytes; None for anything else."""
    return next((kind for magic, kind in TYPES if data.startswith(magic)), None)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class OutboxFiles:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def write(self, ref: str, files: dict[str, bytes]) -> None:
        """Write `files` (SHA-256 -> bytes) for `ref`, durably; OSError leaves nothing behind."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = self._folder(ref)
        folder.mkdir(mode=0o700)
        try:
            for digest, data in files.items():
                fd = os.open(folder / digest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            _fsync_dir(folder)
            _fsync_dir(self.folder)  # the entry of the new folder
        except OSError:
            self.delete(ref)
            raise

    def read(self, ref: str, digest: str) -> bytes:
        if not _SHA256.fullmatch(digest):
            raise ValueError("not a SHA-256")
        return (self._folder(ref) / digest).read_bytes()

    def delete(self, ref: str) -> None:
        shutil.rmtree(self._folder(ref), ignore_errors=True)

    def refs(self) -> list[str]:
        """The references that have a folder here."""
        try:
            return [entry.name for entry in os.scandir(self.folder) if _REF.fullmatch(entry.name)]
        except FileNotFoundError:
            return []

    def _folder(self, ref: str) -> Path:
        if not _REF.fullmatch(ref):
            raise ValueError("not a local reference")
        return self.folder / ref


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
