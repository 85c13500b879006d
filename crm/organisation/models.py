"""Organisation: region → territorial direction → agency → team → staff user."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import Choice, TimestampMixin, enum_type
from crm.enums import Modality
from crm.extensions import db


class Role(Choice):
    COUNSELOR = "counselor"
    EMPLOYER_COUNSELOR = "employer_counselor"
    BENEFITS_COUNSELOR = "benefits_counselor"
    PSYCHOLOGIST = "psychologist"
    TEAM_MANAGER = "team_manager"
    DIRECTOR = "director"
    ADMIN = "admin"


class Region(db.Model):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))

    directions: Mapped[list[TerritorialDirection]] = relationship(back_populates="region")


class TerritorialDirection(db.Model):
    __tablename__ = "territorial_direction"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))

    region: Mapped[Region] = relationship(back_populates="directions")
    agencies: Mapped[list[Agency]] = relationship(back_populates="direction")


class Agency(TimestampMixin, db.Model):
    """Agence de proximité; belongs to a bassin d'emploi through its commune."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    direction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("territorial_direction.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    commune_insee: Mapped[str | None] = mapped_column(sa.ForeignKey("commune.insee_code"), index=True)
    bassin_code: Mapped[str | None] = mapped_column(sa.ForeignKey("bassin.code"), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(255))

    direction: Mapped[TerritorialDirection | None] = relationship(back_populates="agencies")
    teams: Mapped[list[Team]] = relationship(back_populates="agency", order_by="Team.name")
    commune = relationship("Commune", foreign_keys=[commune_insee])
    bassin = relationship("Bassin", foreign_keys=[bassin_code])
    modality_settings: Mapped[list[AgencyModalitySetting]] = relationship(back_populates="agency")


class AgencyModalitySetting(db.Model):
    """Per-agency overrides: expected contact interval and portfolio target per modality."""

    __tablename__ = "agency_modality_setting"
    __table_args__ = (sa.UniqueConstraint("agency_id", "modality"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="CASCADE"))
    modality: Mapped[Modality] = mapped_column(enum_type(Modality))
    contact_interval_days: Mapped[int] = mapped_column()
    portfolio_target: Mapped[int | None] = mapped_column()

    agency: Mapped[Agency] = relationship(back_populates="modality_settings")


class Team(TimestampMixin, db.Model):
    __tablename__ = "team"
    __table_args__ = (sa.UniqueConstraint("agency_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # Job-seeker teams follow people geographically; employer teams by sector (seed 002).
    kind: Mapped[str] = mapped_column(sa.String(16), default="job_seekers")

    agency: Mapped[Agency] = relationship(back_populates="teams")
    # The team manager is the member whose role is ``team_manager``.
    members: Mapped[list[User]] = relationship(back_populates="team")


class User(UserMixin, TimestampMixin, db.Model):
    """A staff member. Job seekers and employers are not users of Proxima."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    role: Mapped[Role] = mapped_column(enum_type(Role), index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_active_account: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    last_login_at: Mapped[datetime | None] = mapped_column()
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column()
    # Employer counselors hold portfolios by sector segment (NAF sections, comma-separated).
    sector_segment: Mapped[str | None] = mapped_column(sa.String(64))

    agency: Mapped[Agency | None] = relationship()
    team: Mapped[Team | None] = relationship(back_populates="members")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class ApiToken(db.Model):
    """Per-user API token; only a SHA-256 hash of the secret is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    prefix: Mapped[str] = mapped_column(sa.String(12), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=sa.text("CURRENT_TIMESTAMP"))
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """Failed and successful logins, for per-account and per-address rate limiting."""

    __tablename__ = "login_attempt"
    __table_args__ = (sa.Index("ix_login_attempt_email_at", "email", "at"),
                      sa.Index("ix_login_attempt_address_at", "address", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    address: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column()
    succeeded: Mapped[bool] = mapped_column()
