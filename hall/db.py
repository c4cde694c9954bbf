"""Tables and the engine. SQLite file by default (WAL), PostgreSQL by URL.

One transaction per request: readers use `read_session`, writers `write_session`.
There are no migrations: a table a newer version adds is created at start, and so is a nullable
column it adds to an existing table (`_add_missing_columns`); nothing else changes by itself.
On SQLite a writer starts with BEGIN IMMEDIATE so that two writers queue on the
busy timeout instead of one failing with "database is locked" when it upgrades a
read transaction (the default deferred BEGIN does that under concurrency).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (JSON, Date, DateTime, Float, ForeignKey, Integer, LargeBinary,
                        String, Text, UniqueConstraint, create_engine, event, inspect)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Terminal(Base):
    __tablename__ = "terminals"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    secret: Mapped[str] = mapped_column(String(200))


class Nonce(Base):
    __tablename__ = "nonces"
    terminal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[float] = mapped_column(Float, index=True)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency"
    terminal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Meta(Base):
    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Department(Base):
    __tablename__ = "departments"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")


class Item(Base):
    __tablename__ = "items"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    audience_tags: Mapped[str] = mapped_column(String(40))   # "|个人|法人|" for LIKE filters
    theme_tags: Mapped[str] = mapped_column(String(400))
    search_text: Mapped[str] = mapped_column(Text)            # name, code, pinyin, initials
    data: Mapped[dict[str, Any]] = mapped_column(JSON)         # the whole Item as served


class Form(Base):
    """An online item's form definition as served (hall.models.FormDefinition)."""
    __tablename__ = "forms"
    item_code: Mapped[str] = mapped_column(ForeignKey("items.code"), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)


class Application(Base):
    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    item_code: Mapped[str] = mapped_column(ForeignKey("items.code"))
    item_name: Mapped[str] = mapped_column(String(200))
    terminal_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    applicant_name: Mapped[str] = mapped_column(String(50))
    applicant_phone: Mapped[str] = mapped_column(String(20))
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    id_masked: Mapped[str] = mapped_column(String(18))
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    # As the terminal sent them; NULL from terminals older than item forms.
    form_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    materials: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    signature: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    status: Mapped[str] = mapped_column(String(8))
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    limit_days: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    timeline: Mapped[list[Any]] = mapped_column(JSON)


class MaterialBlob(Base):
    """A material's bytes, once per SHA-256 (hall.materials): in `data`, or in the materials
    directory (HALL_MATERIALS_DIR) when `data` is NULL."""
    __tablename__ = "material_blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    touched_at: Mapped[float] = mapped_column(Float)  # its last upload


class Upload(Base):
    """A terminal sent this file and has not attached it to an application yet (kept 24 h)."""
    __tablename__ = "uploads"
    terminal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("material_blobs.sha256"), primary_key=True)
    uploaded_at: Mapped[float] = mapped_column(Float, index=True)


class ApplicationFile(Base):
    """A page of a material, or the signature, of an application."""
    __tablename__ = "application_files"
    __table_args__ = (UniqueConstraint("application_id", "field"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    field: Mapped[str] = mapped_column(String(48))  # materials.m1.pages.0 | signature
    material_key: Mapped[str | None] = mapped_column(String(16), nullable=True)
    page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("material_blobs.sha256"), index=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(32))


class HotlineRequest(Base):
    __tablename__ = "requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket: Mapped[str] = mapped_column(String(16), unique=True)
    type: Mapped[str] = mapped_column(String(4))
    content: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(50))
    terminal_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(4))
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    due_date: Mapped[date] = mapped_column(Date)
    history: Mapped[list[Any]] = mapped_column(JSON)
    # Set by the back office (hall.workbench.requests): where it was sent, and its answer.
    department_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)


class Rating(Base):
    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_ref: Mapped[str] = mapped_column(String(64))
    # kind:ref for things rated once (一事一评); NULL for guides, which many residents rate.
    once_key: Mapped[str | None] = mapped_column(String(90), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    terminal_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Rectification(Base):
    """整改 of a 差评 (国办发〔2019〕51号): a supervisor sends it to a department, which answers
    within RECTIFY_DAYS working days of the assignment (hall.workbench.rectification)."""
    __tablename__ = "rectifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), unique=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    assigned_by: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(DateTime)
    due_date: Mapped[date] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Outlet(Base):
    __tablename__ = "outlets"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(200))
    hours: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    items: Mapped[list[Any]] = mapped_column(JSON)
    appointment: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class Slot(Base):
    __tablename__ = "slots"
    __table_args__ = (UniqueConstraint("outlet_id", "day", "start"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet_id: Mapped[str] = mapped_column(ForeignKey("outlets.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)


class Booking(Base):
    __tablename__ = "bookings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    ticket: Mapped[str] = mapped_column(String(16))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20))
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    id_masked: Mapped[str] = mapped_column(String(18))
    status: Mapped[str] = mapped_column(String(12))
    terminal_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Notice(Base):
    __tablename__ = "notices"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    published: Mapped[date] = mapped_column(Date, index=True)
    department: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)


def _add_missing_columns(engine: Engine) -> None:
    """Add the nullable columns a database made by an older version lacks."""
    existing, quote = inspect(engine), engine.dialect.identifier_preparer.quote
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            have = {c["name"] for c in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have:
                    if not column.nullable:
                        raise RuntimeError(f"table {table.name} lacks column {column.name}: the database is older "
                                           "than this hall and cannot be upgraded in place")
                    connection.exec_driver_sql(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(column.name)} "
                                               f"{column.type.compile(engine.dialect)}")


def database_url(url_or_path: str) -> str:
    """A SQLAlchemy URL as given, or a plain file path made into a SQLite URL."""
    if "://" in url_or_path:
        return url_or_path
    return "sqlite:///" + str(Path(url_or_path).expanduser().resolve())


def make_engine(url_or_path: str) -> Engine:
    url = database_url(url_or_path)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                           pool_size=8, max_overflow=8)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see module doc)
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
            cursor.execute("PRAGMA " + pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        write = connection.get_execution_options().get("hall_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class Database:
    def __init__(self, url_or_path: str):
        self.engine = make_engine(url_or_path)
        Base.metadata.create_all(self.engine)
        _add_missing_columns(self.engine)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(hall_write=True), expire_on_commit=False)

    def read_session(self) -> Session:
        return self._read()

    def write_session(self) -> Session:
        return self._write()

    def dispose(self) -> None:
        self.engine.dispose()
