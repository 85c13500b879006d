"""Read-side queries over job seekers: the portfolio list and its filters.

The portfolio of a 350-person ``suivi`` counselor must render in a few queries: one
for the page of rows (with the next appointment as a correlated subquery), one for
the total, one for their target occupations, and the alert queries, which work in
bulk for the whole page (``crm.jobseekers.alerts.compute_alerts``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from crm import clock
from crm.enums import Modality
from crm.extensions import db
from crm.interactions.models import Appointment, AppointmentStatus
from crm.jobseekers.alerts import Alert, compute_alerts
from crm.jobseekers.models import Barrier, BarrierKind, JobSeeker, JobSeekerStatus, JobSeekerTarget

PAGE_SIZE = 50
EXPORT_CHUNK = 500  # rows per query (and per alert computation) when exporting a whole list

# Priority-public flags a list can filter on; age and long-term unemployment are derived.
FLAG_CODES = ("under_26", "over_50", "long_term_unemployed", "rsa", "rqth", "qpv", "zrr")

SORTS = {
    "name": (JobSeeker.last_name, JobSeeker.first_name),
    "last_contact": (JobSeeker.last_contact_at,),
    "registration": (JobSeeker.registration_date,),
    "modality": (JobSeeker.modality, JobSeeker.last_name),
}


@dataclass
class PortfolioFilters:
    """What the portfolio list is narrowed by; built from the query string by the view."""

    q: str = ""
    modality: Modality | None = None
    flags: list[str] = field(default_factory=list)
    barrier: BarrierKind | None = None
    rome: str = ""  # a ROME code ("M1607"), a family ("M16") or a domain ("M")
    min_days_without_contact: int | None = None
    max_days_without_contact: int | None = None
    next_appointment_within_days: int | None = None
    without_next_appointment: bool = False
    alert: str = ""
    sort: str = "name"
    descending: bool = False
    page: int = 1


@dataclass
class PortfolioRow:
    job_seeker: JobSeeker
    next_appointment_at: datetime | None
    alerts: list[Alert]

    def days_without_contact(self, today: date) -> int | None:
        last = self.job_seeker.last_contact_at
        return None if last is None else (today - last.date()).days


@dataclass
class PortfolioPage:
    rows: list[PortfolioRow]
    total: int
    page: int
    page_size: int
    # Active people per modality under the same filters except the modality itself, so the
    # counts at the top of the list stay visible (and clickable) once a modality is chosen.
    modality_counts: dict[Modality, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def next_appointment_subquery(now: datetime) -> sa.ScalarSelect[Any]:
    return (
        sa.select(sa.func.min(Appointment.scheduled_at))
        .where(
            Appointment.job_seeker_id == JobSeeker.id,
            Appointment.status == AppointmentStatus.PLANNED,
            Appointment.scheduled_at >= now,
        )
        .correlate(JobSeeker)
        .scalar_subquery()
    )


def _flag_clause(code: str, today: date) -> sa.ColumnElement[bool]:
    if code == "under_26":
        return JobSeeker.birth_date > _years_before(today, 26)
    if code == "over_50":
        return JobSeeker.birth_date <= _years_before(today, 50)
    if code == "long_term_unemployed":
        return JobSeeker.registration_date < today - timedelta(days=365)
    return getattr(JobSeeker, code).is_(True)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def filter_clauses(filters: PortfolioFilters, *, today: date, now: datetime) -> list[sa.ColumnElement[bool]]:
    clauses: list[sa.ColumnElement[bool]] = []
    if filters.q:
        term = f"%{filters.q.strip().lower()}%"
        full_name = sa.func.lower(JobSeeker.first_name + " " + JobSeeker.last_name)
        reverse_name = sa.func.lower(JobSeeker.last_name + " " + JobSeeker.first_name)
        clauses.append(sa.or_(full_name.like(term), reverse_name.like(term),
                              sa.func.lower(JobSeeker.external_id).like(term)))
    if filters.modality is not None:
        clauses.append(JobSeeker.modality == filters.modality)
    clauses.extend(_flag_clause(code, today) for code in filters.flags if code in FLAG_CODES)
    if filters.barrier is not None:
        clauses.append(
            sa.exists().where(Barrier.job_seeker_id == JobSeeker.id, Barrier.kind == filters.barrier,
                              Barrier.resolved_on.is_(None))
        )
    if filters.rome:
        clauses.append(
            sa.exists().where(JobSeekerTarget.job_seeker_id == JobSeeker.id,
                              JobSeekerTarget.rome_code.like(filters.rome.upper() + "%"))
        )
    if filters.min_days_without_contact is not None:
        limit = now - timedelta(days=filters.min_days_without_contact)
        clauses.append(sa.or_(JobSeeker.last_contact_at.is_(None), JobSeeker.last_contact_at <= limit))
    if filters.max_days_without_contact is not None:
        clauses.append(JobSeeker.last_contact_at > now - timedelta(days=filters.max_days_without_contact + 1))
    next_appointment = next_appointment_subquery(now)
    if filters.without_next_appointment:
        clauses.append(next_appointment.is_(None))
    elif filters.next_appointment_within_days is not None:
        clauses.append(next_appointment <= now + timedelta(days=filters.next_appointment_within_days))
    return clauses


def _portfolio_where(scope: sa.ColumnElement[bool], filters: PortfolioFilters, *, today: date,
                     now: datetime) -> tuple[list[sa.ColumnElement[bool]], list[sa.ColumnElement[bool]]]:
    """(clauses of every filter but the modality, the modality clause if any)."""
    modality = [JobSeeker.modality == filters.modality] if filters.modality is not None else []
    others = replace(filters, modality=None)
    where = [scope, JobSeeker.status == JobSeekerStatus.ACTIVE, *filter_clauses(others, today=today, now=now)]
    if filters.alert:
        # Alerts are computed, not stored: narrow in memory over the filtered ids.
        ids = db.session.scalars(sa.select(JobSeeker.id).where(*where, *modality)).all()
        alerts = compute_alerts(ids, on=today)
        ids = [i for i in ids if any(a.code == filters.alert for a in alerts.get(i, []))]
        where.append(JobSeeker.id.in_(ids) if ids else sa.false())
    return where, modality


def _rows_query(where: list[sa.ColumnElement[bool]], filters: PortfolioFilters, now: datetime) -> sa.Select[Any]:
    next_appointment = next_appointment_subquery(now).label("next_appointment_at")
    return (
        sa.select(JobSeeker, next_appointment)
        .where(*where)
        .order_by(*_order_by(filters, next_appointment))
        .options(selectinload(JobSeeker.targets).joinedload(JobSeekerTarget.occupation),
                 joinedload(JobSeeker.referent))
    )


def _rows(result: Any, today: date) -> list[PortfolioRow]:
    rows = result.all()
    alerts = compute_alerts([person.id for person, _ in rows], on=today)
    return [PortfolioRow(person, at, alerts.get(person.id, [])) for person, at in rows]


def portfolio_page(scope: sa.ColumnElement[bool], filters: PortfolioFilters, *, now: datetime,
                   page_size: int = PAGE_SIZE) -> PortfolioPage:
    """One page of the active job seekers matching ``scope`` (e.g. a referent) and the filters."""
    today = clock.local_date(now)
    others, modality = _portfolio_where(scope, filters, today=today, now=now)
    where = [*others, *modality]
    counts = dict(db.session.execute(
        sa.select(JobSeeker.modality, sa.func.count()).where(*others).group_by(JobSeeker.modality)).all())
    modality_counts = {m: counts.get(m, 0) for m in Modality}
    total = modality_counts[filters.modality] if filters.modality is not None else sum(counts.values())
    page = max(1, min(filters.page, max(1, -(-total // page_size))))
    result = db.session.execute(_rows_query(where, filters, now).limit(page_size).offset((page - 1) * page_size))
    return PortfolioPage(rows=_rows(result, today), total=total, page=page, page_size=page_size,
                         modality_counts=modality_counts)


def portfolio_count(scope: sa.ColumnElement[bool], filters: PortfolioFilters, *, now: datetime) -> int:
    others, modality = _portfolio_where(scope, filters, today=clock.local_date(now), now=now)
    return db.session.scalar(sa.select(sa.func.count()).select_from(JobSeeker).where(*others, *modality)) or 0


def iter_portfolio(scope: sa.ColumnElement[bool], filters: PortfolioFilters, *, now: datetime,
                   chunk: int = EXPORT_CHUNK) -> Iterator[PortfolioRow]:
    """Every row of the filtered list (all pages, same order), ``chunk`` rows per query:
    an export of thousands of people costs a few queries per chunk, never one per row."""
    today = clock.local_date(now)
    others, modality = _portfolio_where(scope, filters, today=today, now=now)
    query = _rows_query([*others, *modality], filters, now)
    offset = 0
    while True:
        rows = _rows(db.session.execute(query.limit(chunk).offset(offset)), today)
        yield from rows
        if len(rows) < chunk:
            return
        offset += chunk


def _order_by(filters: PortfolioFilters, next_appointment: Any) -> list[Any]:
    if filters.sort == "next_appointment":
        columns: tuple[Any, ...] = (next_appointment,)
    else:
        columns = SORTS.get(filters.sort, SORTS["name"])
    ordered = [c.desc() if filters.descending else c.asc() for c in columns]
    # NULLs last whatever the direction, the same on SQLite and PostgreSQL; id breaks ties.
    return [*(c.is_(None) for c in columns), *ordered, JobSeeker.id]
