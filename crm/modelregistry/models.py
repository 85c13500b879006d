"""Registry of trained recommender models, and the scores they publish."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import Choice, enum_type, utcnow
from crm.extensions import db


class ModelKind(Choice):
    JOB_SEEKER_PRIORITY = "job_seeker_priority"
    EMPLOYER_PRIORITY = "employer_priority"
    RECOMMENDATIONS = "recommendations"
    CANDIDATES = "candidates"


class ModelStatus(Choice):
    CANDIDATE = "candidate"
    PUBLISHED = "published"
    RETIRED = "retired"
    REJECTED = "rejected"


class ModelVersion(db.Model):
    __tablename__ = "model_version"
    __table_args__ = (sa.UniqueConstraint("kind", "version"), sa.Index("ix_model_version_kind_status", "kind", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ModelKind] = mapped_column(enum_type(ModelKind))
    version: Mapped[str] = mapped_column(sa.String(40))
    trained_at: Mapped[datetime] = mapped_column(default=utcnow)
    as_of: Mapped[date] = mapped_column()
    data_start: Mapped[date | None] = mapped_column()
    data_end: Mapped[date | None] = mapped_column()
    row_count: Mapped[int | None] = mapped_column()
    metrics: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[ModelStatus] = mapped_column(enum_type(ModelStatus), default=ModelStatus.CANDIDATE)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    artifact_path: Mapped[str | None] = mapped_column(sa.String(500))
    published_at: Mapped[datetime | None] = mapped_column()
    trained_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    trained_by = relationship("User")


class PriorityScore(db.Model):
    """A published score for a job seeker or an employer, with its reasons (nightly batch)."""

    __tablename__ = "priority_score"
    __table_args__ = (
        sa.CheckConstraint("(job_seeker_id IS NULL) <> (employer_id IS NULL)", name="one_party"),
        sa.Index("ix_priority_score_counselor_id_rank", "counselor_id", "rank"),
        sa.UniqueConstraint("model_version_id", "job_seeker_id"),
        sa.UniqueConstraint("model_version_id", "employer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("model_version.id", ondelete="CASCADE"), index=True)
    scored_on: Mapped[date] = mapped_column()
    job_seeker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"), index=True)
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    counselor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    score: Mapped[float] = mapped_column()
    rank: Mapped[int | None] = mapped_column()
    outcome_probability: Mapped[float | None] = mapped_column()
    uplift: Mapped[float | None] = mapped_column()
    exploration: Mapped[bool] = mapped_column(default=False)
    reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    model_version = relationship("ModelVersion")


class StoredRecommendation(db.Model):
    """What to propose to a job seeker, computed by the nightly batch (``recommender recommend``).

    The file's widget reads these rows and drops what was proposed, set aside, closed or
    filled since; a person without rows is recommended for on the fly."""

    __tablename__ = "stored_recommendation"
    __table_args__ = (
        sa.CheckConstraint("(offer_id IS NULL) <> (catalogue_item_id IS NULL)", name="one_item"),
        sa.Index("ix_stored_recommendation_job_seeker_id_rank", "job_seeker_id", "rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("model_version.id", ondelete="SET NULL"),
                                                         index=True)  # None: ranked by the rules
    computed_on: Mapped[date] = mapped_column()
    job_seeker_id: Mapped[int] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column()
    item_kind: Mapped[str] = mapped_column(sa.String(20))
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_offer.id", ondelete="CASCADE"), index=True)
    catalogue_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("catalogue_item.id", ondelete="CASCADE"),
                                                          index=True)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("catalogue_session.id", ondelete="SET NULL"),
                                                   index=True)
    score: Mapped[float] = mapped_column()
    out_of_project: Mapped[bool] = mapped_column(default=False)
    reasons: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)


class StoredCandidate(db.Model):
    """A candidate for an open offer, computed by the nightly batch (``recommender recommend``).

    The offer's candidates panel reads these rows and drops people no longer active, put
    forward or set aside for the offer since; an offer without rows (created after the
    batch) is served on the fly."""

    __tablename__ = "stored_candidate"
    __table_args__ = (sa.Index("ix_stored_candidate_offer_id_rank", "offer_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("model_version.id", ondelete="SET NULL"),
                                                         index=True)  # None: ranked by the rules
    computed_on: Mapped[date] = mapped_column()
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("job_offer.id", ondelete="CASCADE"))
    job_seeker_id: Mapped[int] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column()
    score: Mapped[float] = mapped_column()
    distance_km: Mapped[float | None] = mapped_column()
    reasons: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
