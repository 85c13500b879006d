"""Job offers and mises en relation (MER: a candidate sent to an offer)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import Choice, TimestampMixin, VersionedMixin, enum_type, utcnow
from crm.enums import ContractType
from crm.extensions import db


class OfferStatus(Choice):
    DRAFT = "draft"
    OPEN = "open"
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ApplicationStatus(Choice):
    PROPOSED = "proposed"
    SENT = "sent"
    INTERVIEW = "interview"
    HIRED = "hired"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class RefusalReason(Choice):
    PROFILE_MISMATCH = "profile_mismatch"
    EXPERIENCE = "experience"
    QUALIFICATION = "qualification"
    DISTANCE = "distance"
    AVAILABILITY = "availability"
    OFFER_FILLED = "offer_filled"
    CANDIDATE_DECLINED = "candidate_declined"
    NO_SHOW = "no_show"
    OTHER = "other"


class ApplicationOrigin(Choice):
    COUNSELOR = "counselor"
    RECOMMENDER = "recommender"
    SELF = "self"  # job seeker applied online


class JobOffer(VersionedMixin, TimestampMixin, db.Model):
    __tablename__ = "job_offer"
    __table_args__ = (
        sa.Index("ix_job_offer_status_created_on", "status", "created_on"),
        sa.Index("ix_job_offer_rome_code_status", "rome_code", "status"),
        sa.CheckConstraint("positions >= 1", name="positions_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id"), index=True)
    counselor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    rome_code: Mapped[str] = mapped_column(sa.ForeignKey("rome_occupation.code"))
    appellation_code: Mapped[str | None] = mapped_column(sa.ForeignKey("rome_appellation.ogr_code"))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    contract_type: Mapped[ContractType] = mapped_column(enum_type(ContractType))
    contract_months: Mapped[int | None] = mapped_column()
    hours_per_week: Mapped[int | None] = mapped_column()
    commune_insee: Mapped[str | None] = mapped_column(sa.ForeignKey("commune.insee_code"), index=True)
    created_on: Mapped[date] = mapped_column()
    published_on: Mapped[date | None] = mapped_column()
    positions: Mapped[int] = mapped_column(default=1)
    accompanied: Mapped[bool] = mapped_column(default=False)
    status: Mapped[OfferStatus] = mapped_column(enum_type(OfferStatus), default=OfferStatus.DRAFT)
    filled_on: Mapped[date | None] = mapped_column()
    closed_on: Mapped[date | None] = mapped_column()
    shared_with_partners_on: Mapped[date | None] = mapped_column()

    employer = relationship("Employer")
    counselor = relationship("User")
    occupation = relationship("RomeOccupation")
    commune = relationship("Commune")
    applications: Mapped[list[Application]] = relationship(back_populates="offer")


class Application(VersionedMixin, db.Model):
    """Mise en relation: a candidate put forward for an offer, with its outcome."""

    __tablename__ = "application"
    __table_args__ = (
        sa.UniqueConstraint("offer_id", "job_seeker_id"),
        sa.Index("ix_application_job_seeker_id_created_at", "job_seeker_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("job_offer.id"), index=True)
    job_seeker_id: Mapped[int] = mapped_column(sa.ForeignKey("job_seeker.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    origin: Mapped[ApplicationOrigin] = mapped_column(enum_type(ApplicationOrigin), default=ApplicationOrigin.COUNSELOR)
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_type(ApplicationStatus), default=ApplicationStatus.PROPOSED, index=True
    )
    refusal_reason: Mapped[RefusalReason | None] = mapped_column(enum_type(RefusalReason))
    outcome_date: Mapped[date | None] = mapped_column()
    employer_feedback: Mapped[str | None] = mapped_column(sa.Text)

    offer: Mapped[JobOffer] = relationship(back_populates="applications")
    job_seeker = relationship("JobSeeker")
    created_by = relationship("User")
