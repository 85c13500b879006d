"""What can be proposed: trainings, workshops, prestations, partner services, events."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import Choice, TimestampMixin, VersionedMixin, enum_type, utcnow
from crm.extensions import db


class CatalogueKind(Choice):
    TRAINING = "training"
    WORKSHOP = "workshop"
    PRESTATION = "prestation"
    PARTNER_SERVICE = "partner_service"
    EVENT = "event"


class PartnerKind(Choice):
    """Partner structures a job seeker can be referred to (seed 001)."""

    MISSION_LOCALE = "mission_locale"
    CAP_EMPLOI = "cap_emploi"
    APEC = "apec"
    CONSEIL_DEPARTEMENTAL = "conseil_departemental"
    CAF = "caf"
    PLIE = "plie"
    SIAE = "siae"
    HOUSING = "housing"
    MOBILITY = "mobility"
    CHILDCARE = "childcare"
    HEALTH = "health"


class EventKind(Choice):
    INFORMATION_SESSION = "information_session"
    JOB_DATING = "job_dating"
    FORUM = "forum"
    MRS_SESSION = "mrs_session"
    EMPLOYER_MEETING = "employer_meeting"


class RegistrationStatus(Choice):
    REGISTERED = "registered"
    ATTENDED = "attended"
    ABSENT = "absent"
    CANCELLED = "cancelled"


catalogue_item_rome = sa.Table(
    "catalogue_item_rome",
    db.metadata,
    sa.Column("item_id", sa.ForeignKey("catalogue_item.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("rome_code", sa.ForeignKey("rome_occupation.code"), primary_key=True, index=True),
)


class CatalogueItem(TimestampMixin, db.Model):
    __tablename__ = "catalogue_item"
    __table_args__ = (sa.Index("ix_catalogue_item_kind_active", "kind", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[CatalogueKind] = mapped_column(enum_type(CatalogueKind))
    code: Mapped[str | None] = mapped_column(sa.String(32), index=True)  # e.g. "CPP", "POPS-MDPH"
    title: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    provider: Mapped[str | None] = mapped_column(sa.String(160))
    funder: Mapped[str | None] = mapped_column(sa.String(120))
    duration_hours: Mapped[float | None] = mapped_column()
    commune_insee: Mapped[str | None] = mapped_column(sa.ForeignKey("commune.insee_code"), index=True)
    partner_kind: Mapped[PartnerKind | None] = mapped_column(enum_type(PartnerKind))
    event_kind: Mapped[EventKind | None] = mapped_column(enum_type(EventKind))
    # Eligibility rules as data, e.g. {"max_age": 25, "requires": ["rqth"]}; see DOMAIN.md.
    eligibility: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    leads_to_certification: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # For events organised with employers (job dating, MRS sessions).
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employer.id", ondelete="SET NULL"), index=True)

    commune = relationship("Commune")
    employer = relationship("Employer")
    occupations = relationship("RomeOccupation", secondary=catalogue_item_rome)
    sessions: Mapped[list[CatalogueSession]] = relationship(back_populates="item", order_by="CatalogueSession.starts_on")


class CatalogueSession(db.Model):
    """A dated occurrence of a catalogue item with a place and a capacity."""

    __tablename__ = "catalogue_session"
    __table_args__ = (
        sa.Index("ix_catalogue_session_item_id_starts_on", "item_id", "starts_on"),
        sa.CheckConstraint("capacity >= 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalogue_item.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(index=True)
    ends_on: Mapped[date | None] = mapped_column()
    commune_insee: Mapped[str | None] = mapped_column(sa.ForeignKey("commune.insee_code"))
    place: Mapped[str | None] = mapped_column(sa.String(255))
    capacity: Mapped[int] = mapped_column()

    item: Mapped[CatalogueItem] = relationship(back_populates="sessions")
    commune = relationship("Commune")
    registrations: Mapped[list[SessionRegistration]] = relationship(back_populates="session")


class SessionRegistration(VersionedMixin, db.Model):
    """A job seeker or an employer registered to a session (capacity is enforced by services)."""

    __tablename__ = "session_registration"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "job_seeker_id"),
        sa.UniqueConstraint("session_id", "employer_id"),
        sa.CheckConstraint(
            "(job_seeker_id IS NULL) <> (employer_id IS NULL)", name="one_party"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("catalogue_session.id", ondelete="CASCADE"), index=True)
    job_seeker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"), index=True)
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_type(RegistrationStatus), default=RegistrationStatus.REGISTERED
    )

    session: Mapped[CatalogueSession] = relationship(back_populates="registrations")
    job_seeker = relationship("JobSeeker")
    employer = relationship("Employer")
