"""Backup drills: each create → verify → restore → compare run, kept for assessors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class BackupDrill(Base):
    __tablename__ = "backup_drill"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    operator: Mapped[str] = mapped_column(String(255))  # the OS user that ran the drill
    engine: Mapped[str] = mapped_column(String(32))
    file: Mapped[str] = mapped_column(String(1024), default="")
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    ok: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
