"""Event sessions: capacity, registrations of job seekers and employers, attendance."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from crm.catalogue import services
from crm.catalogue.models import RegistrationStatus
from crm.errors import DomainError, IllegalTransitionError
from crm.extensions import db
from crm.interactions.models import Interaction, InteractionKind, InteractionOutcome
from crm.organisation.models import Role
from tests.factories import make_employer, make_event_session, make_job_seeker, make_user

TODAY = date(2026, 3, 1)


@pytest.fixture()
def counselor(db_session):
    return make_user(role=Role.EMPLOYER_COUNSELOR)


def test_the_seat_after_the_last_is_refused(counselor) -> None:
    session = make_event_session(capacity=3, starts_on=date(2026, 3, 10))
    people = [make_job_seeker(agency=counselor.agency) for _ in range(2)]
    employer = make_employer(counselor=counselor)
    for someone in people:
        services.register(author=counselor, session=session, job_seeker=someone, today=TODAY)
    services.register(author=counselor, session=session, employer=employer, today=TODAY)  # the last seat
    assert services.seats_left(session) == 0
    with pytest.raises(DomainError) as caught:
        services.register(author=counselor, session=session, job_seeker=make_job_seeker(), today=TODAY)
    assert caught.value.code == "registration.full"
    assert "complète" in str(caught.value.message)
    # A cancellation frees the seat.
    registration = db.session.scalar(sa.select(services.SessionRegistration).where(
        services.SessionRegistration.employer_id == employer.id))
    services.unregister(author=counselor, registration=registration)
    assert services.seats_left(session) == 1
    late = services.register(author=counselor, session=session, job_seeker=make_job_seeker(), today=TODAY)
    assert late.status == RegistrationStatus.REGISTERED


def test_double_registration_is_refused_and_a_cancelled_one_renewed(counselor) -> None:
    session = make_event_session(capacity=5, starts_on=date(2026, 3, 10))
    employer = make_employer(counselor=counselor)
    first = services.register(author=counselor, session=session, employer=employer, today=TODAY)
    with pytest.raises(DomainError) as caught:
        services.register(author=counselor, session=session, employer=employer, today=TODAY)
    assert caught.value.code == "registration.duplicate"
    services.unregister(author=counselor, registration=first)
    again = services.register(author=counselor, session=session, employer=employer, today=TODAY)
    assert again.id == first.id and again.status == RegistrationStatus.REGISTERED


def test_attended_and_absent_count_as_seats_and_go_on_the_timeline(counselor) -> None:
    session = make_event_session(capacity=2, starts_on=TODAY)
    someone = make_job_seeker(agency=counselor.agency)
    employer = make_employer(counselor=counselor)
    present = services.register(author=counselor, session=session, job_seeker=someone, today=TODAY)
    absent = services.register(author=counselor, session=session, employer=employer, today=TODAY)
    now = datetime(2026, 3, 1, 17)
    services.mark_attendance(author=counselor, registration=present, attended=True, now=now)
    services.mark_attendance(author=counselor, registration=absent, attended=False, now=now)
    assert (present.status, absent.status) == (RegistrationStatus.ATTENDED, RegistrationStatus.ABSENT)
    assert services.seats_taken(session.id) == 1  # registered + attended; the absent one frees its seat
    seeker_row = db.session.scalar(sa.select(Interaction).where(Interaction.job_seeker_id == someone.id))
    employer_row = db.session.scalar(sa.select(Interaction).where(Interaction.employer_id == employer.id))
    assert (seeker_row.kind, seeker_row.outcome) == (InteractionKind.EVENT_ATTENDANCE, InteractionOutcome.DONE)
    assert (employer_row.kind, employer_row.outcome) == (InteractionKind.EVENT_ATTENDANCE, InteractionOutcome.NO_SHOW)
    assert someone.last_contact_at == now
    # Attendance can be corrected, but not before the session starts, nor on a cancelled registration.
    services.mark_attendance(author=counselor, registration=absent, attended=True, now=now)
    assert absent.status == RegistrationStatus.ATTENDED


def test_attendance_waits_for_the_session_and_past_sessions_are_closed(counselor) -> None:
    future = make_event_session(starts_on=date(2026, 3, 10))
    registration = services.register(author=counselor, session=future, employer=make_employer(counselor=counselor),
                                     today=TODAY)
    with pytest.raises(DomainError) as caught:
        services.mark_attendance(author=counselor, registration=registration, attended=True,
                                 now=datetime(2026, 3, 1, 9))
    assert caught.value.code == "registration.not_started"
    services.unregister(author=counselor, registration=registration)
    with pytest.raises(IllegalTransitionError):
        services.mark_attendance(author=counselor, registration=registration, attended=True,
                                 now=datetime(2026, 3, 11, 9))
    past = make_event_session(starts_on=date(2026, 2, 1))
    with pytest.raises(DomainError) as caught:
        services.register(author=counselor, session=past, job_seeker=make_job_seeker(), today=TODAY)
    assert caught.value.code == "registration.past_session"
