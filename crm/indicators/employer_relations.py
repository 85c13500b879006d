"""Employer-relations indicators (seed 004), over a period and a scope.

Each function returns an ``Indicator``: its value and the numerator and denominator it
is made of, so a drill-down lists exactly the rows counted (the ``*_rows`` statements).
Definitions:

- **mean time to fill** (délai moyen de satisfaction): offers *filled* in the period
  (``filled_on`` within it); mean of ``filled_on - (published_on or created_on)`` in days.
  Numerator: the sum of those days; denominator: the number of offers.
- **MER → hire conversion rate**: MER *created* in the period whose status is final
  (hired, refused or withdrawn); the share of them that ended in a hire. MER still in
  progress are left out, so a recent period is not pulled down by undecided candidates.
- **share of offers filled**: offers *created* in the period and published (drafts left
  out; cancelled and expired ones count); the share of them now filled.
- **share of employers who would recommend the service**: satisfaction answers given in
  the period; the share answering « would recommend ».

Scope: an agency (employers of the agency), a team (offers whose counselor is in the
team) or counselor ids. An offer's counselor is the one who took it, or else the
employer's dedicated counselor; satisfaction answers follow the employer's counselor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from crm.employers.models import Employer, SatisfactionAnswer
from crm.extensions import db
from crm.offers.models import Application, ApplicationStatus, JobOffer, OfferStatus
from crm.organisation.models import User

FINAL_STATUSES = (ApplicationStatus.HIRED, ApplicationStatus.REFUSED, ApplicationStatus.WITHDRAWN)


@dataclass(frozen=True)
class Period:
    """Both bounds included."""

    start: date
    end: date


@dataclass(frozen=True)
class Scope:
    agency_id: int | None = None
    team_id: int | None = None
    counselor_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Indicator:
    value: float | None  # None when the denominator is 0
    numerator: float
    denominator: int


def _ratio(numerator: float, denominator: int) -> Indicator:
    return Indicator(value=numerator / denominator if denominator else None, numerator=numerator,
                     denominator=denominator)


def _offer_counselor() -> sa.ColumnElement:
    return sa.func.coalesce(JobOffer.counselor_id, Employer.counselor_id)


def _scoped(statement: sa.Select, scope: Scope, counselor: sa.ColumnElement) -> sa.Select:
    """Restrict a statement that already joins ``Employer``."""
    if scope.agency_id is not None:
        statement = statement.where(Employer.agency_id == scope.agency_id)
    if scope.team_id is not None:
        statement = statement.where(counselor.in_(sa.select(User.id).where(User.team_id == scope.team_id)))
    if scope.counselor_ids is not None:
        statement = statement.where(counselor.in_(list(scope.counselor_ids)))
    return statement


def _offers(scope: Scope) -> sa.Select:
    statement = sa.select(JobOffer).join(Employer, Employer.id == JobOffer.employer_id)
    return _scoped(statement, scope, _offer_counselor())


# --------------------------------------------------------------------------- rows (drill-downs)


def filled_offers_rows(period: Period, scope: Scope) -> sa.Select:
    return _offers(scope).where(JobOffer.status == OfferStatus.FILLED,
                                JobOffer.filled_on.between(period.start, period.end))


def final_applications_rows(period: Period, scope: Scope) -> sa.Select:
    statement = (sa.select(Application).join(JobOffer, JobOffer.id == Application.offer_id)
                 .join(Employer, Employer.id == JobOffer.employer_id)
                 .where(Application.status.in_(FINAL_STATUSES),
                        Application.created_at >= _day_start(period.start),
                        Application.created_at < _day_start(period.end + timedelta(days=1))))
    return _scoped(statement, scope, _offer_counselor())


def created_offers_rows(period: Period, scope: Scope) -> sa.Select:
    return _offers(scope).where(JobOffer.status != OfferStatus.DRAFT,
                                JobOffer.created_on.between(period.start, period.end))


def satisfaction_rows(period: Period, scope: Scope) -> sa.Select:
    statement = (sa.select(SatisfactionAnswer).join(Employer, Employer.id == SatisfactionAnswer.employer_id)
                 .where(SatisfactionAnswer.answered_on.between(period.start, period.end)))
    return _scoped(statement, scope, Employer.counselor_id)


def _day_start(day: date) -> datetime:
    """Midnight (naive UTC, as stored) starting ``day``: bounds for timestamp columns."""
    return datetime.combine(day, time.min)


# --------------------------------------------------------------------------- indicators


def mean_time_to_fill(period: Period, scope: Scope) -> Indicator:
    rows = filled_offers_rows(period, scope).subquery()
    days = db.session.execute(sa.select(rows.c.filled_on, rows.c.published_on, rows.c.created_on)).all()
    total = sum((filled - (published or created)).days for filled, published, created in days)
    return _ratio(total, len(days))


def _count(statement: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery())) or 0


def mer_conversion_rate(period: Period, scope: Scope) -> Indicator:
    rows = final_applications_rows(period, scope)
    hired = _count(rows.where(Application.status == ApplicationStatus.HIRED))
    return _ratio(hired, _count(rows))


def share_of_offers_filled(period: Period, scope: Scope) -> Indicator:
    rows = created_offers_rows(period, scope)
    filled = _count(rows.where(JobOffer.status == OfferStatus.FILLED))
    return _ratio(filled, _count(rows))


def share_would_recommend(period: Period, scope: Scope) -> Indicator:
    rows = satisfaction_rows(period, scope)
    yes = _count(rows.where(SatisfactionAnswer.would_recommend.is_(True)))
    return _ratio(yes, _count(rows))
