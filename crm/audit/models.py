"""Audit trail: who did what to which record, when and why."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import utcnow
from crm.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_at", "at"),
        sa.Index("ix_audit_event_user_id_at", "user_id", "at"),
        sa.Index("ix_audit_event_job_seeker_id_at", "job_seeker_id", "at"),
        sa.Index("ix_audit_event_entity", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(64))  # e.g. "job_seeker.read", "interaction.create"
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None] = mapped_column()
    # The person concerned, so a subject-access export finds every event about them.
    job_seeker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="SET NULL"))
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employer.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str | None] = mapped_column(sa.String(255))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    address: Mapped[str | None] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(8), default="web")  # web, api, cli

    user = relationship("User")
