"""Read side of the job seeker file page: one person with everything the page shows,
loaded in a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from crm.extensions import db
from crm.jobseekers.alerts import BENEFITS_ENDING_WITHIN_DAYS
from crm.jobseekers.models import (
    BenefitEvent, BenefitEventKind, BenefitRight, ConsentRecord, JobSeeker, JobSeekerTarget,
)
from crm.jobseekers.services import REFERENT_ROLES
from crm.organisation.models import Agency, TerritorialDirection, User


def preload_file(job_seeker_id: int) -> None:
    """Put the person and every collection of the file in the session, so that the
    access check (``load_job_seeker``) and the templates issue no further query."""
    targets = selectinload(JobSeeker.targets)
    db.session.execute(
        sa.select(JobSeeker).where(JobSeeker.id == job_seeker_id)
        .options(joinedload(JobSeeker.referent), joinedload(JobSeeker.benefits_counselor),
                 joinedload(JobSeeker.commune), joinedload(JobSeeker.agency),
                 targets.joinedload(JobSeekerTarget.occupation), targets.joinedload(JobSeekerTarget.appellation),
                 selectinload(JobSeeker.barriers), selectinload(JobSeeker.action_items),
                 selectinload(JobSeeker.benefit_rights), selectinload(JobSeeker.benefit_events),
                 selectinload(JobSeeker.consents))
    ).unique().scalar_one_or_none()


@dataclass(frozen=True)
class RightLine:
    right: BenefitRight
    ending_soon: bool  # ends within 30 days: prepare what comes next with the person
    current: bool


@dataclass(frozen=True)
class EventLine:
    event: BenefitEvent
    calls_for_contact: bool  # explain before the letter arrives


def benefit_lines(job_seeker: JobSeeker, today: date) -> tuple[list[RightLine], list[EventLine]]:
    """Rights (newest first) and benefit events (newest first), with the ones that call
    for a proactive contact flagged: rights ending within 30 days, pending decisions and
    overpayments not resolved."""
    horizon = today + timedelta(days=BENEFITS_ENDING_WITHIN_DAYS)
    rights = [RightLine(r, today <= r.end_on <= horizon, r.start_on <= today <= r.end_on)
              for r in sorted(job_seeker.benefit_rights, key=lambda r: r.start_on, reverse=True)]
    events = [EventLine(e, e.resolved_on is None and e.kind in (BenefitEventKind.PENDING_DECISION,
                                                              BenefitEventKind.OVERPAYMENT))
              for e in sorted(job_seeker.benefit_events, key=lambda e: e.occurred_on, reverse=True)]
    return rights, events


def consents_in_force(job_seeker: JobSeeker) -> list[ConsentRecord]:
    """The latest record per kind (the one in force), in the order of the kinds."""
    latest: dict[Any, ConsentRecord] = {}
    for record in sorted(job_seeker.consents, key=lambda c: (c.recorded_at, c.id)):
        latest[record.kind] = record
    return sorted(latest.values(), key=lambda c: list(type(c.kind)).index(c.kind))


def transfer_options(job_seeker: JobSeeker) -> tuple[list[User], list[Agency]]:
    """Who can take the person over: the agency's possible referents, and the other
    agencies of the same region."""
    referents = db.session.scalars(
        sa.select(User).where(User.agency_id == job_seeker.agency_id, User.role.in_(REFERENT_ROLES),
                              User.is_active_account.is_(True))
        .order_by(User.last_name, User.first_name)).all()
    agencies: list[Agency] = []
    direction_id = job_seeker.agency.direction_id if job_seeker.agency else None
    if direction_id is not None:
        region_id = sa.select(TerritorialDirection.region_id).where(TerritorialDirection.id == direction_id)
        agencies = list(db.session.scalars(
            sa.select(Agency).join(TerritorialDirection, Agency.direction_id == TerritorialDirection.id)
            .where(TerritorialDirection.region_id == region_id.scalar_subquery(), Agency.id != job_seeker.agency_id)
            .order_by(Agency.name)))
    return list(referents), agencies
