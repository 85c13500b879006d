"""Alerts on a job seeker's file, computed from the data, each rule documented.

``compute_alerts(ids, on=day)`` evaluates every rule for a whole portfolio with a
fixed number of queries (one per source table, whatever the number of people), so a
350-person portfolio costs the same handful of queries as a single file.

Each rule has a ``code``, a short French ``label`` and an ``explanation`` (the rule in
plain French, shown on hover). Only people still registered (status ``active``) get
alerts.

"As of ``on``": dated facts (registration, appointments, rights, prescriptions) are
read as of that day; the last contact and last online activity are the columns kept
current by ``crm.interactions.services``, so for a past day they may be later than
``on`` (the rules are meant for today's lists).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from crm.catalogue.models import CatalogueItem
from crm.config import DEFAULT_CONTACT_INTERVAL_DAYS
from crm.db import in_ids
from crm.enums import ItemKind, Modality
from crm.extensions import db
from crm.interactions.models import (
    MEANINGFUL_OUTCOMES, Appointment, AppointmentKind, AppointmentStatus, Interaction, InteractionKind,
    Proposal, ProposalOutcome, ProposalResponse, Referral, ReferralStatus, Task, TaskOrigin, TaskStatus,
)
from crm.jobseekers.models import BenefitRight, JobSeeker, JobSeekerStatus
from crm.organisation.models import AgencyModalitySetting

# The entretien de situation is due within 30 days of registration: the deadline used
# for the former EID and the « 4 semaines » commonly announced to new registrants.
SITUATION_INTERVIEW_DEADLINE_DAYS = 30
REVIEW_FROM_MONTHS, REVIEW_UNTIL_MONTHS = 6, 9
BENEFITS_ENDING_WITHIN_DAYS = 30
TRAINING_START_MONTHS = 4  # seed 001: about 4 months from prescription to start
ONLINE_INACTIVITY_DAYS = 30
CHUNK = 5000  # ids per statement (one array parameter: ``crm.db.in_ids``)


@dataclass(frozen=True)
class AlertRule:
    code: str
    label: Any
    explanation: Any


@dataclass(frozen=True)
class Alert:
    code: str
    label: Any
    explanation: Any
    since: date  # the day the condition became true (a due date that passed, an end date to come…)
    detail: dict[str, Any] = field(default_factory=dict)


SITUATION_INTERVIEW_MISSING = AlertRule(
    "situation_interview_missing",
    _l("Entretien de situation non réalisé"),
    _l("Inscrit depuis plus de %(days)s jours sans entretien de situation réalisé (rendez-vous honoré ou "
       "entretien tracé avec la personne).", days=SITUATION_INTERVIEW_DEADLINE_DAYS),
)
REVIEW_6_9_DUE = AlertRule(
    "review_6_9_due",
    _l("Point des 6-9 mois à faire"),
    _l("Entre le 6e et le 9e mois après l'inscription, le point d'étape n'a pas encore eu lieu."),
)
REVIEW_6_9_OVERDUE = AlertRule(
    "review_6_9_overdue",
    _l("Point des 6-9 mois en retard"),
    _l("Plus de 9 mois après l'inscription, le point d'étape des 6-9 mois n'a pas eu lieu."),
)
NO_RECENT_CONTACT = AlertRule(
    "no_recent_contact",
    _l("Pas de contact récent"),
    _l("Aucun contact abouti (entretien, appel, message ayant reçu une réponse, dans un sens ou dans l'autre) "
       "depuis plus longtemps que le délai prévu pour sa modalité de suivi ; sans contact, le délai court "
       "depuis l'inscription. L'activité en ligne ne compte pas."),
)
BENEFITS_ENDING = AlertRule(
    "benefits_ending",
    _l("Fin de droits proche"),
    _l("Les droits à indemnisation se terminent dans les %(days)s jours, sans droit qui prenne le relais : "
       "préparer la suite (ASS, RSA, reprise d'emploi).", days=BENEFITS_ENDING_WITHIN_DAYS),
)
MISSED_APPOINTMENT = AlertRule(
    "missed_appointment",
    _l("Rendez-vous manqué sans suite"),
    _l("Un rendez-vous a été manqué et la personne n'a pas été recontactée depuis (ni contact abouti, ni "
       "rendez-vous honoré), et la tâche de relance n'est pas close."),
)
REFERRAL_NO_SHOW = AlertRule(
    "referral_no_show",
    _l("Absent chez le partenaire"),
    _l("Le partenaire signale que la personne ne s'est pas présentée, et elle n'a pas été recontactée depuis "
       "(ni contact abouti, ni suite enregistrée sur l'orientation)."),
)
TRAINING_NOT_STARTED = AlertRule(
    "training_not_started",
    _l("Formation prescrite non commencée"),
    _l("Une formation prescrite depuis plus de %(months)s mois n'a pas commencé, et la prescription n'a été "
       "ni déclinée ni close.", months=TRAINING_START_MONTHS),
)
ONLINE_ACTIVITY_DROPPED = AlertRule(
    "online_activity_dropped",
    _l("Activité en ligne interrompue"),
    _l("La personne utilisait son espace personnel (connexion, candidature, CV, recherche) mais n'y a rien fait "
       "depuis plus de %(days)s jours.", days=ONLINE_INACTIVITY_DAYS),
)

# In display order.
RULES: dict[str, AlertRule] = {rule.code: rule for rule in (
    SITUATION_INTERVIEW_MISSING, REVIEW_6_9_OVERDUE, REVIEW_6_9_DUE, MISSED_APPOINTMENT, REFERRAL_NO_SHOW,
    BENEFITS_ENDING, NO_RECENT_CONTACT, TRAINING_NOT_STARTED, ONLINE_ACTIVITY_DROPPED,
)}


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (31 Aug + 6 months = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def contact_intervals(agency_ids: Iterable[int]) -> dict[tuple[int, Modality], int]:
    """Expected contact interval (days) per (agency, modality): agency overrides, else the defaults."""
    defaults = DEFAULT_CONTACT_INTERVAL_DAYS
    if has_app_context():
        defaults = current_app.config.get("DEFAULT_CONTACT_INTERVAL_DAYS", defaults)
    agency_ids = set(agency_ids)
    intervals = {(agency_id, modality): defaults[modality.value] for agency_id in agency_ids for modality in Modality}
    if agency_ids:
        rows = db.session.execute(
            sa.select(AgencyModalitySetting.agency_id, AgencyModalitySetting.modality,
                      AgencyModalitySetting.contact_interval_days)
            .where(AgencyModalitySetting.agency_id.in_(agency_ids)))
        for agency_id, modality, days in rows:
            intervals[(agency_id, modality)] = days
    return intervals


@dataclass
class _Facts:
    """What the rules need to know about one person, gathered in bulk."""

    id: int
    agency_id: int
    modality: Modality
    registration_date: date
    last_contact_at: datetime | None
    last_online_at: datetime | None
    situation_interview_at: datetime | None = None
    review_at: datetime | None = None
    last_done_appointment_at: datetime | None = None
    benefits_end_on: date | None = None
    missed_appointments: list[tuple[int, datetime]] = field(default_factory=list)
    no_show_referrals: list[tuple[int, datetime, str]] = field(default_factory=list)
    pending_trainings: list[tuple[int, datetime, str]] = field(default_factory=list)


def compute_alerts(job_seeker_ids: Iterable[int], *, on: date) -> dict[int, list[Alert]]:
    """Alerts per job seeker id as of ``on`` (every id requested is a key; exited people get none)."""
    ids = sorted(set(job_seeker_ids))
    facts: dict[int, _Facts] = {}
    for start in range(0, len(ids), CHUNK):
        facts.update(_gather(ids[start:start + CHUNK], on=on))
    intervals = contact_intervals({f.agency_id for f in facts.values()})
    result: dict[int, list[Alert]] = {job_seeker_id: [] for job_seeker_id in ids}
    for person in facts.values():
        found = [alert for check in _CHECKS for alert in check(person, on, intervals)]
        order = list(RULES)
        result[person.id] = sorted(found, key=lambda alert: (order.index(alert.code), alert.since))
    return result


def alerts_for(job_seeker: JobSeeker, *, on: date) -> list[Alert]:
    return compute_alerts([job_seeker.id], on=on)[job_seeker.id]


def _gather(ids: list[int], *, on: date) -> dict[int, _Facts]:
    rows = db.session.execute(
        sa.select(JobSeeker.id, JobSeeker.agency_id, JobSeeker.modality, JobSeeker.registration_date,
                  JobSeeker.last_contact_at, JobSeeker.last_online_at)
        .where(in_ids(JobSeeker.id, ids), JobSeeker.status == JobSeekerStatus.ACTIVE))
    facts = {row.id: _Facts(*row) for row in rows}
    if not facts:
        return facts
    ids = list(facts)
    end_of_day = datetime.combine(on + timedelta(days=1), datetime.min.time())

    # Situation interview and 6–9 month review held: traced as a meaningful interaction…
    def latest_interaction(kind: InteractionKind) -> Any:
        return sa.func.max(sa.case((Interaction.kind == kind, Interaction.occurred_at)))

    rows = db.session.execute(
        sa.select(Interaction.job_seeker_id, latest_interaction(InteractionKind.SITUATION_INTERVIEW),
                  latest_interaction(InteractionKind.REVIEW_6_9))
        .where(in_ids(Interaction.job_seeker_id, ids), Interaction.occurred_at < end_of_day,
               Interaction.kind.in_([InteractionKind.SITUATION_INTERVIEW, InteractionKind.REVIEW_6_9]),
               Interaction.outcome.in_(MEANINGFUL_OUTCOMES))
        .group_by(Interaction.job_seeker_id))
    for job_seeker_id, interview_at, review_at in rows:
        person = facts[job_seeker_id]
        person.situation_interview_at, person.review_at = interview_at, review_at

    # … or as an appointment marked done (imports may carry appointments alone).
    def latest_done(kind: AppointmentKind | None = None) -> Any:
        condition = Appointment.status == AppointmentStatus.DONE
        if kind is not None:
            condition = sa.and_(condition, Appointment.kind == kind)
        return sa.func.max(sa.case((condition, Appointment.scheduled_at)))

    rows = db.session.execute(
        sa.select(Appointment.job_seeker_id, latest_done(AppointmentKind.SITUATION_INTERVIEW),
                  latest_done(AppointmentKind.REVIEW_6_9), latest_done(),
                  sa.func.count().filter(Appointment.status == AppointmentStatus.MISSED))
        .where(in_ids(Appointment.job_seeker_id, ids), Appointment.scheduled_at < end_of_day,
               Appointment.status.in_([AppointmentStatus.DONE, AppointmentStatus.MISSED]))
        .group_by(Appointment.job_seeker_id))
    with_missed = []
    for job_seeker_id, interview_at, review_at, done_at, missed in rows:
        person = facts[job_seeker_id]
        person.situation_interview_at = _latest(person.situation_interview_at, interview_at)
        person.review_at = _latest(person.review_at, review_at)
        person.last_done_appointment_at = done_at
        if missed:
            with_missed.append(job_seeker_id)

    # Missed appointments whose follow-up task was not closed (a task closed as done or
    # cancelled means the counselor dealt with it). Only asked for people with one.
    if with_missed:
        closed_task = (sa.select(Task.id)
                       .where(Task.appointment_id == Appointment.id, Task.origin == TaskOrigin.MISSED_APPOINTMENT,
                              Task.status != TaskStatus.OPEN)
                       .exists())
        rows = db.session.execute(
            sa.select(Appointment.job_seeker_id, Appointment.id, Appointment.scheduled_at)
            .where(in_ids(Appointment.job_seeker_id, with_missed), Appointment.status == AppointmentStatus.MISSED,
                   Appointment.scheduled_at < end_of_day, sa.not_(closed_task)))
        for job_seeker_id, appointment_id, scheduled_at in rows:
            facts[job_seeker_id].missed_appointments.append((appointment_id, scheduled_at))

    # Benefit rights: the last end date (a later right takes over from an ending one).
    rows = db.session.execute(
        sa.select(BenefitRight.job_seeker_id, sa.func.max(BenefitRight.end_on))
        .where(in_ids(BenefitRight.job_seeker_id, ids), BenefitRight.start_on <= on + timedelta(
            days=BENEFITS_ENDING_WITHIN_DAYS))
        .group_by(BenefitRight.job_seeker_id))
    for job_seeker_id, end_on in rows:
        facts[job_seeker_id].benefits_end_on = end_on

    rows = db.session.execute(
        sa.select(Referral.job_seeker_id, Referral.id, sa.func.coalesce(Referral.feedback_at, Referral.referred_at),
                  CatalogueItem.title)
        .join(CatalogueItem, CatalogueItem.id == Referral.partner_item_id)
        .where(in_ids(Referral.job_seeker_id, ids), Referral.showed_up.is_(False), Referral.followed_up_at.is_(None),
               Referral.status != ReferralStatus.CANCELLED))
    for job_seeker_id, referral_id, reported_at, title in rows:
        facts[job_seeker_id].no_show_referrals.append((referral_id, reported_at, title))

    prescribed_before = datetime.combine(add_months(on, -TRAINING_START_MONTHS), datetime.min.time())
    rows = db.session.execute(
        sa.select(Proposal.job_seeker_id, Proposal.id, Proposal.prescribed_at, CatalogueItem.title)
        .join(CatalogueItem, CatalogueItem.id == Proposal.catalogue_item_id)
        .where(in_ids(Proposal.job_seeker_id, ids), Proposal.item_kind == ItemKind.TRAINING,
               Proposal.prescribed_at < prescribed_before, Proposal.started_on.is_(None),
               Proposal.outcome_on.is_(None), Proposal.outcome == ProposalOutcome.NONE,
               Proposal.response != ProposalResponse.DECLINED))
    for job_seeker_id, proposal_id, prescribed_at, title in rows:
        facts[job_seeker_id].pending_trainings.append((proposal_id, prescribed_at, title))
    return facts


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((x for x in (a, b) if x is not None), default=None)


def _held_since(at: datetime | None, day: date) -> bool:
    return at is not None and at.date() >= day


# --------------------------------------------------------------------------- the rules
# Each check takes the facts of one person, the day, and the contact intervals, and
# yields the alerts of its rule.


def _situation_interview(person: _Facts, on: date, _intervals: Any) -> Iterable[Alert]:
    """Registered more than 30 days ago and no situation interview held since registration."""
    due = person.registration_date + timedelta(days=SITUATION_INTERVIEW_DEADLINE_DAYS)
    if on > due and not _held_since(person.situation_interview_at, person.registration_date):
        yield _alert(SITUATION_INTERVIEW_MISSING, due, registration_date=person.registration_date)


def _review_6_9(person: _Facts, on: date, _intervals: Any) -> Iterable[Alert]:
    """From month 6 (inclusive) to month 9 (inclusive) after registration the review is
    due; after month 9 it is overdue. A review held since registration clears both."""
    if _held_since(person.review_at, person.registration_date):
        return
    opens = add_months(person.registration_date, REVIEW_FROM_MONTHS)
    closes = add_months(person.registration_date, REVIEW_UNTIL_MONTHS)
    if on > closes:
        yield _alert(REVIEW_6_9_OVERDUE, closes, window=(opens, closes))
    elif on >= opens:
        yield _alert(REVIEW_6_9_DUE, opens, window=(opens, closes))


def _no_recent_contact(person: _Facts, on: date, intervals: dict[tuple[int, Modality], int]) -> Iterable[Alert]:
    """More days than the modality's interval since the last meaningful contact (or,
    never contacted, since registration)."""
    interval = intervals[(person.agency_id, person.modality)]
    reference = person.last_contact_at.date() if person.last_contact_at else person.registration_date
    if (on - reference).days > interval:
        yield _alert(NO_RECENT_CONTACT, reference + timedelta(days=interval), interval_days=interval,
                     last_contact_on=person.last_contact_at.date() if person.last_contact_at else None,
                     days_without_contact=(on - reference).days)


def _benefits_ending(person: _Facts, on: date, _intervals: Any) -> Iterable[Alert]:
    """The last benefit right ends between today and 30 days from now (inclusive)."""
    end_on = person.benefits_end_on
    if end_on is not None and on <= end_on <= on + timedelta(days=BENEFITS_ENDING_WITHIN_DAYS):
        yield _alert(BENEFITS_ENDING, end_on, end_on=end_on, days_left=(end_on - on).days)


def _missed_appointment(person: _Facts, _on: date, _intervals: Any) -> Iterable[Alert]:
    """A missed appointment with no meaningful contact or done appointment after it,
    and its follow-up task not closed."""
    followed_up_at = _latest(person.last_contact_at, person.last_done_appointment_at)
    for appointment_id, scheduled_at in person.missed_appointments:
        if followed_up_at is None or followed_up_at <= scheduled_at:
            yield _alert(MISSED_APPOINTMENT, scheduled_at.date(), appointment_id=appointment_id)


def _referral_no_show(person: _Facts, _on: date, _intervals: Any) -> Iterable[Alert]:
    """The partner reported a no-show, the referral is neither followed up nor cancelled,
    and no meaningful contact took place since the report."""
    for referral_id, reported_at, partner in person.no_show_referrals:
        if person.last_contact_at is None or person.last_contact_at <= reported_at:
            yield _alert(REFERRAL_NO_SHOW, reported_at.date(), referral_id=referral_id, partner=partner)


def _training_not_started(person: _Facts, _on: date, _intervals: Any) -> Iterable[Alert]:
    """A training prescribed more than 4 months ago, not started, neither declined nor closed."""
    for proposal_id, prescribed_at, title in person.pending_trainings:
        yield _alert(TRAINING_NOT_STARTED, add_months(prescribed_at.date(), TRAINING_START_MONTHS),
                     proposal_id=proposal_id, training=title, prescribed_on=prescribed_at.date())


def _online_activity_dropped(person: _Facts, on: date, _intervals: Any) -> Iterable[Alert]:
    """Someone who used the personal space (any online activity implies a login) did
    nothing there for more than 30 days. People never seen online are left out: they
    are not digital users who stopped, and other rules cover their follow-up."""
    if person.last_online_at is not None and (on - person.last_online_at.date()).days > ONLINE_INACTIVITY_DAYS:
        yield _alert(ONLINE_ACTIVITY_DROPPED, person.last_online_at.date() + timedelta(days=ONLINE_INACTIVITY_DAYS),
                     last_online_on=person.last_online_at.date())


_CHECKS = (_situation_interview, _review_6_9, _no_recent_contact, _benefits_ending, _missed_appointment,
           _referral_no_show, _training_not_started, _online_activity_dropped)


def _alert(rule: AlertRule, since: date, **detail: Any) -> Alert:
    return Alert(code=rule.code, label=rule.label, explanation=rule.explanation, since=since, detail=detail)
