"""What each role's home page shows: aggregated queries only (a fixed number of
queries per page, never one per row). Plain functions: no request, no current_user."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crm.clock import Day
from crm.employers.models import Employer
from crm.enums import Modality
from crm.extensions import db
from crm.interactions.models import Appointment, AppointmentStatus, Task, TaskStatus
from crm.jobseekers.models import BenefitEvent, BenefitRight, JobSeeker, JobSeekerStatus
from crm.offers.models import JobOffer, OfferStatus
from crm.organisation.models import Agency, AgencyModalitySetting, Role, Team, User

TASKS_SHOWN = 8
OFFERS_SHOWN = 6
RIGHTS_ENDING_WITHIN_DAYS = 60
# Seed 001: offers not filled after 15 days are shared with partners.
OFFER_ATTENTION_DAYS = 15


@dataclass
class ModalityRow:
    modality: Modality
    count: int = 0
    overdue: int = 0  # no meaningful contact for longer than the modality's interval
    interval_days: int = 0


@dataclass
class Portfolio:
    rows: list[ModalityRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)

    @property
    def overdue(self) -> int:
        return sum(r.overdue for r in self.rows)


def contact_intervals(agency_id: int | None, defaults: dict[str, int]) -> dict[Modality, int]:
    """Expected contact interval per modality: the agency's settings over the defaults."""
    intervals = {m: int(defaults.get(m.value, 90)) for m in Modality}
    if agency_id is not None:
        rows = db.session.execute(
            sa.select(AgencyModalitySetting.modality, AgencyModalitySetting.contact_interval_days)
            .where(AgencyModalitySetting.agency_id == agency_id)
        )
        intervals.update({modality: days for modality, days in rows})
    return intervals


def portfolio_by_modality(condition: sa.ColumnElement[bool], *, day: Day,
                          intervals: dict[Modality, int]) -> Portfolio:
    """Active job seekers matching ``condition``, counted per modality, with how many
    have had no contact for longer than their modality's interval."""
    overdue_when = sa.or_(*(
        sa.and_(JobSeeker.modality == modality,
                sa.or_(JobSeeker.last_contact_at.is_(None),
                       JobSeeker.last_contact_at < day.now_utc - timedelta(days=days)))
        for modality, days in intervals.items()
    ))
    rows = db.session.execute(
        sa.select(JobSeeker.modality, sa.func.count(),
                  sa.func.sum(sa.case((overdue_when, 1), else_=0)))
        .where(condition, JobSeeker.status == JobSeekerStatus.ACTIVE)
        .group_by(JobSeeker.modality)
    ).all()
    found = {modality: (count, int(overdue or 0)) for modality, count, overdue in rows}
    return Portfolio([
        ModalityRow(m, *found.get(m, (0, 0)), interval_days=intervals[m]) for m in Modality
    ])


def open_tasks(user_id: int, *, day: Day) -> dict[str, Any]:
    counts = db.session.execute(
        sa.select(sa.func.count(), sa.func.sum(sa.case((Task.due_on < day.today, 1), else_=0)))
        .where(Task.owner_id == user_id, Task.status == TaskStatus.OPEN)
    ).one()
    tasks = db.session.scalars(
        sa.select(Task)
        .where(Task.owner_id == user_id, Task.status == TaskStatus.OPEN)
        .options(joinedload(Task.job_seeker), joinedload(Task.employer))
        .order_by(Task.due_on, Task.id)
        .limit(TASKS_SHOWN)
    ).all()
    return {"total": counts[0], "overdue": int(counts[1] or 0), "entries": tasks}


def appointments_today(user_id: int, *, day: Day) -> list[Appointment]:
    return list(db.session.scalars(
        sa.select(Appointment)
        .where(Appointment.staff_id == user_id,
               Appointment.scheduled_at >= day.start_utc, Appointment.scheduled_at < day.end_utc,
               Appointment.status != AppointmentStatus.CANCELLED)
        .options(joinedload(Appointment.job_seeker))
        .order_by(Appointment.scheduled_at)
    ))


def counselor_home(user: User, *, day: Day, defaults: dict[str, int]) -> dict[str, Any]:
    intervals = contact_intervals(user.agency_id, defaults)
    return {
        "portfolio": portfolio_by_modality(JobSeeker.referent_id == user.id, day=day, intervals=intervals),
        "tasks": open_tasks(user.id, day=day),
        "appointments": appointments_today(user.id, day=day),
    }


def employer_counselor_home(user: User, *, day: Day) -> dict[str, Any]:
    employers = db.session.execute(
        sa.select(Employer.segment, sa.func.count()).where(Employer.counselor_id == user.id)
        .group_by(Employer.segment)
    ).all()
    attention_before = day.today - timedelta(days=OFFER_ATTENTION_DAYS)
    offer_counts = db.session.execute(
        sa.select(sa.func.count(), sa.func.sum(sa.case((JobOffer.created_on <= attention_before, 1), else_=0)))
        .where(JobOffer.counselor_id == user.id, JobOffer.status == OfferStatus.OPEN)
    ).one()
    oldest_offers = db.session.scalars(
        sa.select(JobOffer)
        .where(JobOffer.counselor_id == user.id, JobOffer.status == OfferStatus.OPEN)
        .options(joinedload(JobOffer.employer))
        .order_by(JobOffer.created_on, JobOffer.id)
        .limit(OFFERS_SHOWN)
    ).all()
    return {
        "employers_by_segment": sorted(((s, n) for s, n in employers), key=lambda row: row[0] is None),
        "employers_total": sum(n for _, n in employers),
        "open_offers": offer_counts[0],
        "offers_needing_attention": int(offer_counts[1] or 0),
        "attention_days": OFFER_ATTENTION_DAYS,
        "oldest_offers": oldest_offers,
        "tasks": open_tasks(user.id, day=day),
    }


def benefits_counselor_home(user: User, *, day: Day) -> dict[str, Any]:
    mine = sa.and_(JobSeeker.benefits_counselor_id == user.id, JobSeeker.status == JobSeekerStatus.ACTIVE)
    followed = db.session.scalar(sa.select(sa.func.count()).select_from(JobSeeker).where(mine))
    horizon = day.today + timedelta(days=RIGHTS_ENDING_WITHIN_DAYS)
    rights_ending = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(BenefitRight.job_seeker_id)))
        .join(JobSeeker, JobSeeker.id == BenefitRight.job_seeker_id)
        .where(mine, BenefitRight.end_on >= day.today, BenefitRight.end_on <= horizon)
    )
    events = db.session.execute(
        sa.select(BenefitEvent.kind, sa.func.count())
        .join(JobSeeker, JobSeeker.id == BenefitEvent.job_seeker_id)
        .where(mine, BenefitEvent.resolved_on.is_(None))
        .group_by(BenefitEvent.kind).order_by(sa.func.count().desc())
    ).all()
    return {
        "followed": followed,
        "rights_ending": rights_ending,
        "rights_horizon_days": RIGHTS_ENDING_WITHIN_DAYS,
        "pending_events": events,
        "tasks": open_tasks(user.id, day=day),
        "appointments": appointments_today(user.id, day=day),
    }


def psychologist_home(user: User, *, day: Day) -> dict[str, Any]:
    week_end = day.start_utc + timedelta(days=7)
    upcoming = db.session.scalar(
        sa.select(sa.func.count()).select_from(Appointment)
        .where(Appointment.staff_id == user.id, Appointment.status == AppointmentStatus.PLANNED,
               Appointment.scheduled_at >= day.start_utc, Appointment.scheduled_at < week_end)
    )
    return {
        "appointments": appointments_today(user.id, day=day),
        "upcoming_week": upcoming,
        "tasks": open_tasks(user.id, day=day),
    }


def _job_seeker_count(column: sa.ColumnElement[int]) -> sa.ScalarSelect[int]:
    return (sa.select(sa.func.count()).select_from(JobSeeker)
            .where(column == User.id, JobSeeker.status == JobSeekerStatus.ACTIVE)
            .correlate(User).scalar_subquery())


def staff_with_portfolios(condition: sa.ColumnElement[bool], *, day: Day) -> list[dict[str, Any]]:
    """Staff members with their portfolio sizes and task load, in one query."""
    employers = (sa.select(sa.func.count()).select_from(Employer)
                 .where(Employer.counselor_id == User.id).correlate(User).scalar_subquery())
    tasks = (sa.select(sa.func.count()).select_from(Task)
             .where(Task.owner_id == User.id, Task.status == TaskStatus.OPEN).correlate(User).scalar_subquery())
    overdue_tasks = (sa.select(sa.func.count()).select_from(Task)
                     .where(Task.owner_id == User.id, Task.status == TaskStatus.OPEN, Task.due_on < day.today)
                     .correlate(User).scalar_subquery())
    rows = db.session.execute(
        sa.select(User, _job_seeker_count(JobSeeker.referent_id), _job_seeker_count(JobSeeker.benefits_counselor_id),
                  employers, tasks, overdue_tasks)
        .where(condition)
        .order_by(User.last_name, User.first_name)
    ).all()
    return [
        {"user": u, "job_seekers": js, "benefits": bs, "employers": es, "tasks": ts, "overdue_tasks": ot}
        for u, js, bs, es, ts, ot in rows
    ]


def team_manager_home(user: User, *, day: Day, defaults: dict[str, int]) -> dict[str, Any]:
    if user.team_id is None:
        return {"team": None}
    members = staff_with_portfolios(
        sa.and_(User.team_id == user.team_id, User.id != user.id, User.is_active_account.is_(True)), day=day)
    member_ids = sa.select(User.id).where(User.team_id == user.team_id)
    intervals = contact_intervals(user.agency_id, defaults)
    return {
        "team": db.session.get(Team, user.team_id),
        "members": members,
        "portfolio": portfolio_by_modality(JobSeeker.referent_id.in_(member_ids), day=day, intervals=intervals),
    }


def director_home(user: User, *, day: Day, defaults: dict[str, int]) -> dict[str, Any]:
    if user.agency_id is None:
        return {"agency": None}
    agency_id = user.agency_id
    intervals = contact_intervals(agency_id, defaults)
    employers = db.session.scalar(
        sa.select(sa.func.count()).select_from(Employer).where(Employer.agency_id == agency_id))
    open_offers = db.session.scalar(
        sa.select(sa.func.count()).select_from(JobOffer).join(Employer, Employer.id == JobOffer.employer_id)
        .where(Employer.agency_id == agency_id, JobOffer.status == OfferStatus.OPEN))
    staff = db.session.execute(
        sa.select(User.role, sa.func.count())
        .where(User.agency_id == agency_id, User.is_active_account.is_(True))
        .group_by(User.role)
    ).all()
    teams = db.session.execute(
        sa.select(Team.name, sa.func.count(User.id))
        .outerjoin(User, sa.and_(User.team_id == Team.id, User.is_active_account.is_(True)))
        .where(Team.agency_id == agency_id)
        .group_by(Team.id, Team.name).order_by(Team.name)
    ).all()
    staff_by_role = dict(staff)
    return {
        "agency": db.session.get(Agency, agency_id),
        "portfolio": portfolio_by_modality(JobSeeker.agency_id == agency_id, day=day, intervals=intervals),
        "employers": employers,
        "open_offers": open_offers,
        "staff": [(role, staff_by_role[role]) for role in Role if role in staff_by_role],
        "teams": teams,
    }


def admin_home(user: User, *, day: Day) -> dict[str, Any]:
    rows = db.session.execute(
        sa.select(User.role, User.is_active_account, sa.func.count())
        .group_by(User.role, User.is_active_account)
    ).all()
    by_role = {role: {"active": 0, "inactive": 0} for role in Role}
    for role, active, count in rows:
        by_role[role]["active" if active else "inactive"] += count
    return {
        "users_by_role": list(by_role.items()),
        "users_total": sum(c for *_, c in rows),
        "agencies": db.session.scalar(sa.select(sa.func.count()).select_from(Agency)),
    }


def home_context(user: User, *, day: Day, defaults: dict[str, int]) -> dict[str, Any]:
    """The data of ``user``'s home page, by role."""
    if user.role == Role.COUNSELOR:
        return counselor_home(user, day=day, defaults=defaults)
    if user.role == Role.EMPLOYER_COUNSELOR:
        return employer_counselor_home(user, day=day)
    if user.role == Role.BENEFITS_COUNSELOR:
        return benefits_counselor_home(user, day=day)
    if user.role == Role.PSYCHOLOGIST:
        return psychologist_home(user, day=day)
    if user.role == Role.TEAM_MANAGER:
        return team_manager_home(user, day=day, defaults=defaults)
    if user.role == Role.DIRECTOR:
        return director_home(user, day=day, defaults=defaults)
    return admin_home(user, day=day)
