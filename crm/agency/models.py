"""The agency overview's period figures, stored once computed (see ``crm.agency.queries``'
freshness rule)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import utcnow
from crm.extensions import db


class AgencyFigures(db.Model):
    """One agency's figures over one period, per team (``figures``: team key → counts, parts,
    measures and per-day counts), as computed at ``computed_at``."""

    __tablename__ = "agency_figures"
    __table_args__ = (sa.UniqueConstraint("agency_id", "start_on", "end_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="CASCADE"))
    start_on: Mapped[date] = mapped_column()
    end_on: Mapped[date] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    figures: Mapped[dict] = mapped_column(sa.JSON, default=dict)
