"""Subject access, anonymisation and retention, at the service level."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.audit.models import AuditEvent
from crm.errors import DomainError
from crm.extensions import db
from crm.gdpr import services
from crm.interactions.models import Appointment, AppointmentStatus, Interaction, TaskStatus
from crm.jobseekers.models import JobSeeker, JobSeekerStatus
from tests.factories import make_appointment, make_benefit_right, make_interaction, make_job_seeker
from tests.gdpr.conftest import SECRET_NOTE, File, tasks_of

NOW = datetime(2026, 11, 30, 12, 0)

# Every kind of record the issue names must be in the archive.
EXPECTED_TABLES = {
    "interaction", "appointment", "proposal", "referral", "application", "outcome_episode", "priority_score",
    "feedback", "audit_event", "consent_record", "task", "barrier", "action_plan_item", "benefit_right",
    "benefit_event", "job_seeker_target", "session_registration", "prospection_action",
}


def open_archive(content: bytes) -> tuple[zipfile.ZipFile, dict, dict]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return archive, json.loads(archive.read("manifest.json")), json.loads(archive.read("data.json"))


def audit(person: JobSeeker, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.job_seeker_id == person.id,
                                                               AuditEvent.action == action)))


# --------------------------------------------------------------------------- subject access


def test_every_table_about_people_is_exported(app) -> None:
    assert EXPECTED_TABLES <= {table.name for table in services.person_tables()}


def test_the_archive_holds_everything_about_the_person_and_nothing_about_others(file: File) -> None:
    content = services.subject_access_archive(file.person, author=file.admin, now=NOW)
    archive, manifest, data = open_archive(content)

    assert manifest["job_seeker_id"] == file.person.id and manifest["external_id"] == "DE-4242"
    assert manifest["generated_by"] == file.admin.email
    assert data["job_seeker"]["last_name"] == "Dupont-Lajoie" and data["job_seeker"]["email"] == "zoe.dupont@example.org"
    for name in EXPECTED_TABLES:
        assert data["tables"][name], f"no {name} row exported"
        assert f"csv/{name}.csv" in archive.namelist()
        assert all(row.get("job_seeker_id") in (file.person.id, None) for row in data["tables"][name])
    # the employer-side interaction about her mise en relation is hers too
    notes = [row["notes"] for row in data["tables"]["interaction"]]
    assert any(note and note.startswith("Présenté Zoé") for note in notes)
    assert "voisin" not in archive.read("data.json").decode()
    # scores come with their reasons; staff and services are named
    assert data["tables"]["priority_score"][0]["reasons"][0]["text"] == "Sans contact depuis 40 jours"
    assert data["references"]["user"][str(file.referent.id)]["last_name"] == "Referente"
    assert data["references"]["catalogue_item"]
    # the staff's network address is not the person's data
    assert all("address" not in row for row in data["tables"]["audit_event"])


def test_the_csv_files_mirror_the_json(file: File) -> None:
    archive, manifest, data = open_archive(services.subject_access_archive(file.person, author=file.admin, now=NOW))
    rows = list(csv.DictReader(io.StringIO(archive.read("csv/interaction.csv").decode())))
    assert len(rows) == len(data["tables"]["interaction"]) == manifest["files"]["csv/interaction.csv"]
    person = list(csv.DictReader(io.StringIO(archive.read("csv/job_seeker.csv").decode())))
    assert person[0]["first_name"] == "Zoé" and json.loads(person[0]["skills"]) == ["Soudure"]
    empty_header = archive.read("csv/audit_event.csv").decode().splitlines()[0]
    assert "address" not in empty_header.split(",")


def test_the_export_is_audited(file: File) -> None:
    services.subject_access_archive(file.person, author=file.admin, now=NOW)
    (event,) = audit(file.person, "job_seeker.subject_access_export")
    assert event.user_id == file.admin.id and event.details["rows"] > 20


# --------------------------------------------------------------------------- anonymisation


def text_columns(table: sa.Table) -> set[str]:
    return {c.name for c in table.c
            if isinstance(c.type, (sa.String, sa.Text, sa.JSON)) and not isinstance(c.type, sa.Enum)}


def test_every_text_about_a_person_is_blanked_or_declared_kept(app) -> None:
    """A text column added later to a table about people must be classified here."""
    for table in services.person_tables():
        declared = (set(services.BLANKED_COLUMNS.get(table.name, {})) | services.KEPT_COLUMNS.get(table.name, set())
                    | services.KEPT_EVERYWHERE)
        assert text_columns(table) <= declared, f"{table.name}: {text_columns(table) - declared}"
    person_columns = set(services.JOB_SEEKER_BLANKED) | set(services.JOB_SEEKER_KEPT_TEXT)
    assert text_columns(JobSeeker.__table__) <= person_columns


def test_anonymise_blanks_identity_and_free_text_and_keeps_the_rows(file: File) -> None:
    before = services.row_counts(file.person)
    report = services.erase_job_seeker(file.person, author=file.admin, reason="Courrier du 2 novembre", now=NOW)
    db.session.expire_all()
    person = db.session.get(JobSeeker, file.person.id)

    assert (person.first_name, person.last_name) == (services.ANONYMOUS_FIRST_NAME, services.ANONYMOUS_LAST_NAME)
    assert (person.email, person.phone, person.address, person.notes, person.external_id) == (None,) * 5
    assert person.skills == [] and person.work_axes == [] and person.birth_date == date(1988, 1, 1)
    assert person.anonymised_at == NOW
    # erased while registered: the registration is closed, so no list or count shows her any more
    assert report.registration_closed and person.status == JobSeekerStatus.EXITED and person.exit_date == NOW.date()
    # every row is still there (the figures do not change)…
    after = services.row_counts(person)
    assert {k: v for k, v in after.items() if k != "audit_event"} == {
        k: v for k, v in before.items() if k != "audit_event"}
    # …but no free text about her survives anywhere
    archive = services.subject_access_archive(person, author=file.admin, now=NOW)
    text = zipfile.ZipFile(io.BytesIO(archive)).read("data.json").decode()
    for secret in (SECRET_NOTE, "Dupont-Lajoie", "Zoé", "zoe.dupont", "06 12 34 56 78", "Lilas", "DE-4242",
                   "1988-07-14", "\"Soudure\""):
        assert secret not in text, secret
    assert report.blanked["interaction"] == 2 and report.blanked["task"] == 1
    # what could no longer happen is closed
    planned = db.session.scalars(sa.select(Appointment).where(Appointment.job_seeker_id == person.id,
                                                              Appointment.status == AppointmentStatus.PLANNED)).all()
    assert planned == [] and report.cancelled == {"appointment": 1, "task": 1}
    assert all(task.status == TaskStatus.CANCELLED for task in tasks_of(person))
    # the neighbour is untouched
    neighbour = db.session.get(JobSeeker, file.neighbour.id)
    assert neighbour.last_name == "Voisin" and neighbour.notes == "voisin"
    (event,) = audit(person, "job_seeker.anonymise")
    assert event.reason == "Courrier du 2 novembre" and event.details["ground"] == "erasure_request"
    assert event.details["registration_closed"] is True


def test_an_erasure_after_midnight_in_paris_closes_the_registration_on_the_paris_day(file: File) -> None:
    # 22:30 UTC on 30 June is already 1 July in Paris.
    services.erase_job_seeker(file.person, author=file.admin, reason="Courrier du 30 juin",
                              now=datetime(2030, 6, 30, 22, 30))
    db.session.expire_all()
    assert db.session.get(JobSeeker, file.person.id).exit_date == date(2030, 7, 1)


def test_anonymise_bumps_versions_so_open_forms_see_a_conflict(file: File) -> None:
    appointment = db.session.scalars(sa.select(Appointment).where(Appointment.job_seeker_id == file.person.id,
                                                                  Appointment.notes.is_not(None))).one()
    version = appointment.version
    services.erase_job_seeker(file.person, author=file.admin, reason="Demande écrite", now=NOW)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).version > version


def test_erasure_needs_a_reason_and_happens_once(file: File) -> None:
    with pytest.raises(DomainError) as raised:
        services.erase_job_seeker(file.person, author=file.admin, reason="  ")
    assert raised.value.code == "gdpr.reason.required"
    services.erase_job_seeker(file.person, author=file.admin, reason="Demande écrite")
    with pytest.raises(DomainError) as raised:
        services.erase_job_seeker(file.person, author=file.admin, reason="Encore")
    assert raised.value.code == "gdpr.already_anonymised"


# --------------------------------------------------------------------------- retention


def exited(exit_date: date, **fields: object) -> JobSeeker:
    return make_job_seeker(status=JobSeekerStatus.EXITED, exit_date=exit_date,
                           registration_date=date(2020, 1, 6), **fields)


def test_retention_candidates(db_session) -> None:
    cutoff = services.retention_cutoff(NOW, 24)
    assert cutoff == datetime(2024, 11, 30)
    old = date(2023, 6, 1)
    forgotten = exited(old, last_contact_at=datetime(2023, 5, 2))
    never_contacted = exited(old)
    with_recent_interaction = exited(old)
    make_interaction(with_recent_interaction, occurred_at=datetime(2025, 1, 3))
    with_future_appointment = exited(old)
    make_appointment(with_future_appointment, scheduled_at=datetime(2027, 1, 3, 9))
    with_recent_rights = exited(old)
    make_benefit_right(with_recent_rights, start_on=date(2023, 1, 1), end_on=date(2025, 2, 1))
    online_recently = exited(old, last_online_at=datetime(2025, 3, 1))
    exited_recently = exited(date(2025, 6, 1))
    still_registered = make_job_seeker(registration_date=date(2019, 1, 1))
    already_done = exited(old, anonymised_at=datetime(2025, 1, 1))

    found = set(db.session.scalars(services.retention_candidates(cutoff=cutoff)))
    assert {forgotten.id, never_contacted.id} <= found
    for kept in (with_recent_interaction, with_future_appointment, with_recent_rights, online_recently,
                 exited_recently, still_registered, already_done):
        assert kept.id not in found


def test_last_activity_is_the_latest_dated_act(db_session) -> None:
    person = exited(date(2023, 6, 1), last_contact_at=datetime(2023, 5, 2))
    assert services.last_activity(person.id) == date(2023, 6, 1)
    make_interaction(person, occurred_at=datetime(2023, 9, 9, 10))
    make_benefit_right(person, start_on=date(2023, 1, 1), end_on=date(2023, 8, 1))
    assert services.last_activity(person.id) == date(2023, 9, 9)


def test_purge_anonymises_on_the_retention_ground(db_session) -> None:
    person = exited(date(2023, 6, 1), notes="à effacer")
    make_interaction(person, occurred_at=datetime(2023, 5, 9, 10), notes="appel")
    (report,) = services.purge([person.id], author=None, now=NOW)
    assert report.blanked == {"interaction": 1} and not report.registration_closed
    db.session.expire_all()
    assert db.session.get(JobSeeker, person.id).notes is None
    interaction = db.session.scalars(sa.select(Interaction).where(Interaction.job_seeker_id == person.id)).one()
    assert interaction.notes is None and interaction.occurred_at == datetime(2023, 5, 9, 10)
    (event,) = audit(person, "job_seeker.anonymise")
    assert event.details["ground"] == "retention" and event.details["last_activity_on"] == "2023-06-01"
    assert services.purge([person.id], author=None, now=NOW + timedelta(days=1)) == []  # already done
