"""``flask gdpr export | erase | purge``."""

from __future__ import annotations

import json
import stat
import zipfile
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from flask.testing import FlaskCliRunner

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.jobseekers.models import JobSeeker, JobSeekerStatus
from tests.factories import make_interaction, make_job_seeker
from tests.gdpr.conftest import File


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_export_writes_a_private_zip_and_is_audited(runner: FlaskCliRunner, file: File, tmp_path: Path) -> None:
    target = tmp_path / "zoe.zip"
    result = runner.invoke(args=["gdpr", "export", "DE-4242", str(target)])
    assert result.exit_code == 0, result.output
    assert f"job seeker {file.person.id}:" in result.output and "interaction" in result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    data = json.loads(zipfile.ZipFile(target).read("data.json"))
    assert data["job_seeker"]["id"] == file.person.id
    (event,) = events("job_seeker.subject_access_export")
    assert event.channel == "cli" and event.job_seeker_id == file.person.id

    again = runner.invoke(args=["gdpr", "export", str(file.person.id), str(target)])
    assert again.exit_code != 0 and "--force" in again.output
    assert runner.invoke(args=["gdpr", "export", str(file.person.id), str(target), "--force"]).exit_code == 0


def test_export_of_an_unknown_person(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["gdpr", "export", "NOBODY", str(tmp_path / "x.zip")])
    assert result.exit_code != 0 and "no job seeker" in result.output
    assert not (tmp_path / "x.zip").exists()


def test_erase_asks_for_confirmation(runner: FlaskCliRunner, file: File) -> None:
    result = runner.invoke(args=["gdpr", "erase", "DE-4242", "--reason", "Courrier"], input="n\n")
    assert result.exit_code != 0 and "Aborted" in result.output
    assert db.session.get(JobSeeker, file.person.id).anonymised_at is None

    result = runner.invoke(args=["gdpr", "erase", "DE-4242", "--reason", "Courrier du 3 mars"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "anonymised" in result.output and "interaction 2" in result.output
    person = db.session.get(JobSeeker, file.person.id)
    assert person.anonymised_at is not None and person.last_name == "anonymisée"
    (event,) = events("job_seeker.anonymise")
    assert event.channel == "cli" and event.reason == "Courrier du 3 mars"

    result = runner.invoke(args=["gdpr", "erase", str(person.id), "--reason", "x", "--yes"])
    assert result.exit_code != 0 and "already anonymised" in result.output


def test_purge_dry_run_then_for_real(runner: FlaskCliRunner, db_session) -> None:
    old = [make_job_seeker(status=JobSeekerStatus.EXITED, exit_date=date(2020, 6, 1), registration_date=date(2019, 1, 2),
                           notes="ancien") for _ in range(3)]
    make_interaction(old[0], occurred_at=datetime(2020, 5, 5, 10), notes="appel")
    recent_id = make_job_seeker(status=JobSeekerStatus.EXITED, exit_date=date.today(), notes="récent").id
    ids = [p.id for p in old]
    db.session.commit()  # a savepoint: the dry run rolls back

    result = runner.invoke(args=["gdpr", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "no activity since" in result.output and "(24 months)" in result.output
    assert "dry run: nothing was written" in result.output
    assert all(str(i) in result.output for i in ids)
    assert all(db.session.get(JobSeeker, i).anonymised_at is None for i in ids)

    result = runner.invoke(args=["gdpr", "purge", "--batch-size", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "people anonymised" in result.output and "interaction 1" in result.output
    db.session.expire_all()
    assert all(db.session.get(JobSeeker, i).anonymised_at is not None for i in ids)
    assert db.session.get(JobSeeker, recent_id).anonymised_at is None
    assert {e.job_seeker_id for e in events("job_seeker.anonymise")} >= set(ids)

    # a shorter retention is a setting or an option
    result = runner.invoke(args=["gdpr", "purge", "--months", "1", "--dry-run"])
    assert "(1 months)" in result.output
