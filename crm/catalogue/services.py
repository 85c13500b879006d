"""Sessions of the catalogue: registrations (job seekers or employers) within the
session's capacity, and attendance.

Seats taken are the registrations still standing: registered or attended (a cancelled
registration or an absence frees its seat). Registering is
refused beyond capacity and twice for the same party; a cancelled registration can be
renewed while seats are left. Attendance is traced on the party's timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from crm import clock
from crm.audit import services as audit
from crm.concurrency import check_version
from crm.catalogue.models import CatalogueSession, RegistrationStatus, SessionRegistration
from crm.concurrency import flush
from crm.db import utcnow
from crm.employers.models import Employer
from crm.errors import DomainError, IllegalTransitionError
from crm.extensions import db
from crm.interactions.models import Channel, Direction, InteractionKind, InteractionOrigin, InteractionOutcome
from crm.interactions.services import log_interaction
from crm.jobseekers.models import JobSeeker, JobSeekerStatus

SEAT_STATUSES = frozenset({RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED})

REGISTRATION_TRANSITIONS: Mapping[RegistrationStatus, frozenset[RegistrationStatus]] = {
    RegistrationStatus.REGISTERED: frozenset({RegistrationStatus.CANCELLED}),
    RegistrationStatus.CANCELLED: frozenset({RegistrationStatus.REGISTERED}),
    # Attendance can be corrected (marked absent by mistake, and the other way round).
    RegistrationStatus.ATTENDED: frozenset({RegistrationStatus.REGISTERED, RegistrationStatus.ABSENT}),
    RegistrationStatus.ABSENT: frozenset({RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED}),
}


def seats_taken(session_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SessionRegistration)
        .where(SessionRegistration.session_id == session_id, SessionRegistration.status.in_(SEAT_STATUSES))
    ) or 0


def seats_left(session: CatalogueSession) -> int:
    return max(session.capacity - seats_taken(session.id), 0)


def _lock(session: CatalogueSession) -> None:
    """Serialise registrations to one session (PostgreSQL row lock; SQLite has one writer anyway)."""
    db.session.execute(sa.select(CatalogueSession.id).where(CatalogueSession.id == session.id).with_for_update())


def register(*, author: Any, session: CatalogueSession, job_seeker: JobSeeker | None = None,
             employer: Employer | None = None, today: date | None = None,
             now: datetime | None = None) -> SessionRegistration:
    """Register one party (a job seeker or an employer) to a session."""
    now = now or utcnow()
    today = today or clock.local_date(now)
    if (job_seeker is None) == (employer is None):
        raise DomainError(_l("Inscrivez soit un demandeur d'emploi, soit une entreprise."),
                          code="registration.one_party")
    if (session.ends_on or session.starts_on) < today:
        raise DomainError(_l("Cette session est terminée : les inscriptions sont closes."),
                          code="registration.past_session")
    if job_seeker is not None and job_seeker.status != JobSeekerStatus.ACTIVE:
        raise DomainError(_l("Cette personne n'est plus inscrite."), code="registration.inactive")
    _lock(session)
    party = (SessionRegistration.job_seeker_id == job_seeker.id if job_seeker is not None
             else SessionRegistration.employer_id == employer.id)
    existing = db.session.scalar(sa.select(SessionRegistration).where(SessionRegistration.session_id == session.id,
                                                                      party))
    if existing is not None and existing.status != RegistrationStatus.CANCELLED:
        raise DomainError(_l("Déjà inscrit à cette session."), code="registration.duplicate")
    if seats_taken(session.id) >= session.capacity:
        raise DomainError(_l("La session est complète (%(capacity)s places) : l'inscription est refusée.",
                             capacity=session.capacity), code="registration.full")
    if existing is not None:
        existing.status = RegistrationStatus.REGISTERED
        existing.registered_at = now
        existing.registered_by_id = author.id
        registration = existing
    else:
        registration = SessionRegistration(session_id=session.id, registered_at=now, registered_by_id=author.id,
                                           job_seeker_id=job_seeker.id if job_seeker is not None else None,
                                           employer_id=employer.id if employer is not None else None,
                                           status=RegistrationStatus.REGISTERED)
        db.session.add(registration)
    flush()
    audit.record(user=author, action="registration.create", entity=registration, job_seeker=job_seeker,
                 employer=employer, details={"session_id": session.id})
    return registration


def _move(registration: SessionRegistration, status: RegistrationStatus) -> None:
    if registration.status not in REGISTRATION_TRANSITIONS[status]:
        raise IllegalTransitionError(_l("Ce changement n'est pas possible pour cette inscription."),
                                     code="registration.transition")
    registration.status = status


def unregister(*, author: Any, registration: SessionRegistration,
               expected_version: int | str | None = None) -> SessionRegistration:
    check_version(registration, expected_version)
    _move(registration, RegistrationStatus.CANCELLED)
    flush()
    audit.record(user=author, action="registration.cancel", entity=registration)
    return registration


def mark_attendance(*, author: Any, registration: SessionRegistration, attended: bool,
                    expected_version: int | str | None = None, now: datetime | None = None) -> SessionRegistration:
    """Present or absent, once the session has started; traced on the party's timeline."""
    now = now or utcnow()
    check_version(registration, expected_version)
    session = registration.session
    if session.starts_on > clock.local_date(now):
        raise DomainError(_l("La présence se note une fois la session commencée."),
                          code="registration.not_started")
    status = RegistrationStatus.ATTENDED if attended else RegistrationStatus.ABSENT
    _move(registration, status)
    flush()
    log_interaction(author=author, job_seeker=registration.job_seeker, employer=registration.employer,
                    channel=Channel.EVENT, kind=InteractionKind.EVENT_ATTENDANCE,
                    outcome=InteractionOutcome.DONE if attended else InteractionOutcome.NO_SHOW,
                    direction=Direction.INBOUND, notes=session.item.title, origin=InteractionOrigin.SYSTEM,
                    catalogue_item_id=session.item_id, now=now)
    audit.record(user=author, action="registration.attendance", entity=registration,
                 details={"status": status.value})
    return registration
