"""Employers (entreprises): establishment file, contacts, needs, satisfaction, prospection."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import Choice, TimestampMixin, VersionedMixin, enum_type, utcnow
from crm.extensions import db


class EmployerSegment(Choice):
    """Portfolio segment an employer counselor is dedicated to."""

    KEY_ACCOUNT = "key_account"
    SME = "sme"
    VERY_SMALL = "very_small"
    PUBLIC_SECTOR = "public_sector"


class ProspectionKind(Choice):
    VISIT = "visit"
    CALL = "call"
    FORUM = "forum"
    PROFILE_PROMOTION = "profile_promotion"


class NeedSource(Choice):
    BMO = "bmo"  # annual hiring-intentions survey
    VISIT = "visit"
    CALL = "call"
    OFFER = "offer"


class Employer(VersionedMixin, TimestampMixin, db.Model):
    __tablename__ = "employer"
    __table_args__ = (
        sa.Index("ix_employer_counselor_id_name", "counselor_id", "name"),
        sa.Index("ix_employer_agency_id_name", "agency_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    siret: Mapped[str] = mapped_column(sa.String(14), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    naf_code: Mapped[str | None] = mapped_column(sa.ForeignKey("naf_code.code"), index=True)
    size_band_code: Mapped[str | None] = mapped_column(sa.ForeignKey("size_band.code"), index=True)
    commune_insee: Mapped[str | None] = mapped_column(sa.ForeignKey("commune.insee_code"), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(255))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"))
    counselor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    segment: Mapped[EmployerSegment | None] = mapped_column(enum_type(EmployerSegment), index=True)
    website: Mapped[str | None] = mapped_column(sa.String(255))
    last_contact_at: Mapped[datetime | None] = mapped_column(index=True)
    notes: Mapped[str | None] = mapped_column(sa.Text)

    naf = relationship("NafCode")
    size_band = relationship("SizeBand")
    commune = relationship("Commune")
    agency = relationship("Agency")
    counselor = relationship("User")
    sites: Mapped[list[EmployerSite]] = relationship(back_populates="employer", cascade="all, delete-orphan")
    contacts: Mapped[list[EmployerContact]] = relationship(back_populates="employer", cascade="all, delete-orphan")
    needs: Mapped[list[RecruitmentNeed]] = relationship(back_populates="employer", cascade="all, delete-orphan")
    satisfaction_answers: Mapped[list[SatisfactionAnswer]] = relationship(
        back_populates="employer", cascade="all, delete-orphan"
    )


class EmployerSite(db.Model):
    __tablename__ = "employer_site"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(160))
    commune_insee: Mapped[str | None] = mapped_column(sa.ForeignKey("commune.insee_code"))
    address: Mapped[str | None] = mapped_column(sa.String(255))

    employer: Mapped[Employer] = relationship(back_populates="sites")
    commune = relationship("Commune")


class EmployerContact(VersionedMixin, db.Model):
    __tablename__ = "employer_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[str | None] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    is_primary: Mapped[bool] = mapped_column(default=False)

    employer: Mapped[Employer] = relationship(back_populates="contacts")


class RecruitmentNeed(db.Model):
    """Current or future recruitment need (declared in a visit, a call, the BMO survey…)."""

    __tablename__ = "recruitment_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    rome_code: Mapped[str | None] = mapped_column(sa.ForeignKey("rome_occupation.code"))
    positions: Mapped[int] = mapped_column(default=1)
    expected_on: Mapped[date | None] = mapped_column()
    source: Mapped[NeedSource] = mapped_column(enum_type(NeedSource))
    declared_on: Mapped[date] = mapped_column()
    notes: Mapped[str | None] = mapped_column(sa.String(255))

    employer: Mapped[Employer] = relationship(back_populates="needs")
    occupation = relationship("RomeOccupation")


class SatisfactionAnswer(db.Model):
    """Employer satisfaction survey answer (seed 004: would recommend the service)."""

    __tablename__ = "satisfaction_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    answered_on: Mapped[date] = mapped_column(index=True)
    score: Mapped[int] = mapped_column()  # 0–10
    would_recommend: Mapped[bool] = mapped_column()
    comment: Mapped[str | None] = mapped_column(sa.Text)

    employer: Mapped[Employer] = relationship(back_populates="satisfaction_answers")


class ProspectionAction(VersionedMixin, db.Model):
    """Visit, call or forum toward an employer, or promotion of a job seeker's profile."""

    __tablename__ = "prospection_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    counselor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    kind: Mapped[ProspectionKind] = mapped_column(enum_type(ProspectionKind))
    planned_on: Mapped[date | None] = mapped_column()
    done_on: Mapped[date | None] = mapped_column()
    job_seeker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="SET NULL"), index=True)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    employer: Mapped[Employer] = relationship()
    counselor = relationship("User")
    job_seeker = relationship("JobSeeker")
