"""Bulk import: a valid folder, each class of error with its location, dry run, idempotence, updates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from crm.catalogue.models import CatalogueItem
from crm.employers.models import Employer
from crm.exchange.importer import import_directory
from crm.interactions.models import Interaction, InteractionOrigin
from crm.jobseekers.models import BenefitRight, JobSeeker, JobSeekerStatus
from crm.organisation.models import Team, User
from tests.exchange.conftest import EXPECTED_COUNTS, VALID, table_counts, write_folder
from tests.factories import make_agency, make_job_seeker, make_user

pytestmark = pytest.mark.usefixtures("referentials")


def test_a_valid_folder_imports_with_the_right_counts(db_session: Session, valid_folder: Path) -> None:
    before = table_counts(db_session)

    report = import_directory(db_session, valid_folder)

    assert report.ok, report.problems.lines()
    after = table_counts(db_session)
    assert {name: after[name] - before[name] for name in after} == EXPECTED_COUNTS
    assert report.files["interactions"].inserted == 5
    camille = db_session.scalars(sa.select(JobSeeker).where(JobSeeker.external_id == "JS1")).one()
    assert camille.referent.external_id == "ST1"
    assert [t.rome_code for t in camille.targets] == ["M1607", "A1101"]
    assert camille.contract_types == ["cdi", "cdd"] and camille.qpv and camille.mobility_km == 30
    assert camille.benefit_rights[0].end_on == date(2026, 3, 31)
    assert camille.benefit_rights[0].start_on == date(2025, 1, 6)  # defaults to the registration date
    paul = db_session.scalars(sa.select(JobSeeker).where(JobSeeker.external_id == "JS2")).one()
    assert paul.status == JobSeekerStatus.EXITED and paul.mobility_km == 20  # empty cell: the default
    zoe = db_session.scalars(sa.select(JobSeeker).where(JobSeeker.external_id == "JS3")).one()
    assert zoe.first_name == "Zoé, dite « Zo »"
    visit = db_session.scalars(sa.select(Interaction).where(Interaction.external_id == "IN4")).one()
    assert visit.employer.external_id == "EM1" and visit.job_seeker_id is None
    assert visit.notes == "Besoin :\nsecrétaire" and visit.origin == InteractionOrigin.IMPORT
    employer = db_session.scalars(sa.select(Employer).where(Employer.external_id == "EM1")).one()
    assert employer.agency.external_id == "AG1"  # from the counselor
    lea = db_session.scalars(sa.select(User).where(User.external_id == "ST1")).one()
    assert lea.password_hash is None and lea.team.name == "Accompagnement 1"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Team)) >= 2
    mission_locale = db_session.scalars(sa.select(CatalogueItem).where(CatalogueItem.external_id == "CA2")).one()
    assert mission_locale.eligibility == {"max_age": 25}


def test_derived_last_contact_dates_are_set(db_session: Session, valid_folder: Path) -> None:
    import_directory(db_session, valid_folder)

    camille = db_session.scalars(sa.select(JobSeeker).where(JobSeeker.external_id == "JS1")).one()
    # The login is online activity and the 15 September call did not reach her.
    assert camille.last_contact_at == datetime(2025, 10, 20, 9, 30)
    assert camille.last_online_at == datetime(2025, 11, 2, 18, 12)
    employer = db_session.scalars(sa.select(Employer).where(Employer.external_id == "EM1")).one()
    assert employer.last_contact_at == datetime(2025, 10, 1, 15, 0)


def test_a_second_import_changes_nothing(db_session: Session, valid_folder: Path) -> None:
    import_directory(db_session, valid_folder)
    counts = table_counts(db_session)

    report = import_directory(db_session, valid_folder)

    assert report.ok and report.changed == 0
    assert all(r.inserted == 0 and r.updated == 0 for r in report.files.values())
    assert report.files["interactions"].unchanged == 5
    assert table_counts(db_session) == counts


def test_an_updated_row_updates_its_record(db_session: Session, tmp_path: Path) -> None:
    import_directory(db_session, write_folder(tmp_path / "first"))
    camille = db_session.scalars(sa.select(JobSeeker).where(JobSeeker.external_id == "JS1")).one()
    version = camille.version
    files = dict(VALID)
    files["job_seekers"] = VALID["job_seekers"].replace(
        "JS1,AG1,ST1,Camille,Martin,1990-05-17,female,french,44109,2025-01-06,guide,M1607;A1101",
        "JS1,AG1,ST1,Camille,Martin-Roy,1990-05-17,female,french,44109,2025-01-06,suivi,A1203",
    ).replace("partial,2026-03-31", "partial,2026-06-30")
    files["interactions"] = VALID["interactions"].replace("not_reached", "reached")
    counts = table_counts(db_session)

    report = import_directory(db_session, write_folder(tmp_path / "second", files))

    assert report.ok, report.problems.lines()
    assert (report.files["job_seekers"].updated, report.files["job_seekers"].unchanged) == (1, 2)
    assert report.files["interactions"].updated == 1
    assert report.files["agencies"].updated == 0
    db_session.expire_all()
    camille = db_session.get(JobSeeker, camille.id)
    assert camille.last_name == "Martin-Roy" and camille.modality == "suivi"
    assert [t.rome_code for t in camille.targets] == ["A1203"]
    assert [r.end_on for r in camille.benefit_rights] == [date(2026, 6, 30)]
    assert camille.version == version + 1
    assert table_counts(db_session) == {**counts, "job_seeker_target": counts["job_seeker_target"] - 1}


def test_optional_columns_absent_leave_the_database_value(db_session: Session, tmp_path: Path) -> None:
    files = dict(VALID)
    files["interactions"] = (
        "interaction_id,occurred_at,party_kind,party_id,staff_id,channel,direction,kind,outcome,notes,origin\n"
        "IN1,2025-10-20T09:30:00,job_seeker,JS1,ST1,in_person,out,follow_up,done,,exploration\n")
    import_directory(db_session, write_folder(tmp_path / "with", files))
    files["interactions"] = (
        "interaction_id,occurred_at,party_kind,party_id,staff_id,channel,direction,kind,outcome,notes\n"
        "IN1,2025-10-20T09:30:00,job_seeker,JS1,ST1,in_person,out,follow_up,done,\n")

    report = import_directory(db_session, write_folder(tmp_path / "without", files))

    assert report.files["interactions"].unchanged == 1
    interaction = db_session.scalars(sa.select(Interaction).where(Interaction.external_id == "IN1")).one()
    assert interaction.origin == InteractionOrigin.EXPLORATION


def test_existing_rows_are_referred_to_by_external_id(db_session: Session, tmp_path: Path) -> None:
    agency = make_agency(external_id="AG-OLD")
    counselor = make_user(agency=agency, external_id="ST-OLD")
    make_job_seeker(agency=agency, referent=counselor, external_id="JS-OLD")
    files = {"interactions": (
        "interaction_id,occurred_at,party_kind,party_id,staff_id,channel,direction,kind,outcome,notes\n"
        "X1,2025-10-20T09:30:00,job_seeker,JS-OLD,ST-OLD,phone,out,follow_up,reached,\n")}

    report = import_directory(db_session, write_folder(tmp_path / "refs", files))

    assert report.ok, report.problems.lines()
    person = db_session.scalars(sa.select(JobSeeker).where(JobSeeker.external_id == "JS-OLD")).one()
    assert person.last_contact_at == datetime(2025, 10, 20, 9, 30)


def test_staff_without_external_id_is_matched_by_email(db_session: Session, tmp_path: Path) -> None:
    existing = make_user(email="lea.durand@exemple.fr", password="Correct-horse-9")
    files = {name: VALID[name] for name in ("agencies", "staff")}

    report = import_directory(db_session, write_folder(tmp_path / "adopt", files))

    assert report.ok, report.problems.lines()
    db_session.expire_all()
    assert existing.external_id == "ST1" and existing.password_hash  # the password is kept
    assert report.files["staff"].inserted == 2


def test_benefit_right_columns(db_session: Session, tmp_path: Path) -> None:
    files = {name: VALID[name] for name in ("agencies", "staff")}
    files["job_seekers"] = VALID["job_seekers"].splitlines()[0] + (
        ",rights_kind,rights_start_date,rights_daily_amount\n"
        "JS1,AG1,ST1,Camille,Martin,1990-05-17,female,french,44109,2025-01-06,guide,,,30,bac,24,false,"
        "false,true,partial,2026-03-31,,,ass,2025-02-01,17.5\n")

    report = import_directory(db_session, write_folder(tmp_path / "rights", files))

    assert report.ok, report.problems.lines()
    right = db_session.scalars(sa.select(BenefitRight)).one()
    assert (right.kind, right.start_on, right.daily_amount) == ("ass", date(2025, 2, 1), Decimal("17.50"))


def test_dry_run_writes_nothing(db_session: Session, valid_folder: Path, runner: FlaskCliRunner) -> None:
    before = table_counts(db_session)

    result = runner.invoke(args=["import", str(valid_folder), "--dry-run", "--quiet"])

    assert result.exit_code == 0, result.output
    assert "simulation" in result.output
    assert table_counts(db_session) == before


def test_the_command_imports_and_reports(db_session: Session, valid_folder: Path, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import", str(valid_folder), "--quiet"])

    assert result.exit_code == 0, result.output
    assert "interactions.csv     read         5  inserted         5" in result.output
    again = runner.invoke(args=["import", str(valid_folder), "--quiet", "--lang", "en"])
    assert again.exit_code == 0, again.output
    assert "inserted         0  updated         0" in again.output


def test_a_folder_without_any_known_file_is_refused(tmp_path: Path, runner: FlaskCliRunner) -> None:
    (tmp_path / "notes.txt").write_text("rien")

    result = runner.invoke(args=["import", str(tmp_path)])

    assert result.exit_code != 0
    assert "aucun fichier" in result.output
