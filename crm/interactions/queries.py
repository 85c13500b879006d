"""Read side of the job seeker's timeline and of its sections (appointments,
referrals, training funnel).

Plain functions: no request, no current user. Each list is one query with its
related rows eager-loaded, so a page costs a fixed number of queries whatever the
length of the person's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crm.catalogue.models import CatalogueItem, CatalogueKind
from crm.enums import ItemKind
from crm.extensions import db
from crm.interactions.models import (
    Appointment, AppointmentStatus, Channel, Interaction, InteractionKind, Proposal, Referral, Task, TaskOrigin,
    TaskStatus,
)
from crm.interactions.services import APPOINTMENT_TO_INTERACTION_KIND
from crm.offers.models import Application
from crm.outcomes.models import OutcomeEpisode

TIMELINE_PAGE_SIZE = 50
TRAINING_OPTIONS_SHOWN = 50

# Entry types, in the order they are listed when two share the same time.
ENTRY_TYPES = ("interaction", "appointment", "proposal", "referral", "application", "outcome")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    type: str  # one of ENTRY_TYPES
    obj: Any

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        return self.at, -ENTRY_TYPES.index(self.type), self.obj.id


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    page: int
    has_more: bool


def _at_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min)


def timeline_page(job_seeker_id: int | None = None, *, employer_id: int | None = None,
                  channel: Channel | None = None, kind: InteractionKind | None = None,
                  page: int = 1, per_page: int = TIMELINE_PAGE_SIZE) -> TimelinePage:
    """One page of the merged timeline of a job seeker or (``employer_id``) of an
    employer, newest first. An employer's history is its interactions (visits, calls,
    « mail entreprises », prospection, events); the rest of this describes a job seeker's.

    Interactions are merged with the objects that tell the rest of the story:
    appointments (at their scheduled time), proposals, referrals, mises en relation and
    outcome episodes. A channel filter keeps interactions and appointments of that
    channel; a kind filter keeps interactions of that kind and the objects of the same
    nature (an appointment of that kind, a referral for ``referral``, a mise en relation
    for ``application``, proposals for ``proposal``, training proposals for ``training``).

    Each source is read once, newest first, up to the end of the requested page: the
    top of the union is always within the union of each source's top.
    """
    wanted = page * per_page + 1
    entries: list[TimelineEntry] = []

    party = (Interaction.employer_id == employer_id if employer_id is not None
             else Interaction.job_seeker_id == job_seeker_id)
    interactions = (
        sa.select(Interaction)
        .where(party)
        .options(joinedload(Interaction.author), joinedload(Interaction.offer),
                 joinedload(Interaction.catalogue_item),
                 joinedload(Interaction.referral).joinedload(Referral.partner_item),
                 joinedload(Interaction.application).joinedload(Application.offer))
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(wanted)
    )
    if channel is not None:
        interactions = interactions.where(Interaction.channel == channel)
    if kind is not None:
        interactions = interactions.where(Interaction.kind == kind)
    entries += [TimelineEntry(i.occurred_at, "interaction", i) for i in db.session.scalars(interactions).unique()]
    if employer_id is not None:
        return _paged(entries, page=page, per_page=per_page)

    appointment_kinds = [k for k, v in APPOINTMENT_TO_INTERACTION_KIND.items() if kind is None or v == kind]
    if appointment_kinds:
        appointments = (
            sa.select(Appointment)
            .where(Appointment.job_seeker_id == job_seeker_id, Appointment.kind.in_(appointment_kinds))
            .options(joinedload(Appointment.staff))
            .order_by(Appointment.scheduled_at.desc(), Appointment.id.desc())
            .limit(wanted)
        )
        if channel is not None:
            appointments = appointments.where(Appointment.channel == channel)
        entries += [TimelineEntry(a.scheduled_at, "appointment", a) for a in db.session.scalars(appointments)]

    if channel is None:
        if kind in (None, InteractionKind.PROPOSAL, InteractionKind.TRAINING):
            proposals = (
                sa.select(Proposal)
                .where(Proposal.job_seeker_id == job_seeker_id)
                .options(joinedload(Proposal.author), joinedload(Proposal.catalogue_item),
                         joinedload(Proposal.offer))
                .order_by(Proposal.proposed_at.desc(), Proposal.id.desc())
                .limit(wanted)
            )
            if kind == InteractionKind.TRAINING:
                proposals = proposals.where(Proposal.item_kind == ItemKind.TRAINING)
            entries += [TimelineEntry(p.proposed_at, "proposal", p) for p in db.session.scalars(proposals)]
        if kind in (None, InteractionKind.REFERRAL):
            referrals = (
                sa.select(Referral)
                .where(Referral.job_seeker_id == job_seeker_id)
                .options(joinedload(Referral.partner_item), joinedload(Referral.referred_by))
                .order_by(Referral.referred_at.desc(), Referral.id.desc())
                .limit(wanted)
            )
            entries += [TimelineEntry(r.referred_at, "referral", r) for r in db.session.scalars(referrals)]
        if kind in (None, InteractionKind.APPLICATION):
            applications = (
                sa.select(Application)
                .where(Application.job_seeker_id == job_seeker_id)
                .options(joinedload(Application.offer), joinedload(Application.created_by))
                .order_by(Application.created_at.desc(), Application.id.desc())
                .limit(wanted)
            )
            entries += [TimelineEntry(a.created_at, "application", a) for a in db.session.scalars(applications)]
        if kind is None:
            outcomes = (
                sa.select(OutcomeEpisode)
                .where(OutcomeEpisode.job_seeker_id == job_seeker_id)
                .options(joinedload(OutcomeEpisode.employer))
                .order_by(OutcomeEpisode.start_on.desc(), OutcomeEpisode.id.desc())
                .limit(wanted)
            )
            entries += [TimelineEntry(_at_midnight(o.start_on), "outcome", o) for o in db.session.scalars(outcomes)]

    return _paged(entries, page=page, per_page=per_page)


def _paged(entries: list[TimelineEntry], *, page: int, per_page: int) -> TimelinePage:
    entries.sort(key=lambda entry: entry.sort_key, reverse=True)
    start = (page - 1) * per_page
    return TimelinePage(entries=entries[start:start + per_page], page=page, has_more=len(entries) > page * per_page)


# --------------------------------------------------------------------------- appointments


@dataclass(frozen=True)
class AppointmentsView:
    upcoming: list[Appointment]
    past: list[Appointment]  # held, missed, cancelled, or planned and overdue for an update
    follow_up_tasks: dict[int, list[Task]]  # appointment id → tasks opened because it was missed


def appointments_of(job_seeker_id: int, *, now: datetime) -> AppointmentsView:
    appointments = list(db.session.scalars(
        sa.select(Appointment)
        .where(Appointment.job_seeker_id == job_seeker_id)
        .options(joinedload(Appointment.staff))
        .order_by(Appointment.scheduled_at, Appointment.id)
    ))
    upcoming = [a for a in appointments if a.status == AppointmentStatus.PLANNED and a.scheduled_at >= now]
    past = [a for a in reversed(appointments) if a not in upcoming]
    tasks: dict[int, list[Task]] = {}
    missed_ids = [a.id for a in appointments if a.status == AppointmentStatus.MISSED]
    if missed_ids:
        for task in db.session.scalars(
            sa.select(Task)
            .where(Task.appointment_id.in_(missed_ids), Task.origin == TaskOrigin.MISSED_APPOINTMENT)
            .options(joinedload(Task.owner))
            .order_by(Task.due_on, Task.id)
        ):
            tasks.setdefault(task.appointment_id, []).append(task)
    return AppointmentsView(upcoming=upcoming, past=past, follow_up_tasks=tasks)


# --------------------------------------------------------------------------- referrals


@dataclass(frozen=True)
class ReferralsView:
    referrals: list[Referral]
    no_show_tasks: list[Task]  # open follow-ups of a no-show at a partner


def referrals_of(job_seeker_id: int) -> ReferralsView:
    referrals = list(db.session.scalars(
        sa.select(Referral)
        .where(Referral.job_seeker_id == job_seeker_id)
        .options(joinedload(Referral.partner_item), joinedload(Referral.referred_by))
        .order_by(Referral.referred_at.desc(), Referral.id.desc())
    ))
    tasks = list(db.session.scalars(
        sa.select(Task)
        .where(Task.job_seeker_id == job_seeker_id, Task.origin == TaskOrigin.REFERRAL_NO_SHOW,
               Task.status == TaskStatus.OPEN)
        .options(joinedload(Task.owner))
        .order_by(Task.due_on, Task.id)
    ))
    return ReferralsView(referrals=referrals, no_show_tasks=tasks)


def partner_services() -> list[CatalogueItem]:
    """Active partner services, to choose the partner of a referral."""
    return list(db.session.scalars(
        sa.select(CatalogueItem)
        .where(CatalogueItem.kind == CatalogueKind.PARTNER_SERVICE, CatalogueItem.active.is_(True))
        .order_by(CatalogueItem.partner_kind, CatalogueItem.title)
    ))


# --------------------------------------------------------------------------- training funnel


@dataclass(frozen=True)
class FunnelStep:
    proposal: Proposal

    @property
    def days_to_prescription(self) -> int | None:
        p = self.proposal
        return None if p.prescribed_at is None else (p.prescribed_at.date() - p.proposed_at.date()).days

    @property
    def days_to_start(self) -> int | None:
        p = self.proposal
        return None if p.started_on is None or p.prescribed_at is None else (p.started_on - p.prescribed_at.date()).days


@dataclass(frozen=True)
class TrainingFunnel:
    steps: list[FunnelStep]

    @property
    def mentioned(self) -> int:
        return len(self.steps)

    @property
    def prescribed(self) -> int:
        return sum(1 for s in self.steps if s.proposal.prescribed_at is not None)

    @property
    def started(self) -> int:
        return sum(1 for s in self.steps if s.proposal.started_on is not None)


def training_funnel(job_seeker_id: int) -> TrainingFunnel:
    proposals = db.session.scalars(
        sa.select(Proposal)
        .where(Proposal.job_seeker_id == job_seeker_id, Proposal.item_kind == ItemKind.TRAINING)
        .options(joinedload(Proposal.catalogue_item), joinedload(Proposal.author), joinedload(Proposal.session))
        .order_by(Proposal.proposed_at.desc(), Proposal.id.desc())
    )
    return TrainingFunnel(steps=[FunnelStep(p) for p in proposals])


def training_options(search: str = "", *, limit: int = TRAINING_OPTIONS_SHOWN) -> list[CatalogueItem]:
    """Active catalogue trainings whose title, code or provider contains ``search``."""
    statement = (sa.select(CatalogueItem)
                 .where(CatalogueItem.kind == CatalogueKind.TRAINING, CatalogueItem.active.is_(True))
                 .order_by(CatalogueItem.title, CatalogueItem.id).limit(limit))
    search = search.strip()
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(sa.or_(*(sa.func.lower(column).like(pattern, escape="\\") for column in (
            CatalogueItem.title, CatalogueItem.code, CatalogueItem.provider))))
    return list(db.session.scalars(statement))
