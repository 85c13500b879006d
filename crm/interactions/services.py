"""Write operations on the timeline: interactions, appointments, tasks, referrals and
the training funnel.

Services take the acting user explicitly, validate, write, ``flush()`` and never
commit (the request owns the transaction). Business rules raise ``DomainError``
subclasses whose French message the view shows next to the form.

State machines are written as maps from a target state to the set of states it may
be reached from; any other change raises ``IllegalTransitionError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from crm import clock
from crm.audit import services as audit
from crm.catalogue.models import CatalogueItem, CatalogueKind, CatalogueSession
from crm.concurrency import check_version, flush
from crm.db import utcnow
from crm.employers.models import Employer
from crm.enums import ItemKind
from crm.errors import DomainError, IllegalTransitionError, clean_text
from crm.extensions import db
from crm.interactions.models import (
    MEANINGFUL_OUTCOMES, ONLINE_KINDS, Appointment, AppointmentKind, AppointmentStatus, Channel, Direction,
    Interaction, InteractionKind, InteractionOrigin, InteractionOutcome, Proposal, ProposalOutcome,
    ProposalResponse, ProposalSource, Referral, ReferralStatus, Task, TaskOrigin, TaskStatus,
)
from crm.jobseekers.models import JobSeeker
from crm.offers.models import OfferStatus

# A clock a few minutes ahead of the server's must not make a just-held contact invalid.
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_NOTES_LENGTH = 5000
MAX_TITLE_LENGTH = 255
# A missed appointment is followed up within two days (call, message or new appointment).
MISSED_FOLLOW_UP_DAYS = 2
REFERRAL_FOLLOW_UP_DAYS = 2
APPOINTMENT_DURATION_RANGE = (5, 480)

APPOINTMENT_TO_INTERACTION_KIND = {
    AppointmentKind.SITUATION_INTERVIEW: InteractionKind.SITUATION_INTERVIEW,
    AppointmentKind.FOLLOW_UP: InteractionKind.FOLLOW_UP,
    AppointmentKind.REVIEW_6_9: InteractionKind.REVIEW_6_9,
    AppointmentKind.BENEFITS: InteractionKind.BENEFITS,
    AppointmentKind.WORKSHOP: InteractionKind.WORKSHOP_ATTENDANCE,
    AppointmentKind.OTHER: InteractionKind.OTHER,
}


def is_meaningful(kind: InteractionKind, outcome: InteractionOutcome) -> bool:
    """A "meaningful contact": the person was actually reached, by any channel and in
    either direction (an inbound call counts); online activity is not a contact."""
    return outcome in MEANINGFUL_OUTCOMES and kind not in ONLINE_KINDS


# --------------------------------------------------------------------------- interactions


@dataclass(frozen=True)
class NextTask:
    """Next step of a contact: a reminder for ``owner`` (the author by default)."""

    title: str
    due_on: date
    owner: Any = None


@dataclass(frozen=True)
class NextAppointment:
    """Next step of a contact: an appointment with the job seeker (``staff``: the author by default)."""

    scheduled_at: datetime
    kind: AppointmentKind = AppointmentKind.FOLLOW_UP
    channel: Channel = Channel.IN_PERSON
    duration_minutes: int = 30
    staff: Any = None
    notes: str | None = None


def log_interaction(
    *,
    author: Any,
    job_seeker: JobSeeker | None = None,
    employer: Employer | None = None,
    channel: Channel,
    kind: InteractionKind,
    outcome: InteractionOutcome,
    direction: Direction,
    notes: str | None = "",
    occurred_at: datetime | None = None,
    next_step: NextTask | NextAppointment | None = None,
    origin: InteractionOrigin = InteractionOrigin.MANUAL,
    referral: Referral | None = None,
    appointment: Appointment | None = None,
    offer_id: int | None = None,
    catalogue_item_id: int | None = None,
    application_id: int | None = None,
    now: datetime | None = None,
) -> Interaction:
    """Trace a contact (or an online activity) and keep the party's derived dates current.

    ``last_contact_at`` moves forward for a meaningful contact, ``last_online_at`` for
    online activity. A meaningful contact about a referral the person did not show up
    to counts as its follow-up. ``next_step`` creates a task or an appointment.
    """
    now = now or utcnow()
    occurred_at = occurred_at or now
    notes = _clean_notes(notes, code="interaction.notes")
    _validate_interaction(author=author, job_seeker=job_seeker, employer=employer, channel=channel, kind=kind,
                          occurred_at=occurred_at, next_step=next_step, now=now)
    interaction = Interaction(
        occurred_at=occurred_at,
        job_seeker_id=job_seeker.id if job_seeker is not None else None,
        employer_id=employer.id if employer is not None else None,
        author_id=author.id if author is not None else None,
        channel=channel,
        direction=direction,
        kind=kind,
        outcome=outcome,
        notes=notes or None,
        origin=origin,
        referral_id=referral.id if referral is not None else None,
        appointment_id=appointment.id if appointment is not None else None,
        offer_id=offer_id,
        catalogue_item_id=catalogue_item_id,
        application_id=application_id,
    )
    db.session.add(interaction)
    party = job_seeker if job_seeker is not None else employer
    if is_meaningful(kind, outcome):
        _advance(party, "last_contact_at", occurred_at)
        if referral is not None and referral.showed_up is False and referral.followed_up_at is None:
            referral.followed_up_at = occurred_at
    elif kind in ONLINE_KINDS:
        _advance(party, "last_online_at", occurred_at)
    flush()
    if next_step is not None:
        _create_next_step(next_step, author=author, job_seeker=job_seeker, employer=employer, now=now)
    if author is not None:
        audit.record(user=author, action="interaction.create", entity=interaction,
                     details={"kind": kind.value, "channel": channel.value, "outcome": outcome.value})
    return interaction


def _validate_interaction(*, author: Any, job_seeker: Any, employer: Any, channel: Channel, kind: InteractionKind,
                          occurred_at: datetime, next_step: Any, now: datetime) -> None:
    if (job_seeker is None) == (employer is None):
        raise DomainError(_l("Une interaction concerne soit un demandeur d'emploi, soit une entreprise."),
                          code="interaction.one_party")
    if occurred_at > now + FUTURE_TOLERANCE:
        raise DomainError(_l("La date d'une interaction ne peut pas être dans le futur."),
                          code="interaction.future", field="occurred_at")
    online_kind = kind in ONLINE_KINDS
    if online_kind != (channel == Channel.ONLINE):
        raise DomainError(
            _l("L'activité en ligne (connexion, CV, recherche, candidature en ligne) passe par l'espace "
               "personnel, et seulement elle."),
            code="interaction.online_channel", field="channel")
    if online_kind and employer is not None:
        raise DomainError(_l("Les entreprises n'ont pas d'activité en ligne suivie dans Proxima."),
                          code="interaction.online_employer", field="kind")
    if author is None and not online_kind:
        raise DomainError(_l("Une interaction doit avoir un auteur."), code="interaction.author")
    if next_step is not None:
        if author is None and getattr(next_step, "owner", None) is None and getattr(next_step, "staff", None) is None:
            raise DomainError(_l("Une étape suivante doit être confiée à quelqu'un."), code="next_step.owner")
        if isinstance(next_step, NextAppointment) and job_seeker is None:
            raise DomainError(_l("Les rendez-vous se prennent avec un demandeur d'emploi."),
                              code="next_step.appointment_party", field="next_step")


def _clean_notes(notes: str | None, *, code: str) -> str:
    return clean_text(notes, max_length=MAX_NOTES_LENGTH, code=code, field="notes",
                      too_long=_l("Les notes sont limitées à %(max)s caractères.", max=MAX_NOTES_LENGTH))


def _advance(party: Any, attribute: str, at: datetime) -> None:
    """Move a derived date forward, never back, in one UPDATE.

    A set-based UPDATE rather than an attribute change: it is safe against two
    contacts logged at once, and it does not bump the row's version, so logging a
    contact never invalidates a profile form someone has open.
    """
    model = type(party)
    column = getattr(model, attribute)
    db.session.execute(
        sa.update(model)
        .where(model.id == party.id, sa.or_(column.is_(None), column < at))
        .values({attribute: at})
        .execution_options(synchronize_session=False)
    )
    db.session.expire(party, [attribute])


def _create_next_step(step: NextTask | NextAppointment, *, author: Any, job_seeker: Any, employer: Any,
                      now: datetime) -> Task | Appointment:
    if isinstance(step, NextTask):
        return create_task(author=author, owner=step.owner or author, title=step.title, due_on=step.due_on,
                           job_seeker=job_seeker, employer=employer, origin=TaskOrigin.NEXT_STEP, now=now)
    return plan_appointment(author=author, job_seeker=job_seeker, scheduled_at=step.scheduled_at, kind=step.kind,
                            channel=step.channel, duration_minutes=step.duration_minutes,
                            staff=step.staff or author, notes=step.notes, now=now)


def recompute_last_contact(job_seeker_ids: Iterable[int] | None = None) -> None:
    """Derive ``last_contact_at`` and ``last_online_at`` of job seekers from their timeline.

    One UPDATE per 500 people (``None``: everyone), for use after imports or
    corrections; ``log_interaction`` keeps the columns current otherwise.
    """
    _recompute(JobSeeker, Interaction.job_seeker_id, job_seeker_ids, online=True)


def recompute_employer_last_contact(employer_ids: Iterable[int] | None = None) -> None:
    """Same as ``recompute_last_contact`` for employers (no online activity)."""
    _recompute(Employer, Interaction.employer_id, employer_ids, online=False)


def _recompute(model: Any, party_column: Any, ids: Iterable[int] | None, *, online: bool) -> None:
    def latest(*conditions: Any) -> Any:
        return (sa.select(sa.func.max(Interaction.occurred_at))
                .where(party_column == model.id, *conditions).scalar_subquery())

    values = {"last_contact_at": latest(Interaction.outcome.in_(MEANINGFUL_OUTCOMES),
                                        Interaction.kind.not_in(ONLINE_KINDS))}
    if online:
        values["last_online_at"] = latest(Interaction.kind.in_(ONLINE_KINDS))
    chunks = [None] if ids is None else list(_chunks(sorted(set(ids)), 500))
    for chunk in chunks:
        statement = sa.update(model).values(values).execution_options(synchronize_session=False)
        if chunk is not None:
            statement = statement.where(model.id.in_(chunk))
        db.session.execute(statement)
    # Objects already loaded must not keep the old values.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model):
            db.session.expire(obj, list(values))


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --------------------------------------------------------------------------- tasks


TASK_TRANSITIONS: Mapping[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.DONE: frozenset({TaskStatus.OPEN}),
    TaskStatus.CANCELLED: frozenset({TaskStatus.OPEN}),
    TaskStatus.OPEN: frozenset(),
}


def create_task(*, author: Any, owner: Any, title: str, due_on: date, job_seeker: JobSeeker | None = None,
                employer: Employer | None = None, origin: TaskOrigin = TaskOrigin.MANUAL,
                appointment: Appointment | None = None, now: datetime | None = None) -> Task:
    title = clean_text(title, max_length=MAX_TITLE_LENGTH, code="task.title", field="title",
                       required=_l("Indiquez l'objet de la tâche."),
                       too_long=_l("L'objet de la tâche est limité à %(max)s caractères.", max=MAX_TITLE_LENGTH))
    if owner is None:
        raise DomainError(_l("Une tâche doit être confiée à quelqu'un."), code="task.owner")
    task = Task(owner_id=owner.id, title=title, due_on=due_on, origin=origin, status=TaskStatus.OPEN,
                job_seeker_id=job_seeker.id if job_seeker is not None else None,
                employer_id=employer.id if employer is not None else None,
                appointment_id=appointment.id if appointment is not None else None,
                created_at=now or utcnow())
    db.session.add(task)
    flush()
    if author is not None:
        audit.record(user=author, action="task.create", entity=task, details={"origin": origin.value})
    return task


def complete_task(*, author: Any, task: Task, expected_version: int | None, cancel: bool = False,
                  now: datetime | None = None) -> Task:
    """Mark a task done (or cancelled: the follow-up was judged unnecessary)."""
    check_version(task, expected_version)
    target = TaskStatus.CANCELLED if cancel else TaskStatus.DONE
    _require_transition(task.status, target, TASK_TRANSITIONS,
                        _l("Cette tâche est déjà close."), code="task.illegal_transition")
    task.status = target
    task.done_at = now or utcnow()
    flush()
    audit.record(user=author, action=f"task.{target.value}", entity=task)
    return task


# --------------------------------------------------------------------------- appointments


# Target state → the states it may be reached from. MISSED → DONE corrects a no-show
# recorded by mistake (the person came late); anything else closed stays closed.
APPOINTMENT_TRANSITIONS: Mapping[AppointmentStatus, frozenset[AppointmentStatus]] = {
    AppointmentStatus.PLANNED: frozenset(),
    AppointmentStatus.DONE: frozenset({AppointmentStatus.PLANNED, AppointmentStatus.MISSED}),
    AppointmentStatus.MISSED: frozenset({AppointmentStatus.PLANNED}),
    AppointmentStatus.CANCELLED: frozenset({AppointmentStatus.PLANNED}),
}

_APPOINTMENT_TRANSITION_MESSAGES = {
    AppointmentStatus.DONE: _l("Ce rendez-vous ne peut pas être marqué comme honoré : il est annulé ou déjà honoré."),
    AppointmentStatus.MISSED: _l("Seul un rendez-vous prévu peut être marqué comme manqué."),
    AppointmentStatus.CANCELLED: _l("Seul un rendez-vous prévu peut être annulé."),
}


def plan_appointment(*, author: Any, job_seeker: JobSeeker, scheduled_at: datetime,
                     kind: AppointmentKind = AppointmentKind.FOLLOW_UP, channel: Channel = Channel.IN_PERSON,
                     duration_minutes: int = 30, staff: Any = None, notes: str | None = None,
                     now: datetime | None = None) -> Appointment:
    now = now or utcnow()
    if scheduled_at < now - FUTURE_TOLERANCE:
        raise DomainError(_l("Un rendez-vous ne peut pas être fixé dans le passé."),
                          code="appointment.past", field="scheduled_at")
    low, high = APPOINTMENT_DURATION_RANGE
    if not low <= duration_minutes <= high:
        raise DomainError(_l("La durée d'un rendez-vous va de %(low)s à %(high)s minutes.", low=low, high=high),
                          code="appointment.duration", field="duration_minutes")
    if channel == Channel.ONLINE:
        raise DomainError(_l("Un rendez-vous à distance se tient par téléphone ou en visio."),
                          code="appointment.channel", field="channel")
    notes = _clean_notes(notes, code="appointment.notes")
    staff = staff or author
    appointment = Appointment(job_seeker_id=job_seeker.id, staff_id=staff.id if staff is not None else None,
                              scheduled_at=scheduled_at, duration_minutes=duration_minutes, channel=channel,
                              kind=kind, status=AppointmentStatus.PLANNED, status_changed_at=now,
                              notes=notes or None)
    db.session.add(appointment)
    flush()
    audit.record(user=author, action="appointment.plan", entity=appointment,
                 details={"kind": kind.value, "scheduled_at": scheduled_at.isoformat()})
    return appointment


def mark_appointment_done(*, author: Any, appointment: Appointment, expected_version: int | None,
                          outcome: InteractionOutcome = InteractionOutcome.DONE, notes: str | None = "",
                          interaction: Interaction | None = None, now: datetime | None = None) -> Interaction:
    """The appointment took place: trace it on the timeline (or link ``interaction``)
    and close any follow-up task a no-show recorded by mistake had opened."""
    now = now or utcnow()
    _change_appointment(appointment, AppointmentStatus.DONE, expected_version=expected_version, now=now)
    if interaction is not None:
        if interaction.job_seeker_id != appointment.job_seeker_id:
            raise DomainError(_l("Cette interaction concerne une autre personne."), code="appointment.interaction")
        interaction.appointment_id = appointment.id
        flush()
    else:
        interaction = log_interaction(
            author=author, job_seeker=appointment.job_seeker, channel=appointment.channel,
            kind=APPOINTMENT_TO_INTERACTION_KIND[appointment.kind], outcome=outcome, direction=Direction.OUTBOUND,
            notes=notes, occurred_at=min(appointment.scheduled_at, now), appointment=appointment, now=now)
    _close_tasks(sa.and_(Task.appointment_id == appointment.id, Task.origin == TaskOrigin.MISSED_APPOINTMENT),
                 now=now)
    audit.record(user=author, action="appointment.done", entity=appointment)
    return interaction


def mark_appointment_missed(*, author: Any, appointment: Appointment, expected_version: int | None,
                            now: datetime | None = None) -> Task:
    """The person did not come: open a follow-up task for the referent (or the staff member)."""
    now = now or utcnow()
    _change_appointment(appointment, AppointmentStatus.MISSED, expected_version=expected_version, now=now)
    person = appointment.job_seeker
    owner = person.referent or appointment.staff or author
    task = create_task(
        author=author, owner=owner, job_seeker=person, appointment=appointment,
        origin=TaskOrigin.MISSED_APPOINTMENT, due_on=clock.local_date(now) + timedelta(days=MISSED_FOLLOW_UP_DAYS),
        title=str(_l("Recontacter %(name)s : rendez-vous manqué du %(day)s", name=person.full_name,
                     day=appointment.scheduled_at.strftime("%d/%m/%Y"))),
        now=now)
    audit.record(user=author, action="appointment.missed", entity=appointment)
    return task


def cancel_appointment(*, author: Any, appointment: Appointment, expected_version: int | None,
                       reason: str | None = None, now: datetime | None = None) -> Appointment:
    now = now or utcnow()
    _change_appointment(appointment, AppointmentStatus.CANCELLED, expected_version=expected_version, now=now)
    audit.record(user=author, action="appointment.cancelled", entity=appointment, reason=reason)
    return appointment


def _change_appointment(appointment: Appointment, target: AppointmentStatus, *, expected_version: int | None,
                        now: datetime) -> None:
    check_version(appointment, expected_version)
    _require_transition(appointment.status, target, APPOINTMENT_TRANSITIONS,
                        _APPOINTMENT_TRANSITION_MESSAGES[target], code="appointment.illegal_transition")
    held_or_missed = target in (AppointmentStatus.DONE, AppointmentStatus.MISSED)
    if held_or_missed and appointment.scheduled_at > now + FUTURE_TOLERANCE:
        raise DomainError(_l("Ce rendez-vous n'a pas encore eu lieu."), code="appointment.not_yet")
    appointment.status = target
    appointment.status_changed_at = now
    flush()


def _close_tasks(condition: Any, *, now: datetime) -> None:
    for task in db.session.scalars(sa.select(Task).where(condition, Task.status == TaskStatus.OPEN)):
        task.status = TaskStatus.DONE
        task.done_at = now
    flush()


def _require_transition(current: Any, target: Any, transitions: Mapping[Any, frozenset[Any]], message: Any,
                        *, code: str) -> None:
    if current not in transitions[target]:
        raise IllegalTransitionError(message, code=code)


# --------------------------------------------------------------------------- referrals


REFERRAL_TRANSITIONS: Mapping[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.SENT: frozenset(),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.SENT}),
    ReferralStatus.REFUSED: frozenset({ReferralStatus.SENT}),
    ReferralStatus.IN_PROGRESS: frozenset({ReferralStatus.SENT, ReferralStatus.ACCEPTED}),
    ReferralStatus.COMPLETED: frozenset({ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS}),
    ReferralStatus.CANCELLED: frozenset({ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS}),
}


def create_referral(*, author: Any, job_seeker: JobSeeker, partner_item: CatalogueItem,
                    referred_at: datetime | None = None, now: datetime | None = None) -> Referral:
    now = now or utcnow()
    referred_at = referred_at or now
    if partner_item.kind != CatalogueKind.PARTNER_SERVICE:
        raise DomainError(_l("Une orientation se fait vers un service partenaire."),
                          code="referral.not_partner", field="partner_item")
    if referred_at > now + FUTURE_TOLERANCE:
        raise DomainError(_l("La date d'orientation ne peut pas être dans le futur."),
                          code="referral.future", field="referred_at")
    referral = Referral(job_seeker_id=job_seeker.id, partner_item_id=partner_item.id,
                        referred_by_id=author.id if author is not None else None, referred_at=referred_at,
                        status=ReferralStatus.SENT)
    db.session.add(referral)
    flush()
    audit.record(user=author, action="referral.create", entity=referral,
                 details={"partner_item_id": partner_item.id})
    return referral


def update_referral_status(*, author: Any, referral: Referral, status: ReferralStatus,
                           expected_version: int | None) -> Referral:
    check_version(referral, expected_version)
    _require_transition(referral.status, status, REFERRAL_TRANSITIONS,
                        _l("Cette orientation ne peut pas passer à ce statut depuis son statut actuel."),
                        code="referral.illegal_transition")
    previous = referral.status
    referral.status = status
    flush()
    audit.record(user=author, action="referral.status", entity=referral,
                 details={"from": previous.value, "to": status.value})
    return referral


def record_partner_feedback(*, author: Any, referral: Referral, expected_version: int | None,
                            showed_up: bool | None = None, feedback: str | None = None,
                            now: datetime | None = None) -> Referral:
    """What the partner reported. A no-show opens a follow-up task (and an alert until
    a meaningful contact about the referral is logged)."""
    now = now or utcnow()
    check_version(referral, expected_version)
    feedback = clean_text(feedback, max_length=MAX_NOTES_LENGTH, code="referral.feedback", field="feedback",
                          too_long=_l("Le retour du partenaire est limité à %(max)s caractères.",
                                      max=MAX_NOTES_LENGTH))
    if showed_up is None and not feedback:
        raise DomainError(_l("Indiquez si la personne s'est présentée ou le retour du partenaire."),
                          code="referral.feedback_empty")
    newly_absent = showed_up is False and referral.showed_up is not False
    if showed_up is not None:
        referral.showed_up = showed_up
    if feedback:
        referral.partner_feedback = feedback
    referral.feedback_at = now
    flush()
    if newly_absent:
        person = referral.job_seeker
        create_task(author=author, owner=person.referent or author, job_seeker=person,
                    origin=TaskOrigin.REFERRAL_NO_SHOW,
                    due_on=clock.local_date(now) + timedelta(days=REFERRAL_FOLLOW_UP_DAYS),
                    title=str(_l("Recontacter %(name)s : absent chez %(partner)s", name=person.full_name,
                                 partner=referral.partner_item.title)),
                    now=now)
    audit.record(user=author, action="referral.feedback", entity=referral,
                 details={"showed_up": referral.showed_up})
    return referral


# --------------------------------------------------------------------------- training funnel


def mention_training(*, author: Any, job_seeker: JobSeeker, training: CatalogueItem,
                     session: CatalogueSession | None = None, arguments: list[str] | None = None,
                     source: ProposalSource = ProposalSource.COUNSELOR, mentioned_at: datetime | None = None,
                     now: datetime | None = None) -> Proposal:
    """First step of the funnel: the training was mentioned to the person."""
    now = now or utcnow()
    if training.kind != CatalogueKind.TRAINING:
        raise DomainError(_l("Cet élément du catalogue n'est pas une formation."), code="training.not_training")
    if session is not None and session.item_id != training.id:
        raise DomainError(_l("Cette session n'appartient pas à cette formation."), code="training.session")
    proposal = Proposal(job_seeker_id=job_seeker.id, author_id=author.id if author is not None else None,
                        proposed_at=mentioned_at or now, item_kind=ItemKind.TRAINING, catalogue_item_id=training.id,
                        session_id=session.id if session is not None else None, source=source,
                        response=ProposalResponse.PENDING, arguments=list(arguments or []))
    db.session.add(proposal)
    flush()
    audit.record(user=author, action="proposal.mention", entity=proposal)
    return proposal


MAX_ARGUMENTS = 10
MAX_ARGUMENT_LENGTH = 500


def record_proposal(*, author: Any, job_seeker: JobSeeker, item_kind: ItemKind, offer: Any = None,
                    catalogue_item: CatalogueItem | None = None, session: CatalogueSession | None = None,
                    arguments: list[str] | None = None, source: ProposalSource = ProposalSource.COUNSELOR,
                    proposed_at: datetime | None = None, now: datetime | None = None) -> Proposal:
    """Something proposed to the person: an open offer, or an active catalogue item of
    ``item_kind``. A training goes through ``mention_training`` (first step of its funnel)."""
    now = now or utcnow()
    proposed_at = proposed_at or now
    if proposed_at > now + FUTURE_TOLERANCE:
        raise DomainError(_l("La date d'une proposition ne peut pas être dans le futur."),
                          code="proposal.future", field="proposed_at")
    if arguments is not None and (len(arguments) > MAX_ARGUMENTS
                                  or any(len(a) > MAX_ARGUMENT_LENGTH for a in arguments)):
        raise DomainError(_l("Au plus %(num)s arguments de %(max)s caractères chacun.", num=MAX_ARGUMENTS,
                             max=MAX_ARGUMENT_LENGTH), code="proposal.arguments", field="arguments")
    cleaned = [a.strip() for a in arguments or [] if a.strip()]
    if item_kind == ItemKind.OFFER:
        if offer is None or catalogue_item is not None:
            raise DomainError(_l("Choisissez l'offre proposée."), code="proposal.offer", field="offer_id")
        if offer.status != OfferStatus.OPEN:
            raise DomainError(_l("Seule une offre ouverte peut être proposée."), code="proposal.offer_closed",
                              field="offer_id")
        if session is not None:
            raise DomainError(_l("Une offre n'a pas de session."), code="proposal.session", field="session_id")
        proposal = Proposal(job_seeker_id=job_seeker.id, author_id=author.id if author is not None else None,
                            proposed_at=proposed_at, item_kind=ItemKind.OFFER, offer_id=offer.id, source=source,
                            response=ProposalResponse.PENDING, arguments=cleaned)
        db.session.add(proposal)
        flush()
        audit.record(user=author, action="proposal.create", entity=proposal, details={"item_kind": "offer"})
        return proposal
    if catalogue_item is None or offer is not None:
        raise DomainError(_l("Choisissez l'élément du catalogue proposé."), code="proposal.item",
                          field="catalogue_item_id")
    if catalogue_item.kind.value != item_kind.value:
        raise DomainError(_l("Cet élément du catalogue n'est pas de la nature indiquée."),
                          code="proposal.item_kind", field="catalogue_item_id")
    if not catalogue_item.active:
        raise DomainError(_l("Cet élément du catalogue n'est plus proposé."), code="proposal.item_inactive",
                          field="catalogue_item_id")
    if session is not None and session.item_id != catalogue_item.id:
        raise DomainError(_l("Cette session n'appartient pas à cet élément du catalogue."),
                          code="proposal.session", field="session_id")
    if item_kind == ItemKind.TRAINING:
        return mention_training(author=author, job_seeker=job_seeker, training=catalogue_item, session=session,
                                arguments=cleaned, source=source, mentioned_at=proposed_at, now=now)
    proposal = Proposal(job_seeker_id=job_seeker.id, author_id=author.id if author is not None else None,
                        proposed_at=proposed_at, item_kind=item_kind, catalogue_item_id=catalogue_item.id,
                        session_id=session.id if session is not None else None, source=source,
                        response=ProposalResponse.PENDING, arguments=cleaned)
    db.session.add(proposal)
    flush()
    audit.record(user=author, action="proposal.create", entity=proposal, details={"item_kind": item_kind.value})
    return proposal


def blocking_prescription(*, job_seeker_id: int, catalogue_item_id: int,
                          exclude_id: int | None = None) -> Proposal | None:
    """The prescription of the same training that forbids a new one, if any.

    Seed 001: never prescribe the same training twice. A previous prescription stops
    blocking only if the person declined it, or if it was closed (``outcome_on``)
    without the person ever entering the training.
    """
    never_entered_and_closed = sa.and_(Proposal.outcome_on.is_not(None), Proposal.started_on.is_(None),
                                       Proposal.outcome == ProposalOutcome.NONE)
    statement = (sa.select(Proposal)
                 .where(Proposal.job_seeker_id == job_seeker_id, Proposal.catalogue_item_id == catalogue_item_id,
                        Proposal.prescribed_at.is_not(None), Proposal.response != ProposalResponse.DECLINED,
                        sa.not_(never_entered_and_closed))
                 .order_by(Proposal.prescribed_at.desc()).limit(1))
    if exclude_id is not None:
        statement = statement.where(Proposal.id != exclude_id)
    return db.session.scalars(statement).first()


def prescribe_training(*, author: Any, proposal: Proposal, expected_version: int | None,
                       prescribed_at: datetime | None = None, now: datetime | None = None) -> Proposal:
    """Second step: the training is prescribed. Refused if the same training is already prescribed."""
    now = now or utcnow()
    prescribed_at = prescribed_at or now
    check_version(proposal, expected_version)
    _require_training(proposal)
    if proposal.prescribed_at is not None:
        raise IllegalTransitionError(_l("Cette formation est déjà prescrite."), code="training.already_prescribed")
    if proposal.response == ProposalResponse.DECLINED:
        raise IllegalTransitionError(_l("La personne a décliné cette formation."), code="training.declined")
    if prescribed_at < proposal.proposed_at or prescribed_at > now + FUTURE_TOLERANCE:
        raise DomainError(_l("La date de prescription doit suivre l'évocation de la formation et ne pas être "
                             "dans le futur."), code="training.prescription_date", field="prescribed_at")
    previous = blocking_prescription(job_seeker_id=proposal.job_seeker_id,
                                     catalogue_item_id=proposal.catalogue_item_id, exclude_id=proposal.id)
    if previous is not None:
        raise DomainError(
            _l("Cette formation a déjà été prescrite à cette personne le %(day)s. Une même formation ne se "
               "prescrit pas deux fois.", day=previous.prescribed_at.strftime("%d/%m/%Y")),
            code="training.duplicate_prescription")
    proposal.prescribed_at = prescribed_at
    if proposal.response == ProposalResponse.PENDING:
        proposal.response = ProposalResponse.ACCEPTED
        proposal.responded_at = prescribed_at
    flush()
    audit.record(user=author, action="proposal.prescribe", entity=proposal)
    return proposal


def start_training(*, author: Any, proposal: Proposal, expected_version: int | None, started_on: date,
                   now: datetime | None = None) -> Proposal:
    """Last step: the person entered the training."""
    now = now or utcnow()
    check_version(proposal, expected_version)
    _require_training(proposal)
    if proposal.prescribed_at is None:
        raise IllegalTransitionError(_l("Une formation doit être prescrite avant d'être commencée."),
                                     code="training.not_prescribed")
    if proposal.started_on is not None:
        raise IllegalTransitionError(_l("L'entrée en formation est déjà enregistrée."), code="training.already_started")
    if started_on < clock.local_date(proposal.prescribed_at) or started_on > clock.local_date(now):
        raise DomainError(_l("La date d'entrée en formation doit suivre la prescription et ne pas être dans le "
                             "futur."), code="training.start_date", field="started_on")
    proposal.started_on = started_on
    proposal.outcome = ProposalOutcome.ENTERED
    proposal.outcome_on = started_on
    flush()
    audit.record(user=author, action="proposal.start", entity=proposal)
    return proposal


def record_proposal_response(*, author: Any, proposal: Proposal, expected_version: int | None,
                             response: ProposalResponse, now: datetime | None = None) -> Proposal:
    """The person's answer to a proposal (a declined training can be prescribed again later)."""
    now = now or utcnow()
    check_version(proposal, expected_version)
    if proposal.started_on is not None and response == ProposalResponse.DECLINED:
        raise IllegalTransitionError(_l("La personne est déjà entrée en formation."), code="proposal.started")
    proposal.response = response
    proposal.responded_at = now
    flush()
    audit.record(user=author, action="proposal.response", entity=proposal, details={"response": response.value})
    return proposal


def _require_training(proposal: Proposal) -> None:
    if proposal.item_kind != ItemKind.TRAINING or proposal.catalogue_item_id is None:
        raise DomainError(_l("Cette proposition n'est pas une formation."), code="training.not_training")
