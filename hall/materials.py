"""Applications' materials: files uploaded by terminals, where their bytes are kept, attaching them.

A terminal PUTs each page and the signature (hall/api/uploads.py) before it posts the
application naming them; the application's transaction checks and attaches them
(application_files) and drops the uploads. An upload belongs to its terminal: another
terminal cannot attach it. Uploads not attached within HALL_UPLOAD_TTL seconds (24 h) are
deleted by a cleanup thread, at start and then every hour.

Where the bytes are kept, by the environment of `kiosk hall`: HALL_MATERIALS_DIR set: files
in that directory named by their SHA-256 (mode 0600, the directory 0700), written and
fsynced before the row naming them is committed; unset: in the database
(material_blobs.data). Bytes are kept once per hash, however many uploads name them.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Mapping

from PIL import Image
from sqlalchemy import delete, select, union

from hall.db import ApplicationFile, Database, MaterialBlob, Upload
from hall.errors import HallError

log = logging.getLogger("hall.materials")

MAX_PAGES = 20                # an application's pages, all materials together
MAX_PAGE_BYTES = 1_500_000    # a JPEG page
MAX_SIGNATURE_BYTES = 200_000  # the PNG signature
LIMITS = {"max_pages": MAX_PAGES, "max_page_bytes": MAX_PAGE_BYTES, "max_signature_bytes": MAX_SIGNATURE_BYTES}
UPLOAD_TYPES = {"image/jpeg": MAX_PAGE_BYTES, "image/png": MAX_SIGNATURE_BYTES}  # type -> its byte limit
UPLOAD_MAX_BODY = max(UPLOAD_TYPES.values())
# Decoding is bounded too: a small file may declare a huge picture. A4 at 600 dpi is 35 MP;
# JPEGs are decoded at 1/8 scale (the DCT's own scaling), which still reads every block.
MAX_PIXELS = {"image/jpeg": 40_000_000, "image/png": 8_000_000}
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
UPLOAD_TTL = 24 * 3600
CLEANUP_EVERY = 3600
ORPHAN_AGE = 600  # a file in the directory without its row, older than this, was left by a crash


def image_problem(data: bytes, content_type: str) -> str | None:
    """Why `data` is not a picture of `content_type` that decodes, or None."""
    kind = FORMATS[content_type]
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            if image.width * image.height > MAX_PIXELS[content_type]:
                return f"over {MAX_PIXELS[content_type] // 1_000_000} megapixels"
            if kind == "JPEG":
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except Exception:  # a decoder fed untrusted bytes may raise anything; all mean "not an image"
        return f"not a {kind} image that decodes"
    return None


class Materials:
    def __init__(self, database: Database, directory: str | Path | None = None, ttl: float = UPLOAD_TTL):
        self.database, self.ttl = database, ttl
        self.directory = Path(directory) if directory else None
        if self.directory is not None:
            try:
                self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as e:
                raise ValueError(f"HALL_MATERIALS_DIR: cannot make {self.directory} ({e.strerror})") from None
            if not os.access(self.directory, os.W_OK | os.X_OK):
                raise ValueError(f"HALL_MATERIALS_DIR: {self.directory} is not writable by this user")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_environ(cls, database: Database, environ: Mapping[str, str] = os.environ) -> "Materials":
        ttl = environ.get("HALL_UPLOAD_TTL", "")
        if ttl and not (ttl.isdigit() and int(ttl) >= 1):
            raise ValueError(f"HALL_UPLOAD_TTL: must be whole seconds, at least 1 (got {ttl!r})")
        return cls(database, environ.get("HALL_MATERIALS_DIR") or None, int(ttl) if ttl else UPLOAD_TTL)

    # -- uploads -------------------------------------------------------------------

    def put(self, terminal_id: str, sha256: str, data: bytes, content_type: str) -> bool:
        """Keep an upload whose hash, size and type were checked; True when this terminal had
        not sent it before. HallError 422 not_an_image when it does not decode."""
        with self.database.read_session() as session:
            known = session.scalar(select(MaterialBlob.content_type).where(MaterialBlob.sha256 == sha256))
        if known != content_type:  # bytes already kept were decoded when they came
            problem = image_problem(data, content_type)
            if problem:
                raise HallError(422, "not_an_image", f"body: {problem}", [{"field": "body", "problem": problem}])
        now = time.time()
        with self.database.write_session() as session:
            blob = session.get(MaterialBlob, sha256)
            if blob is None:
                session.add(MaterialBlob(sha256=sha256, size=len(data), content_type=content_type,
                                         data=None if self.directory else data, touched_at=now))
                session.flush()
            else:
                blob.touched_at = now
            if self.directory is not None and (blob is None or blob.data is None):
                path = self.directory / sha256
                if blob is None or not path.exists():
                    self._write_file(path, data)
            upload = session.get(Upload, (terminal_id, sha256))
            if upload is None:
                session.add(Upload(terminal_id=terminal_id, sha256=sha256, uploaded_at=now))
            else:
                upload.uploaded_at = now  # sent again: kept another day
            session.commit()
        return upload is None

    def read(self, sha256: str) -> tuple[bytes, str] | None:
        """(bytes, content type) of a kept file, None if it is not kept."""
        with self.database.read_session() as session:
            blob = session.get(MaterialBlob, sha256)
        if blob is None:
            return None
        if blob.data is not None:
            return blob.data, blob.content_type
        if self.directory is None:
            raise RuntimeError("this file is kept on disk, but HALL_MATERIALS_DIR is not set")
        return (self.directory / sha256).read_bytes(), blob.content_type

    def _write_file(self, path: Path, data: bytes) -> None:
        # Under a temporary name until complete and fsynced: a file named by a hash holds those bytes.
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    # -- cleanup -------------------------------------------------------------------

    def cleanup(self, now: float | None = None, orphans: bool = False) -> int:
        """Delete uploads older than the TTL and the bytes nothing names any more (with
        `orphans`, also files in the directory without their row); the uploads deleted."""
        now = time.time() if now is None else now
        cutoff = now - self.ttl
        with self.database.write_session() as session:
            expired = session.execute(delete(Upload).where(Upload.uploaded_at < cutoff)).rowcount
            named = union(select(Upload.sha256), select(ApplicationFile.sha256))
            gone = session.scalars(delete(MaterialBlob).where(
                MaterialBlob.sha256.not_in(named), MaterialBlob.touched_at < cutoff)
                .returning(MaterialBlob.sha256)).all()
            if self.directory is not None:
                # Before the commit: an upload of the same bytes waits for it, then writes them anew.
                for sha256 in gone:
                    (self.directory / sha256).unlink(missing_ok=True)
                if orphans:
                    self._remove_orphans(session, now)
            session.commit()
        if expired or gone:
            log.info("cleanup: %d uploads not attached within %g s deleted, %d files", expired, self.ttl, len(gone))
        return expired

    def _remove_orphans(self, session, now: float) -> None:
        kept = set(session.scalars(select(MaterialBlob.sha256).where(MaterialBlob.data.is_(None))))
        for entry in os.scandir(self.directory):
            if entry.name not in kept and entry.is_file() and now - entry.stat().st_mtime > ORPHAN_AGE:
                os.unlink(entry.path)

    def start(self) -> "Materials":
        """Clean up now (with the files a crash left), then every hour (or half the TTL)."""
        self.cleanup(orphans=True)
        self._thread = threading.Thread(target=self._run, name="materials-cleanup", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(min(CLEANUP_EVERY, self.ttl / 2)):
            try:
                self.cleanup()
            except Exception:  # the next round tries again
                log.exception("materials cleanup failed")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- attaching to an application -----------------------------------------------------

def attach(session, terminal_id: str, application_id: int, materials: list, signature,
           limits: Mapping[str, int] = LIMITS, stored_as: str = "materials.") -> None:
    """Check every file the application names and attach it, in the application's transaction.

    `materials` are MaterialRefs and `signature` a FileRef or None (hall/api/material_refs.py).
    422 naming each `materials.<key>.pages.<i>` / `signature` that fails: `missing_upload`
    when one was not uploaded by this terminal (it may send it and try again), else `invalid`.
    A page is kept as `<stored_as><key>.pages.<i>` (a 补正's pages: `supplement.<n>.`).
    """
    problems: list[dict] = []
    refs = []  # (field, material key, page, FileRef, type it must be, its byte limit)
    fields = {}  # field in the body -> the field it is kept as
    seen: set[str] = set()
    for material in materials:
        if material.key in seen:
            problems.append({"field": f"materials.{material.key}", "problem": "given twice"})
        seen.add(material.key)
        for i, page in enumerate(material.pages):
            field = f"materials.{material.key}.pages.{i}"
            fields[field] = f"{stored_as}{material.key}.pages.{i}"
            refs.append((field, material.key, i, page, "image/jpeg", limits["max_page_bytes"]))
    if signature is not None:
        refs.append(("signature", None, None, signature, "image/png", limits["max_signature_bytes"]))
    hashes = {ref.sha256 for *_, ref, _, _ in refs}
    uploaded = {sha256: (size, content_type) for sha256, size, content_type in session.execute(
        select(MaterialBlob.sha256, MaterialBlob.size, MaterialBlob.content_type)
        .join(Upload, Upload.sha256 == MaterialBlob.sha256)
        .where(Upload.terminal_id == terminal_id, MaterialBlob.sha256.in_(hashes)))}
    missing = False
    for field, _, _, ref, must_be, limit in refs:
        problem = None
        if ref.type != must_be:
            problem = f"must be {must_be}"
        elif ref.size > limit:
            problem = f"over {limit} bytes"
        elif ref.sha256 not in uploaded:
            problem, missing = "not uploaded by this terminal", True
        elif uploaded[ref.sha256] != (ref.size, ref.type):
            problem = "size or type does not match the upload"
        if problem:
            problems.append({"field": field, "problem": problem})
    if problems:
        first = problems[0]
        raise HallError(422, "missing_upload" if missing else "invalid", f"{first['field']}: {first['problem']}",
                        problems)
    session.add_all(ApplicationFile(application_id=application_id, field=fields.get(field, field),
                                    material_key=key, page=page,
                                    sha256=ref.sha256, size=ref.size, content_type=ref.type)
                    for field, key, page, ref, _, _ in refs)
    session.execute(delete(Upload).where(Upload.terminal_id == terminal_id, Upload.sha256.in_(hashes)))
