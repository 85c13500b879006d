"""Modality change and transfer: validated, version-checked, traced with their reason."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from crm.audit.models import AuditEvent
from crm.enums import Modality
from crm.errors import ConcurrentEditError, DomainError
from crm.extensions import db
from crm.interactions.models import TaskStatus
from crm.jobseekers.models import JobSeekerStatus
from crm.jobseekers.services import change_modality, transfer_job_seeker
from crm.organisation.models import Role
from tests.factories import make_agency, make_job_seeker, make_task, make_user


def audit_events(person, action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.job_seeker_id == person.id,
                                                          AuditEvent.action == action)).all()


def test_change_of_modality_is_traced(db_session) -> None:
    counselor = make_user()
    person = make_job_seeker(referent=counselor, modality=Modality.GUIDE)
    change_modality(author=counselor, job_seeker=person, modality=Modality.RENFORCE,
                    reason="  Freins de mobilité et de garde  ", expected_version=person.version, on=date(2025, 6, 10))
    assert (person.modality, person.modality_since, person.version) == (Modality.RENFORCE, date(2025, 6, 10), 2)
    [event] = audit_events(person, "job_seeker.modality_change")
    assert (event.user_id, event.reason, event.details) == (
        counselor.id, "Freins de mobilité et de garde", {"from": "guide", "to": "renforce"})
    assert (event.entity_type, event.entity_id) == ("job_seeker", person.id)


@pytest.mark.parametrize("change, code", [
    ({"reason": "   "}, "reason.required"),
    ({"reason": "x" * 256}, "reason.length"),
    ({"modality": Modality.GUIDE}, "modality.unchanged"),
])
def test_modality_change_validation(db_session, change, code) -> None:
    person = make_job_seeker(modality=Modality.GUIDE)
    values = dict(author=make_user(), job_seeker=person, modality=Modality.SUIVI, reason="Autonome",
                  expected_version=person.version)
    values.update(change)
    with pytest.raises(DomainError) as raised:
        change_modality(**values)
    assert raised.value.code == code and person.modality == Modality.GUIDE


def test_modality_change_on_a_stale_form_is_refused(db_session) -> None:
    person = make_job_seeker(modality=Modality.GUIDE)
    person.mobility_km = 40  # someone else saved the file meanwhile
    db.session.flush()
    with pytest.raises(ConcurrentEditError):
        change_modality(author=make_user(), job_seeker=person, modality=Modality.SUIVI, reason="Autonome",
                        expected_version=1)
    assert person.modality == Modality.GUIDE and not audit_events(person, "job_seeker.modality_change")


def test_an_exited_person_cannot_change_modality(db_session) -> None:
    person = make_job_seeker(status=JobSeekerStatus.EXITED)
    with pytest.raises(DomainError) as raised:
        change_modality(author=make_user(), job_seeker=person, modality=Modality.SUIVI, reason="x",
                        expected_version=None)
    assert raised.value.code == "job_seeker.exited"


def test_transfer_to_a_counselor_of_another_agency(db_session) -> None:
    former = make_user()
    person = make_job_seeker(referent=former)
    open_task = make_task(owner=former, job_seeker=person)
    done_task = make_task(owner=former, job_seeker=person, status=TaskStatus.DONE)
    successor = make_user(agency=make_agency(name="Agence de Lens"))
    transfer_job_seeker(author=former, job_seeker=person, referent=successor, reason="Déménagement",
                        expected_version=person.version)
    assert (person.referent_id, person.agency_id) == (successor.id, successor.agency_id)
    assert open_task.owner_id == successor.id and done_task.owner_id == former.id
    [event] = audit_events(person, "job_seeker.transfer")
    assert event.reason == "Déménagement"
    assert event.details == {"from_referent_id": former.id, "to_referent_id": successor.id,
                             "from_agency_id": former.agency_id, "to_agency_id": successor.agency_id}


def test_transfer_to_an_agency_leaves_the_person_to_allocate(db_session) -> None:
    former = make_user()
    person = make_job_seeker(referent=former)
    agency = make_agency()
    transfer_job_seeker(author=former, job_seeker=person, agency=agency, reason="Déménagement",
                        expected_version=person.version)
    assert (person.referent_id, person.agency_id) == (None, agency.id)


@pytest.mark.parametrize("case, code", [
    ("nothing", "transfer.nothing"),
    ("wrong_agency", "transfer.referent_agency"),
    ("wrong_role", "transfer.referent_role"),
    ("same", "transfer.unchanged"),
])
def test_transfer_validation(db_session, case, code) -> None:
    former = make_user()
    person = make_job_seeker(referent=former)
    values = dict(author=former, job_seeker=person, reason="Équilibrage des portefeuilles",
                  expected_version=person.version)
    if case == "wrong_agency":
        values.update(referent=make_user(), agency=make_agency())
    elif case == "wrong_role":
        values.update(referent=make_user(agency=former.agency, role=Role.EMPLOYER_COUNSELOR))
    elif case == "same":
        values.update(referent=former)
    with pytest.raises(DomainError) as raised:
        transfer_job_seeker(**values)
    assert raised.value.code == code and person.referent_id == former.id
