"""Tables for scale-out coordination: leases (leader, per-account locks, once-per-period marks)
and worker heartbeats (who is alive, so a dead worker's claims can be recovered).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .tables import Base


class LeaseRow(Base):
    __tablename__ = "scale_leases"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]


class WorkerRow(Base):
    __tablename__ = "scale_workers"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
