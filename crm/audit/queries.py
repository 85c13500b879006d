"""Reading the audit trail: the events matching an administrator's filters, newest first.

Plain functions: the caller turns dates into naive UTC bounds (as stored) and pages.
The trail grows with every read of a file, so lists page by offset without counting
the whole table (one row more than the page says whether there is a next one).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crm.audit.models import AuditEvent
from crm.employers.models import Employer
from crm.extensions import db
from crm.jobseekers.models import JobSeeker
from crm.organisation.models import User

PAGE_SIZE = 50
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class AuditFilters:
    """``user``: an id, or part of a name or e-mail; ``person``: a job seeker's id, external
    id or last name; ``action``: an action or its start (``job_seeker.`` for all of them);
    ``start``/``end``: naive UTC bounds, end excluded."""

    user: str = ""
    person: str = ""
    action: str = ""
    start: datetime | None = None
    end: datetime | None = None


@dataclass
class AuditPage:
    events: list[AuditEvent]
    page: int
    has_next: bool
    persons: dict[int, JobSeeker]
    employers: dict[int, Employer]

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern (``_`` and ``%`` are common in actions)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(filters: AuditFilters) -> list[sa.ColumnElement[bool]]:
    clauses: list[sa.ColumnElement[bool]] = []
    user = filters.user.strip()
    if user:
        if user.isdigit():
            clauses.append(AuditEvent.user_id == int(user))
        else:
            pattern = f"%{_like(user.lower())}%"
            full_name = sa.func.lower(User.first_name + " " + User.last_name)
            clauses.append(AuditEvent.user_id.in_(sa.select(User.id).where(sa.or_(
                sa.func.lower(User.email).like(pattern, escape="\\"), full_name.like(pattern, escape="\\"),
                sa.func.lower(User.last_name + " " + User.first_name).like(pattern, escape="\\")))))
    person = filters.person.strip()
    if person:
        if person.isdigit():
            clauses.append(AuditEvent.job_seeker_id == int(person))
        else:
            clauses.append(AuditEvent.job_seeker_id.in_(sa.select(JobSeeker.id).where(sa.or_(
                JobSeeker.external_id == person,
                sa.func.lower(JobSeeker.last_name).like(f"{_like(person.lower())}%", escape="\\")))))
    action = filters.action.strip()
    if action:
        clauses.append(AuditEvent.action.like(f"{_like(action)}%", escape="\\"))
    if filters.start is not None:
        clauses.append(AuditEvent.at >= filters.start)
    if filters.end is not None:
        clauses.append(AuditEvent.at < filters.end)
    return clauses


def events_statement(filters: AuditFilters) -> sa.Select:
    return (sa.select(AuditEvent).where(*_conditions(filters))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))


def audit_page(filters: AuditFilters, *, page: int = 1, page_size: int = PAGE_SIZE) -> AuditPage:
    """One page of events, with their users, and the people and employers they concern
    (a fixed number of queries)."""
    rows = list(db.session.scalars(
        events_statement(filters).options(joinedload(AuditEvent.user))
        .offset((page - 1) * page_size).limit(page_size + 1)))
    events = rows[:page_size]
    person_ids = {e.job_seeker_id for e in events if e.job_seeker_id is not None}
    employer_ids = {e.employer_id for e in events if e.employer_id is not None}
    persons = {p.id: p for p in db.session.scalars(sa.select(JobSeeker).where(JobSeeker.id.in_(person_ids)))} \
        if person_ids else {}
    employers = {e.id: e for e in db.session.scalars(sa.select(Employer).where(Employer.id.in_(employer_ids)))} \
        if employer_ids else {}
    return AuditPage(events=events, page=page, has_next=len(rows) > page_size, persons=persons,
                     employers=employers)


def iter_events(filters: AuditFilters) -> Iterator[tuple[AuditEvent, str | None, str | None]]:
    """Every matching event with its user's name and e-mail, newest first, fetched in batches."""
    statement = (
        sa.select(AuditEvent, User.first_name + " " + User.last_name, User.email)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(*_conditions(filters))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .execution_options(yield_per=EXPORT_BATCH)
    )
    for event, name, email in db.session.execute(statement):
        yield event, name, email
