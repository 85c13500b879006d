"""The job seeker file (seed 000: « dossier d'inscription, projet professionnel,
indemnisation, parcours professionnel »)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import Choice, TimestampMixin, VersionedMixin, enum_type, utcnow
from crm.enums import Modality
from crm.extensions import db


class Gender(Choice):
    FEMALE = "female"
    MALE = "male"


class Nationality(Choice):
    FRENCH = "french"
    EU = "eu"
    NON_EU = "non_eu"


class RegistrationCategory(Choice):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class EducationLevel(Choice):
    """French diploma levels (nomenclature 2019: 3 = CAP … 8 = doctorat)."""

    NONE = "none"
    CAP_BEP = "cap_bep"
    BAC = "bac"
    BAC_2 = "bac_2"
    BAC_3 = "bac_3"
    BAC_5 = "bac_5"


class DigitalAutonomy(Choice):
    AUTONOMOUS = "autonomous"
    PARTIAL = "partial"
    NONE = "none"


class JobSeekerStatus(Choice):
    ACTIVE = "active"
    EXITED = "exited"


class ExitReason(Choice):
    EMPLOYMENT = "employment"
    TRAINING = "training"
    NON_RENEWAL = "non_renewal"
    SANCTION = "sanction"
    MOVED = "moved"
    OTHER = "other"


class BarrierKind(Choice):
    """Freins périphériques (seed 001)."""

    HOUSING = "housing"
    MOBILITY = "mobility"
    CHILDCARE = "childcare"
    HEALTH = "health"
    LITERACY = "literacy"
    LANGUAGE = "language"
    FINANCIAL = "financial"


class ActionStatus(Choice):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    ABANDONED = "abandoned"


class BenefitKind(Choice):
    ARE = "are"  # allocation d'aide au retour à l'emploi
    ASS = "ass"  # allocation de solidarité spécifique
    AREF = "aref"  # ARE during training


class BenefitEventKind(Choice):
    PENDING_DECISION = "pending_decision"
    OVERPAYMENT = "overpayment"
    RIGHTS_RECHARGE = "rights_recharge"
    RIGHTS_ENDING = "rights_ending"
    SUSPENSION = "suspension"


class ConsentKind(Choice):
    DATA_PROCESSING_INFORMATION = "data_processing_information"
    PARTNER_SHARING = "partner_sharing"
    SMS = "sms"
    EMAIL = "email"
    PROFILE_PROMOTION = "profile_promotion"


class JobSeeker(VersionedMixin, TimestampMixin, db.Model):
    __tablename__ = "job_seeker"
    __table_args__ = (
        sa.Index("ix_job_seeker_referent_status", "referent_id", "status"),
        sa.Index("ix_job_seeker_agency_status", "agency_id", "status"),
        sa.Index("ix_job_seeker_last_name_first_name", "last_name", "first_name"),
        sa.CheckConstraint("mobility_km >= 0 AND mobility_km <= 500", name="mobility_km_range"),
        sa.CheckConstraint("experience_months >= 0", name="experience_months_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Identity and contact details
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    birth_date: Mapped[date] = mapped_column()
    gender: Mapped[Gender] = mapped_column(enum_type(Gender))
    nationality: Mapped[Nationality] = mapped_column(enum_type(Nationality))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    address: Mapped[str | None] = mapped_column(sa.String(255))
    commune_insee: Mapped[str | None] = mapped_column(sa.ForeignKey("commune.insee_code"), index=True)
    # Registration and follow-up
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"))
    referent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    benefits_counselor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    registration_date: Mapped[date] = mapped_column(index=True)
    registration_category: Mapped[RegistrationCategory] = mapped_column(
        enum_type(RegistrationCategory, 1), default=RegistrationCategory.A
    )
    modality: Mapped[Modality] = mapped_column(enum_type(Modality), index=True)
    modality_since: Mapped[date | None] = mapped_column()
    status: Mapped[JobSeekerStatus] = mapped_column(
        enum_type(JobSeekerStatus), default=JobSeekerStatus.ACTIVE, index=True
    )
    exit_date: Mapped[date | None] = mapped_column()
    exit_reason: Mapped[ExitReason | None] = mapped_column(enum_type(ExitReason))
    # Project (PPAE)
    contract_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    mobility_km: Mapped[int] = mapped_column(default=20)
    education_level: Mapped[EducationLevel] = mapped_column(enum_type(EducationLevel))
    experience_months: Mapped[int] = mapped_column(default=0)
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    work_axes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    digital_autonomy: Mapped[DigitalAutonomy] = mapped_column(enum_type(DigitalAutonomy))
    available_from: Mapped[date | None] = mapped_column()
    # Priority-public flags that are not derived (age and DELD are derived from dates)
    rsa: Mapped[bool] = mapped_column(default=False)
    rqth: Mapped[bool] = mapped_column(default=False)
    qpv: Mapped[bool] = mapped_column(default=False)
    zrr: Mapped[bool] = mapped_column(default=False)
    # Derived from interactions by the services that write them (never typed by hand);
    # kept on the row so portfolio lists sort and filter without aggregating the timeline.
    last_contact_at: Mapped[datetime | None] = mapped_column(index=True)
    last_online_at: Mapped[datetime | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(sa.Text)
    anonymised_at: Mapped[datetime | None] = mapped_column()

    agency = relationship("Agency")
    referent = relationship("User", foreign_keys=[referent_id])
    benefits_counselor = relationship("User", foreign_keys=[benefits_counselor_id])
    commune = relationship("Commune")
    targets: Mapped[list[JobSeekerTarget]] = relationship(
        back_populates="job_seeker", order_by="JobSeekerTarget.rank", cascade="all, delete-orphan"
    )
    barriers: Mapped[list[Barrier]] = relationship(back_populates="job_seeker", cascade="all, delete-orphan")
    action_items: Mapped[list[ActionPlanItem]] = relationship(
        back_populates="job_seeker", order_by="ActionPlanItem.due_on", cascade="all, delete-orphan"
    )
    benefit_rights: Mapped[list[BenefitRight]] = relationship(
        back_populates="job_seeker", order_by="BenefitRight.start_on", cascade="all, delete-orphan"
    )
    benefit_events: Mapped[list[BenefitEvent]] = relationship(
        back_populates="job_seeker", order_by="BenefitEvent.occurred_on", cascade="all, delete-orphan"
    )
    consents: Mapped[list[ConsentRecord]] = relationship(back_populates="job_seeker", cascade="all, delete-orphan")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    def priority_flags(self, day: date) -> dict[str, Any]:
        """Priority-public flags as of ``day`` (under 26, 50+, DELD derived from dates)."""
        age = self.age_on(day)
        return {
            "under_26": age < 26,
            "over_50": age >= 50,
            "long_term_unemployed": (day - self.registration_date).days > 365,
            "rsa": self.rsa,
            "rqth": self.rqth,
            "qpv": self.qpv,
            "zrr": self.zrr,
        }


class JobSeekerTarget(db.Model):
    """Target occupation (up to 3, ``rank`` 1–3)."""

    __tablename__ = "job_seeker_target"
    __table_args__ = (
        sa.UniqueConstraint("job_seeker_id", "rome_code"),
        sa.CheckConstraint("rank BETWEEN 1 AND 3", name="rank_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_seeker_id: Mapped[int] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"), index=True)
    rome_code: Mapped[str] = mapped_column(sa.ForeignKey("rome_occupation.code"), index=True)
    appellation_code: Mapped[str | None] = mapped_column(sa.ForeignKey("rome_appellation.ogr_code"))
    rank: Mapped[int] = mapped_column(default=1)

    job_seeker: Mapped[JobSeeker] = relationship(back_populates="targets")
    occupation = relationship("RomeOccupation")
    appellation = relationship("RomeAppellation")


class Barrier(db.Model):
    __tablename__ = "barrier"
    __table_args__ = (sa.Index("ix_barrier_kind_job_seeker_id", "kind", "job_seeker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_seeker_id: Mapped[int] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"), index=True)
    kind: Mapped[BarrierKind] = mapped_column(enum_type(BarrierKind))
    noted_on: Mapped[date] = mapped_column()
    resolved_on: Mapped[date | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(sa.Text)

    job_seeker: Mapped[JobSeeker] = relationship(back_populates="barriers")


class ActionPlanItem(VersionedMixin, db.Model):
    """A step of the PPAE action plan."""

    __tablename__ = "action_plan_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_seeker_id: Mapped[int] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(255))
    status: Mapped[ActionStatus] = mapped_column(enum_type(ActionStatus), default=ActionStatus.TODO)
    due_on: Mapped[date | None] = mapped_column()
    done_on: Mapped[date | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    job_seeker: Mapped[JobSeeker] = relationship(back_populates="action_items")


class BenefitRight(db.Model):
    __tablename__ = "benefit_right"
    __table_args__ = (sa.Index("ix_benefit_right_end_on", "end_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_seeker_id: Mapped[int] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"), index=True)
    kind: Mapped[BenefitKind] = mapped_column(enum_type(BenefitKind))
    start_on: Mapped[date] = mapped_column()
    end_on: Mapped[date] = mapped_column()
    daily_amount: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))

    job_seeker: Mapped[JobSeeker] = relationship(back_populates="benefit_rights")


class BenefitEvent(db.Model):
    """Events that call for a proactive contact: decisions to explain, overpayments…"""

    __tablename__ = "benefit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_seeker_id: Mapped[int] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"), index=True)
    kind: Mapped[BenefitEventKind] = mapped_column(enum_type(BenefitEventKind))
    occurred_on: Mapped[date] = mapped_column()
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    description: Mapped[str | None] = mapped_column(sa.String(255))
    resolved_on: Mapped[date | None] = mapped_column()

    job_seeker: Mapped[JobSeeker] = relationship(back_populates="benefit_events")


class ConsentRecord(db.Model):
    """Consent given or withdrawn, and information delivered (GDPR)."""

    __tablename__ = "consent_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_seeker_id: Mapped[int] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ConsentKind] = mapped_column(enum_type(ConsentKind, 40))
    given: Mapped[bool] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    notes: Mapped[str | None] = mapped_column(sa.String(255))

    job_seeker: Mapped[JobSeeker] = relationship(back_populates="consents")
