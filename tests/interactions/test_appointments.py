"""Appointments: planning, the state machine, missed → follow-up task, done → timeline."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.audit.models import AuditEvent
from crm.errors import ConcurrentEditError, DomainError, IllegalTransitionError
from crm.extensions import db
from crm.interactions.models import (
    AppointmentKind, AppointmentStatus, Channel, Direction, InteractionKind, InteractionOutcome, Task, TaskOrigin,
    TaskStatus,
)
from crm.interactions.services import (
    APPOINTMENT_TRANSITIONS, cancel_appointment, complete_task, log_interaction, mark_appointment_done,
    mark_appointment_missed, plan_appointment,
)
from crm.jobseekers.alerts import alerts_for
from tests.factories import make_appointment, make_job_seeker, make_user

NOW = datetime(2025, 6, 10, 14, 0)
SLOT = datetime(2025, 6, 10, 9, 30)


@pytest.fixture()
def people(db_session):
    counselor = make_user()
    person = make_job_seeker(referent=counselor)
    return counselor, person


def test_plan_an_appointment(people) -> None:
    counselor, person = people
    appointment = plan_appointment(author=counselor, job_seeker=person, scheduled_at=datetime(2025, 6, 12, 9),
                                   kind=AppointmentKind.SITUATION_INTERVIEW, channel=Channel.VISIO, now=NOW)
    assert (appointment.status, appointment.staff_id, appointment.version) == (
        AppointmentStatus.PLANNED, counselor.id, 1)
    assert db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_id == appointment.id,
                                                                 AuditEvent.entity_type == "appointment")).all() == [
        "appointment.plan"]


@pytest.mark.parametrize("change, code", [
    ({"scheduled_at": NOW - timedelta(hours=1)}, "appointment.past"),
    ({"duration_minutes": 0}, "appointment.duration"),
    ({"channel": Channel.ONLINE}, "appointment.channel"),
])
def test_planning_validation(people, change, code) -> None:
    counselor, person = people
    values = dict(author=counselor, job_seeker=person, scheduled_at=datetime(2025, 6, 12, 9), now=NOW)
    values.update(change)
    with pytest.raises(DomainError) as raised:
        plan_appointment(**values)
    assert raised.value.code == code


def test_done_traces_the_appointment_on_the_timeline(people) -> None:
    counselor, person = people
    appointment = make_appointment(person, scheduled_at=SLOT, staff=counselor, kind=AppointmentKind.REVIEW_6_9)
    interaction = mark_appointment_done(author=counselor, appointment=appointment, expected_version=1,
                                        notes="Bilan fait", now=NOW)
    assert appointment.status == AppointmentStatus.DONE and appointment.status_changed_at == NOW
    assert (interaction.kind, interaction.appointment_id, interaction.occurred_at, interaction.notes) == (
        InteractionKind.REVIEW_6_9, appointment.id, SLOT, "Bilan fait")
    assert person.last_contact_at == SLOT


def test_done_can_link_an_existing_interaction(people) -> None:
    counselor, person = people
    appointment = make_appointment(person, scheduled_at=SLOT, staff=counselor)
    logged = log_interaction(author=counselor, job_seeker=person, channel=Channel.IN_PERSON,
                             kind=InteractionKind.FOLLOW_UP, outcome=InteractionOutcome.DONE,
                             direction=Direction.OUTBOUND, occurred_at=SLOT, now=NOW)
    assert mark_appointment_done(author=counselor, appointment=appointment, expected_version=1, interaction=logged,
                                 now=NOW) is logged
    assert logged.appointment_id == appointment.id


def test_missed_opens_a_follow_up_task_for_the_referent(people) -> None:
    counselor, person = people
    colleague = make_user(agency=counselor.agency)
    appointment = make_appointment(person, scheduled_at=SLOT, staff=colleague)
    task = mark_appointment_missed(author=colleague, appointment=appointment, expected_version=1, now=NOW)
    assert appointment.status == AppointmentStatus.MISSED
    assert (task.owner_id, task.origin, task.appointment_id, task.status, task.due_on) == (
        counselor.id, TaskOrigin.MISSED_APPOINTMENT, appointment.id, TaskStatus.OPEN, date(2025, 6, 12))
    assert "10/06/2025" in task.title and person.full_name in task.title
    assert "missed_appointment" in {a.code for a in alerts_for(person, on=NOW.date())}
    complete_task(author=counselor, task=task, expected_version=task.version, now=NOW)
    assert "missed_appointment" not in {a.code for a in alerts_for(person, on=NOW.date())}


def test_a_no_show_recorded_by_mistake_can_be_corrected(people) -> None:
    counselor, person = people
    appointment = make_appointment(person, scheduled_at=SLOT, staff=counselor)
    task = mark_appointment_missed(author=counselor, appointment=appointment, expected_version=1, now=NOW)
    mark_appointment_done(author=counselor, appointment=appointment, expected_version=appointment.version, now=NOW)
    assert appointment.status == AppointmentStatus.DONE and task.status == TaskStatus.DONE


def test_cancel(people) -> None:
    counselor, person = people
    appointment = make_appointment(person, scheduled_at=datetime(2025, 6, 20, 9), staff=counselor)
    cancel_appointment(author=counselor, appointment=appointment, expected_version=1, reason="Reprise d'emploi",
                       now=NOW)
    assert appointment.status == AppointmentStatus.CANCELLED
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "appointment.cancelled")).one()
    assert event.reason == "Reprise d'emploi"


ACTIONS = {
    AppointmentStatus.DONE: lambda **kw: mark_appointment_done(**kw),
    AppointmentStatus.MISSED: lambda **kw: mark_appointment_missed(**kw),
    AppointmentStatus.CANCELLED: lambda **kw: cancel_appointment(**kw),
}


@pytest.mark.parametrize("source", list(AppointmentStatus))
@pytest.mark.parametrize("target", list(ACTIONS))
def test_transition_matrix(people, source, target) -> None:
    counselor, person = people
    appointment = make_appointment(person, scheduled_at=SLOT, staff=counselor, status=source)
    if source in APPOINTMENT_TRANSITIONS[target]:
        ACTIONS[target](author=counselor, appointment=appointment, expected_version=1, now=NOW)
        assert appointment.status == target
    else:
        with pytest.raises(IllegalTransitionError):
            ACTIONS[target](author=counselor, appointment=appointment, expected_version=1, now=NOW)
        assert appointment.status == source


def test_illegal_transitions_are_explicit() -> None:
    assert AppointmentStatus.CANCELLED not in APPOINTMENT_TRANSITIONS[AppointmentStatus.DONE]
    assert APPOINTMENT_TRANSITIONS[AppointmentStatus.MISSED] == {AppointmentStatus.PLANNED}


def test_a_future_appointment_cannot_be_done_or_missed(people) -> None:
    counselor, person = people
    appointment = make_appointment(person, scheduled_at=NOW + timedelta(hours=2), staff=counselor)
    for action in (mark_appointment_done, mark_appointment_missed):
        with pytest.raises(DomainError) as raised:
            action(author=counselor, appointment=appointment, expected_version=1, now=NOW)
        assert raised.value.code == "appointment.not_yet"


def test_stale_version_is_refused_and_nothing_changes(people) -> None:
    counselor, person = people
    appointment = make_appointment(person, scheduled_at=SLOT, staff=counselor)
    appointment.notes = "modifié par un collègue"
    db.session.flush()
    assert appointment.version == 2
    with pytest.raises(ConcurrentEditError) as raised:
        mark_appointment_missed(author=counselor, appointment=appointment, expected_version=1, now=NOW)
    assert "modifié par quelqu'un d'autre" in str(raised.value.message)
    assert appointment.status == AppointmentStatus.PLANNED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 0
