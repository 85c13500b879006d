"""Read side of employer relations: the portfolio list, the account view, the hiring
history and the recontacting list.

Plain functions: no request, no current user. The list is one query for the page (its
per-row figures are subqueries) plus one count, whatever the number of employers; the
account view loads each section in one query with its related rows eager-loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from crm.employers.models import (
    Employer, EmployerContact, EmployerSegment, EmployerSite, ProspectionAction, RecruitmentNeed, SatisfactionAnswer,
)
from crm.extensions import db
from crm.jobseekers.models import JobSeeker
from crm.offers.models import Application, ApplicationStatus, JobOffer, OfferStatus
from crm.organisation.models import User
from crm.outcomes.models import OutcomeEpisode, OutcomeKind
from crm.referentials.models import Commune, NafCode

PAGE_SIZE = 50
HISTORY_MONTHS = 18
# Seed 001: employers with recent hires or declared intentions are recontacted when
# nobody has reached them for this long.
RECONTACT_AFTER_DAYS = 90
RECENT_HIRES_DAYS = 365


# --------------------------------------------------------------------------- portfolio list


@dataclass(frozen=True)
class EmployerFilters:
    q: str = ""
    siret: str = ""  # a full, valid SIRET typed in the search box
    naf_section: str | None = None
    naf_code: str | None = None
    size_band: str | None = None
    commune: str = ""
    segment: EmployerSegment | None = None
    open_offers: bool | None = None
    min_days_without_contact: int | None = None
    max_days_without_contact: int | None = None
    satisfaction: str | None = None  # "yes", "no" (last answer) or "none" (never answered)
    page: int = 1


@dataclass(frozen=True)
class EmployerRow:
    employer: Employer
    open_offers: int
    would_recommend: bool | None  # last satisfaction answer, None when never answered


@dataclass(frozen=True)
class EmployerPage:
    rows: list[EmployerRow]
    total: int
    page: int
    pages: int


def _open_offer_counts() -> sa.Subquery:
    return (sa.select(JobOffer.employer_id, sa.func.count().label("open_offers"))
            .where(JobOffer.status == OfferStatus.OPEN)
            .group_by(JobOffer.employer_id)
            .subquery())


def _last_recommendation() -> sa.ScalarSelect[Any]:
    return (sa.select(SatisfactionAnswer.would_recommend)
            .where(SatisfactionAnswer.employer_id == Employer.id)
            .order_by(SatisfactionAnswer.answered_on.desc(), SatisfactionAnswer.id.desc())
            .limit(1)
            .correlate(Employer)
            .scalar_subquery())


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(filters: EmployerFilters, *, now: datetime, open_count: Any, recommendation: Any) -> list[Any]:
    clauses: list[Any] = []
    if filters.siret:
        clauses.append(Employer.siret == filters.siret)
    elif filters.q:
        text = _like_escape(filters.q.lower())
        name_match = sa.func.lower(Employer.name).like(f"%{text}%", escape="\\")
        compact = "".join(filters.q.split())
        clauses.append(sa.or_(name_match, Employer.siret.like(f"{_like_escape(compact)}%", escape="\\"))
                       if compact.isdigit() else name_match)
    if filters.naf_code:
        clauses.append(Employer.naf_code == filters.naf_code)
    if filters.naf_section:
        clauses.append(Employer.naf_code.in_(sa.select(NafCode.code).where(NafCode.section_code == filters.naf_section)))
    if filters.size_band:
        clauses.append(Employer.size_band_code == filters.size_band)
    if filters.commune:
        text = filters.commune.strip()
        clauses.append(Employer.commune_insee.in_(sa.select(Commune.insee_code).where(sa.or_(
            Commune.insee_code == text, Commune.postcode == text,
            sa.func.lower(Commune.name).like(f"{_like_escape(text.lower())}%", escape="\\")))))
    if filters.segment is not None:
        clauses.append(Employer.segment == filters.segment)
    if filters.open_offers is True:
        clauses.append(open_count > 0)
    elif filters.open_offers is False:
        clauses.append(open_count == 0)
    if filters.min_days_without_contact is not None:
        cutoff = now - timedelta(days=filters.min_days_without_contact)
        clauses.append(sa.or_(Employer.last_contact_at.is_(None), Employer.last_contact_at <= cutoff))
    if filters.max_days_without_contact is not None:
        clauses.append(Employer.last_contact_at >= now - timedelta(days=filters.max_days_without_contact))
    if filters.satisfaction == "yes":
        clauses.append(recommendation.is_(True))
    elif filters.satisfaction == "no":
        clauses.append(recommendation.is_(False))
    elif filters.satisfaction == "none":
        clauses.append(recommendation.is_(None))
    return clauses


def employer_page(scope: sa.ColumnElement[bool], filters: EmployerFilters, *, now: datetime,
                  per_page: int = PAGE_SIZE) -> EmployerPage:
    """One page of the employers in ``scope`` matching ``filters``, by name: two queries."""
    counts = _open_offer_counts()
    open_count = sa.func.coalesce(counts.c.open_offers, 0)
    recommendation = _last_recommendation()
    where = [scope, *_conditions(filters, now=now, open_count=open_count, recommendation=recommendation)]
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(Employer).outerjoin(counts, counts.c.employer_id == Employer.id)
        .where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(filters.page, 1), pages)
    rows = db.session.execute(
        sa.select(Employer, open_count.label("open_offers"), recommendation.label("would_recommend"))
        .outerjoin(counts, counts.c.employer_id == Employer.id)
        .where(*where)
        .options(joinedload(Employer.naf), joinedload(Employer.size_band), joinedload(Employer.commune),
                 joinedload(Employer.counselor))
        .order_by(Employer.name, Employer.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return EmployerPage(rows=[EmployerRow(e, n, rec) for e, n, rec in rows], total=total, page=page, pages=pages)


# --------------------------------------------------------------------------- hiring history


@dataclass(frozen=True)
class MonthFigures:
    month: date  # first day of the month
    offers: int
    hires: int


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def hiring_history(employer_id: int, *, today: date, months: int = HISTORY_MONTHS) -> list[MonthFigures]:
    """Offers created and hires per month over the last ``months`` months (this one included).

    A hire is a mise en relation marked hired (on its outcome date, else the day it was
    made) or an employment episode with this employer; an episode that records a hire
    already counted through its mise en relation is not counted twice.
    """
    start = _month_start(today, months - 1)
    offer_days = db.session.scalars(
        sa.select(JobOffer.created_on).where(JobOffer.employer_id == employer_id, JobOffer.created_on >= start))
    hired = db.session.execute(
        sa.select(Application.id, Application.outcome_date, Application.created_at)
        .join(JobOffer, JobOffer.id == Application.offer_id)
        .where(JobOffer.employer_id == employer_id, Application.status == ApplicationStatus.HIRED)).all()
    episodes = db.session.execute(
        sa.select(OutcomeEpisode.start_on, OutcomeEpisode.application_id)
        .where(OutcomeEpisode.employer_id == employer_id, OutcomeEpisode.kind == OutcomeKind.EMPLOYMENT,
               OutcomeEpisode.start_on >= start)).all()
    hired_ids = {row.id for row in hired}
    hire_days = [row.outcome_date or row.created_at.date() for row in hired]
    hire_days += [row.start_on for row in episodes if row.application_id not in hired_ids]
    months_list = [_month_start(today, back) for back in range(months - 1, -1, -1)]
    offers = {m: 0 for m in months_list}
    hires = {m: 0 for m in months_list}
    for day in offer_days:
        offers[_month_start(day)] = offers.get(_month_start(day), 0) + 1
    for day in hire_days:
        if day >= start and _month_start(day) in hires:
            hires[_month_start(day)] += 1
    return [MonthFigures(m, offers.get(m, 0), hires[m]) for m in months_list]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    value: int


@dataclass(frozen=True)
class HistoryChart:
    """Geometry of the hiring-history bars, computed here so the template only draws."""

    months: list[MonthFigures]
    offer_bars: list[Bar]
    hire_bars: list[Bar]
    width: int
    height: int
    baseline: float
    peak: int
    total_offers: int
    total_hires: int
    slot: int = 24
    bar_width: int = 9


def history_chart(months: list[MonthFigures], *, height: int = 120, slot: int = 24, bar_width: int = 9) -> HistoryChart:
    top, bottom = 8, 20  # room for the month initials under the bars
    peak = max([1, *(m.offers for m in months), *(m.hires for m in months)])
    usable = height - top - bottom
    baseline = float(height - bottom)

    def bar(index: int, offset: int, value: int) -> Bar:
        h = round(usable * value / peak, 1)
        return Bar(x=index * slot + offset, y=round(baseline - h, 1), height=h, value=value)

    return HistoryChart(
        months=months, offer_bars=[bar(i, 2, m.offers) for i, m in enumerate(months)],
        hire_bars=[bar(i, 2 + bar_width + 1, m.hires) for i, m in enumerate(months)],
        width=slot * len(months), height=height, baseline=baseline, peak=peak,
        total_offers=sum(m.offers for m in months), total_hires=sum(m.hires for m in months),
        slot=slot, bar_width=bar_width)


# --------------------------------------------------------------------------- account view


@dataclass(frozen=True)
class AccountView:
    sites: list[EmployerSite]
    contacts: list[EmployerContact]
    current_needs: list[RecruitmentNeed]
    past_needs: list[RecruitmentNeed]
    satisfaction: list[SatisfactionAnswer]
    open_offers: list[JobOffer]
    prospection: list[ProspectionAction]
    history: HistoryChart
    counts: dict[int, dict[ApplicationStatus, int]] = field(default_factory=dict)  # offer id → status → count


def account_view(employer: Employer, *, today: date) -> AccountView:
    """Everything the account page shows besides the identity and the timeline."""
    sites = list(db.session.scalars(sa.select(EmployerSite).where(EmployerSite.employer_id == employer.id)
                                    .options(joinedload(EmployerSite.commune)).order_by(EmployerSite.label)))
    contacts = list(db.session.scalars(
        sa.select(EmployerContact).where(EmployerContact.employer_id == employer.id)
        .order_by(EmployerContact.is_primary.desc(), EmployerContact.last_name, EmployerContact.id)))
    needs = list(db.session.scalars(
        sa.select(RecruitmentNeed).where(RecruitmentNeed.employer_id == employer.id)
        .options(joinedload(RecruitmentNeed.occupation))
        .order_by(RecruitmentNeed.expected_on.desc(), RecruitmentNeed.declared_on.desc(), RecruitmentNeed.id)))
    answers = list(db.session.scalars(
        sa.select(SatisfactionAnswer).where(SatisfactionAnswer.employer_id == employer.id)
        .order_by(SatisfactionAnswer.answered_on.desc(), SatisfactionAnswer.id.desc())))
    offers = list(db.session.scalars(
        sa.select(JobOffer).where(JobOffer.employer_id == employer.id, JobOffer.status == OfferStatus.OPEN)
        .options(selectinload(JobOffer.applications).joinedload(Application.job_seeker)
                 .load_only(JobSeeker.first_name, JobSeeker.last_name))
        .order_by(JobOffer.created_on.desc(), JobOffer.id.desc())))
    prospection = list(db.session.scalars(
        sa.select(ProspectionAction).where(ProspectionAction.employer_id == employer.id)
        .options(joinedload(ProspectionAction.counselor), joinedload(ProspectionAction.job_seeker))
        .order_by(sa.func.coalesce(ProspectionAction.done_on, ProspectionAction.planned_on).desc(),
                  ProspectionAction.id.desc())
        .limit(50)))
    counts: dict[int, dict[ApplicationStatus, int]] = {}
    for offer in offers:
        for application in offer.applications:
            per_status = counts.setdefault(offer.id, {})
            per_status[application.status] = per_status.get(application.status, 0) + 1
    current = [n for n in needs if n.expected_on is None or n.expected_on >= today]
    return AccountView(
        sites=sites, contacts=contacts, current_needs=current, past_needs=[n for n in needs if n not in current],
        satisfaction=answers, open_offers=offers, prospection=prospection,
        history=history_chart(hiring_history(employer.id, today=today)), counts=counts)


# --------------------------------------------------------------------------- recontacting list


@dataclass(frozen=True)
class RecontactRow:
    employer: Employer
    recent_hires: int
    next_need_on: date | None  # the nearest declared intention still to come
    needs: int


def recontact_list(scope: sa.ColumnElement[bool], *, now: datetime, today: date,
                   limit: int = 500) -> list[RecontactRow]:
    """Employers with hires in the last 12 months or recruitment intentions still to come
    (BMO survey, visits, calls), not reached for ``RECONTACT_AFTER_DAYS`` days, the
    longest-unreached first."""
    since = today - timedelta(days=RECENT_HIRES_DAYS)
    hires = (sa.select(JobOffer.employer_id.label("employer_id"), sa.func.count().label("n"))
             .join(Application, Application.offer_id == JobOffer.id)
             .where(Application.status == ApplicationStatus.HIRED,
                    sa.func.coalesce(Application.outcome_date, sa.func.date(Application.created_at)) >= since)
             .group_by(JobOffer.employer_id).subquery())
    episodes = (sa.select(OutcomeEpisode.employer_id.label("employer_id"), sa.func.count().label("n"))
                .where(OutcomeEpisode.kind == OutcomeKind.EMPLOYMENT, OutcomeEpisode.start_on >= since,
                       OutcomeEpisode.employer_id.is_not(None), OutcomeEpisode.application_id.is_(None))
                .group_by(OutcomeEpisode.employer_id).subquery())
    future_needs = (sa.select(RecruitmentNeed.employer_id.label("employer_id"), sa.func.count().label("n"),
                              sa.func.min(RecruitmentNeed.expected_on).label("next_on"))
                    .where(sa.or_(RecruitmentNeed.expected_on >= today,
                                  sa.and_(RecruitmentNeed.expected_on.is_(None), RecruitmentNeed.declared_on >= since)))
                    .group_by(RecruitmentNeed.employer_id).subquery())
    recent = sa.func.coalesce(hires.c.n, 0) + sa.func.coalesce(episodes.c.n, 0)
    need_count = sa.func.coalesce(future_needs.c.n, 0)
    cutoff = now - timedelta(days=RECONTACT_AFTER_DAYS)
    rows = db.session.execute(
        sa.select(Employer, recent.label("recent"), future_needs.c.next_on, need_count.label("needs"))
        .outerjoin(hires, hires.c.employer_id == Employer.id)
        .outerjoin(episodes, episodes.c.employer_id == Employer.id)
        .outerjoin(future_needs, future_needs.c.employer_id == Employer.id)
        .where(scope, sa.or_(Employer.last_contact_at.is_(None), Employer.last_contact_at <= cutoff),
               sa.or_(recent > 0, need_count > 0))
        .options(joinedload(Employer.counselor), joinedload(Employer.commune), joinedload(Employer.naf))
        .order_by(Employer.last_contact_at.is_not(None), Employer.last_contact_at, Employer.name, Employer.id)
        .limit(limit)
    ).all()
    return [RecontactRow(e, recent_n, next_on, n) for e, recent_n, next_on, n in rows]


# --------------------------------------------------------------------------- reassignment


def employer_counselors(agency_id: int, *, team_id: int | None = None) -> list[User]:
    """Active employer counselors of an agency (of one team when given): reassignment targets."""
    from crm.organisation.models import Role

    query = (sa.select(User).where(User.agency_id == agency_id, User.role == Role.EMPLOYER_COUNSELOR,
                                   User.is_active_account.is_(True))
             .order_by(User.last_name, User.first_name, User.id))
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    return list(db.session.scalars(query))
