"""log_interaction: validation, derived last contact / last online dates, next steps."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.audit.models import AuditEvent
from crm.errors import DomainError
from crm.extensions import db
from crm.interactions.models import (
    Appointment, AppointmentKind, Channel, Direction, Interaction, InteractionKind, InteractionOutcome, Task,
    TaskOrigin,
)
from crm.interactions.services import (
    MAX_NOTES_LENGTH, NextAppointment, NextTask, log_interaction, recompute_employer_last_contact,
    recompute_last_contact,
)
from crm.organisation.models import Role
from tests.factories import make_employer, make_interaction, make_job_seeker, make_referral, make_user

NOW = datetime(2025, 6, 10, 14, 0)


def log(**kwargs):
    values = dict(channel=Channel.PHONE, kind=InteractionKind.FOLLOW_UP, outcome=InteractionOutcome.REACHED,
                  direction=Direction.OUTBOUND, now=NOW)
    values.update(kwargs)
    return log_interaction(**values)


def test_a_meaningful_contact_moves_last_contact_forward_without_bumping_the_version(db_session) -> None:
    counselor = make_user()
    person = make_job_seeker(referent=counselor)
    version = person.version
    interaction = log(author=counselor, job_seeker=person, notes="  Point sur les candidatures  ",
                      occurred_at=NOW - timedelta(hours=2))
    assert person.last_contact_at == NOW - timedelta(hours=2)
    assert person.version == version  # an open profile form stays valid
    assert interaction.notes == "Point sur les candidatures" and interaction.author_id == counselor.id
    # An older contact logged afterwards does not move it back.
    log(author=counselor, job_seeker=person, occurred_at=NOW - timedelta(days=3))
    assert person.last_contact_at == NOW - timedelta(hours=2)


def test_an_inbound_contact_counts(db_session) -> None:
    counselor = make_user()
    person = make_job_seeker()
    log(author=counselor, job_seeker=person, direction=Direction.INBOUND, channel=Channel.EMAIL,
        outcome=InteractionOutcome.DONE, occurred_at=NOW)
    assert person.last_contact_at == NOW


def test_not_reached_and_message_left_do_not_count(db_session) -> None:
    counselor = make_user()
    person = make_job_seeker()
    log(author=counselor, job_seeker=person, outcome=InteractionOutcome.NOT_REACHED)
    log(author=counselor, job_seeker=person, outcome=InteractionOutcome.MESSAGE_LEFT)
    assert person.last_contact_at is None


def test_online_activity_is_traced_but_is_not_a_contact(db_session) -> None:
    person = make_job_seeker()
    interaction = log(author=None, job_seeker=person, channel=Channel.ONLINE, kind=InteractionKind.LOGIN,
                      outcome=InteractionOutcome.DONE, direction=Direction.INBOUND, occurred_at=NOW)
    assert person.last_online_at == NOW and person.last_contact_at is None
    assert interaction.author_id is None
    # Human acts are audited; the personal space's activity is not.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.job_seeker_id == person.id)) == 0


def test_employer_last_contact(db_session) -> None:
    counselor = make_user(role=Role.EMPLOYER_COUNSELOR)
    employer = make_employer(counselor=counselor)
    log(author=counselor, employer=employer, kind=InteractionKind.OFFER_FOLLOW_UP, occurred_at=NOW)
    assert employer.last_contact_at == NOW


def test_the_interaction_is_audited(db_session) -> None:
    counselor = make_user()
    person = make_job_seeker()
    interaction = log(author=counselor, job_seeker=person)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "interaction.create",
                                                           AuditEvent.entity_id == interaction.id)).one()
    assert event.user_id == counselor.id and event.job_seeker_id == person.id
    assert event.details["kind"] == "follow_up"


@pytest.mark.parametrize("change, code", [
    ({"job_seeker": None}, "interaction.one_party"),
    ({"employer": "both"}, "interaction.one_party"),
    ({"occurred_at": NOW + timedelta(minutes=6)}, "interaction.future"),
    ({"kind": InteractionKind.LOGIN}, "interaction.online_channel"),
    ({"channel": Channel.ONLINE}, "interaction.online_channel"),
    ({"author": None}, "interaction.author"),
    ({"notes": "x" * (MAX_NOTES_LENGTH + 1)}, "interaction.notes.length"),
])
def test_validation(db_session, change, code) -> None:
    counselor = make_user()
    values = {"author": counselor, "job_seeker": make_job_seeker()}
    values.update(change)
    if values.get("employer") == "both":
        values["employer"] = make_employer()
    with pytest.raises(DomainError) as raised:
        log(**values)
    assert raised.value.code == code
    assert str(raised.value.message)  # a French message for the form


def test_a_few_minutes_of_clock_skew_are_accepted(db_session) -> None:
    interaction = log(author=make_user(), job_seeker=make_job_seeker(), occurred_at=NOW + timedelta(minutes=4))
    assert interaction.id is not None


def test_next_step_creates_a_task(db_session) -> None:
    counselor = make_user()
    person = make_job_seeker(referent=counselor)
    log(author=counselor, job_seeker=person, next_step=NextTask(title="Envoyer la fiche CPF", due_on=date(2025, 6, 13)))
    task = db.session.scalars(sa.select(Task).where(Task.job_seeker_id == person.id)).one()
    assert (task.title, task.owner_id, task.origin, task.due_on) == (
        "Envoyer la fiche CPF", counselor.id, TaskOrigin.NEXT_STEP, date(2025, 6, 13))


def test_next_step_creates_an_appointment(db_session) -> None:
    counselor = make_user()
    person = make_job_seeker(referent=counselor)
    log(author=counselor, job_seeker=person,
        next_step=NextAppointment(scheduled_at=datetime(2025, 6, 20, 9, 30), kind=AppointmentKind.REVIEW_6_9,
                                  channel=Channel.VISIO))
    appointment = db.session.scalars(sa.select(Appointment).where(Appointment.job_seeker_id == person.id)).one()
    assert (appointment.scheduled_at, appointment.kind, appointment.channel, appointment.staff_id) == (
        datetime(2025, 6, 20, 9, 30), AppointmentKind.REVIEW_6_9, Channel.VISIO, counselor.id)


def test_an_employer_next_step_cannot_be_an_appointment(db_session) -> None:
    with pytest.raises(DomainError) as raised:
        log(author=make_user(), employer=make_employer(), kind=InteractionKind.PROSPECTION,
            next_step=NextAppointment(scheduled_at=datetime(2025, 6, 20, 9, 30)))
    assert raised.value.code == "next_step.appointment_party"


def test_a_contact_about_a_no_show_referral_follows_it_up(db_session) -> None:
    counselor = make_user()
    person = make_job_seeker()
    referral = make_referral(person, showed_up=False, feedback_at=NOW - timedelta(days=2))
    log(author=counselor, job_seeker=person, outcome=InteractionOutcome.NOT_REACHED, referral=referral)
    assert referral.followed_up_at is None
    log(author=counselor, job_seeker=person, referral=referral, occurred_at=NOW)
    assert referral.followed_up_at == NOW


def test_recompute_derives_the_dates_from_the_timeline(db_session) -> None:
    people = [make_job_seeker() for _ in range(3)]
    first, second, third = people
    make_interaction(first, occurred_at=datetime(2025, 5, 1, 9), direction=Direction.INBOUND)
    make_interaction(first, occurred_at=datetime(2025, 5, 20, 9), outcome=InteractionOutcome.NOT_REACHED)
    make_interaction(first, occurred_at=datetime(2025, 5, 25, 9), kind=InteractionKind.ONLINE_APPLICATION,
                     direction=Direction.INBOUND)
    make_interaction(second, occurred_at=datetime(2025, 4, 2, 9), kind=InteractionKind.LOGIN,
                     direction=Direction.INBOUND)
    third.last_contact_at = datetime(2024, 1, 1)  # a stale value with no timeline behind it
    db.session.flush()
    recompute_last_contact([p.id for p in people])
    assert (first.last_contact_at, first.last_online_at) == (datetime(2025, 5, 1, 9), datetime(2025, 5, 25, 9))
    assert (second.last_contact_at, second.last_online_at) == (None, datetime(2025, 4, 2, 9))
    assert third.last_contact_at is None


def test_recompute_for_employers(db_session) -> None:
    employer = make_employer()
    db.session.add(Interaction(employer_id=employer.id, occurred_at=datetime(2025, 5, 3, 9), channel=Channel.PHONE,
                               direction=Direction.INBOUND, kind=InteractionKind.OFFER_INTAKE,
                               outcome=InteractionOutcome.DONE))
    db.session.flush()
    recompute_employer_last_contact([employer.id])
    assert employer.last_contact_at == datetime(2025, 5, 3, 9)



def test_a_next_task_needs_a_title(db_session) -> None:
    with pytest.raises(DomainError) as raised:
        log(author=make_user(), job_seeker=make_job_seeker(), next_step=NextTask(title="  ", due_on=date(2025, 6, 13)))
    assert (raised.value.code, raised.value.field) == ("task.title.required", "title")
