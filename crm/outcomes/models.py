"""Outcome episodes: what happened to a job seeker (employment, training, exit)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import Choice, enum_type
from crm.enums import ContractType
from crm.extensions import db


class OutcomeKind(Choice):
    EMPLOYMENT = "employment"
    TRAINING = "training"
    EXIT_OTHER = "exit_other"


class OutcomeEpisode(db.Model):
    __tablename__ = "outcome_episode"
    __table_args__ = (
        sa.Index("ix_outcome_episode_job_seeker_id_start_on", "job_seeker_id", "start_on"),
        sa.Index("ix_outcome_episode_kind_start_on", "kind", "start_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    job_seeker_id: Mapped[int] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"))
    kind: Mapped[OutcomeKind] = mapped_column(enum_type(OutcomeKind))
    start_on: Mapped[date] = mapped_column()
    end_on: Mapped[date | None] = mapped_column()
    contract_type: Mapped[ContractType | None] = mapped_column(enum_type(ContractType))
    rome_code: Mapped[str | None] = mapped_column(sa.ForeignKey("rome_occupation.code"))
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employer.id", ondelete="SET NULL"), index=True)
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("application.id", ondelete="SET NULL"))
    catalogue_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("catalogue_item.id", ondelete="SET NULL"))

    job_seeker = relationship("JobSeeker")
    employer = relationship("Employer")

    @property
    def duration_days(self) -> int | None:
        return None if self.end_on is None else (self.end_on - self.start_on).days + 1
