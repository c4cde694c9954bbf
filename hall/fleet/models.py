"""The fleet's tables (sharing hall.db's Base) and the heartbeat's shapes (docs/hall-api.md, Fleet).

Only the latest heartbeat per terminal is kept (`fleet_snapshots`, one row upserted per
heartbeat); device health is kept as changes (`fleet_device_events`), not per heartbeat.
Times are Unix seconds (floats): the offline test is one comparison in SQL.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Boolean, Float, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from hall.checks import Body
from hall.db import Base

Health = Literal["ok", "warning", "error", "offline", "absent"]
Paper = Literal["ok", "low", "empty", "unknown"]
CommandKind = Literal["reload_settings", "restart", "print_test", "screenshot", "message"]
COMMAND_KINDS: tuple[str, ...] = CommandKind.__args__


class Snapshot(Base):
    __tablename__ = "fleet_snapshots"
    terminal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen: Mapped[float] = mapped_column(Float, index=True)
    state: Mapped[str] = mapped_column(String(8))  # green / yellow / red as of the heartbeat
    reason: Mapped[str] = mapped_column(Text)
    app_version: Mapped[str] = mapped_column(String(32))
    outbox_depth: Mapped[int] = mapped_column(Integer)
    transactions: Mapped[int] = mapped_column(Integer)  # today's, all kinds
    paper: Mapped[str | None] = mapped_column(String(8), nullable=True)
    devices: Mapped[dict[str, Any]] = mapped_column()  # {kind: [health, paper]}: what changes are found against
    data: Mapped[dict[str, Any]] = mapped_column()  # the heartbeat as received (validated)
    offline_alerted: Mapped[bool] = mapped_column(Boolean, default=False)


class DeviceEvent(Base):
    __tablename__ = "fleet_device_events"
    __table_args__ = (Index("ix_fleet_device_events_terminal_at", "terminal_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[float] = mapped_column(Float, index=True)
    health: Mapped[str] = mapped_column(String(8))
    paper: Mapped[str | None] = mapped_column(String(8), nullable=True)
    reason: Mapped[str] = mapped_column(String(200))


class Command(Base):
    __tablename__ = "fleet_commands"
    # Heartbeats look for queued commands of their terminals: a partial index keeps that
    # lookup on the few queued rows, not on the whole history.
    __table_args__ = (Index("ix_fleet_commands_queued", "terminal_id", sqlite_where=text("status = 'queued'"),
                            postgresql_where=text("status = 'queued'")),
                      Index("ix_fleet_commands_terminal", "terminal_id", "id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    args: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(8))  # queued, sent, done, failed
    operator: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    sent_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    done_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class Screenshot(Base):
    __tablename__ = "fleet_screenshots"
    command_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[float] = mapped_column(Float)
    png: Mapped[bytes] = mapped_column(LargeBinary)


class Operator(Base):
    __tablename__ = "fleet_operators"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class OperatorSession(Base):
    __tablename__ = "fleet_operator_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # the cookie is not stored
    operator: Mapped[str] = mapped_column(String(64))
    csrf: Mapped[str] = mapped_column(String(64))
    expires: Mapped[float] = mapped_column(Float, index=True)


# --- the heartbeat (extra fields ignored: a newer terminal must not vanish from an older hall)

class Lenient(Body):
    model_config = ConfigDict(extra="ignore")


Kind = Annotated[str, Field(min_length=1, max_length=32)]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]  # bounded: the database's integers are 64-bit


class DeviceReport(Lenient):
    health: Health
    reason: str = Field("", max_length=200)
    paper: Paper | None = None


class Heartbeat(Lenient):
    app_version: str = Field(min_length=1, max_length=32)
    uptime_s: Count
    cpu_percent: float = Field(ge=0, le=100)
    memory_mb: float = Field(ge=0)
    disk_free_mb: float = Field(ge=0)
    outbox_depth: Count
    outbox_oldest_s: float | None = Field(None, ge=0)
    transactions_today: dict[Kind, Count] = Field(default_factory=dict, max_length=20)
    devices: dict[Kind, DeviceReport] = Field(default_factory=dict, max_length=10)
    last_errors: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=10)
    screen: str = Field("", max_length=64)


class CommandOut(BaseModel):
    id: int
    kind: CommandKind
    args: dict[str, Any]


class HeartbeatAnswer(BaseModel):
    commands: list[CommandOut]
    next_heartbeat_s: int


class CommandResult(Body):
    ok: bool
    detail: str = Field("", max_length=1000)
