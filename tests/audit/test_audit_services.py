"""The audit trail helper: who did what on which record, and about whom."""

from __future__ import annotations

from crm.audit.services import record
from tests.factories import make_employer, make_job_seeker, make_task, make_user


def test_the_person_concerned_is_found_from_the_entity(db_session) -> None:
    user = make_user()
    person = make_job_seeker()
    on_person = record(user=user, action="job_seeker.read", entity=person)
    task = make_task(owner=user, job_seeker=person)
    on_task = record(user=user, action="task.create", entity=task, reason="r" * 300, details={"a": 1})
    assert (on_person.entity_type, on_person.entity_id, on_person.job_seeker_id) == ("job_seeker", person.id, person.id)
    assert (on_task.entity_type, on_task.job_seeker_id, on_task.user_id) == ("task", person.id, user.id)
    assert len(on_task.reason) == 255 and on_task.details == {"a": 1} and on_task.channel == "web"


def test_employer_and_system_events(db_session) -> None:
    employer = make_employer()
    event = record(user=None, action="employer.import", entity=employer, channel="cli")
    assert (event.employer_id, event.user_id, event.job_seeker_id, event.channel) == (employer.id, None, None, "cli")
