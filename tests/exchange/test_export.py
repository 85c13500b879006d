"""Export: the same format, identical files after a round trip, no passwords, ids for every row."""

from __future__ import annotations

import csv
import filecmp
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy.orm import Session

from crm.exchange.exporter import export_directory
from crm.exchange.formats import FILES
from crm.exchange.importer import import_directory
from crm.extensions import db
from crm.referentials.importer import load_builtin
from tests.conftest import make_app, reset_database, scratch_postgres_database
from tests.exchange.conftest import write_folder
from tests.factories import make_job_seeker, make_user


def test_export_writes_every_file_with_its_header(db_session: Session, tmp_path: Path) -> None:
    load_builtin(db_session)
    import_directory(db_session, write_folder(tmp_path / "in"))

    report = export_directory(db_session, tmp_path / "out")

    for spec in FILES:
        with (tmp_path / "out" / spec.filename).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == [column.name for column in spec.columns]
        assert report.rows[spec.name] == len(rows) - 1
    staff = (tmp_path / "out" / "staff.csv").read_text(encoding="utf-8")
    assert "password" not in staff and "argon2" not in staff


def test_rows_without_external_id_get_one_and_keep_it(db_session: Session, tmp_path: Path) -> None:
    counselor = make_user(password="Correct-horse-9")
    person = make_job_seeker(referent=counselor)

    report = export_directory(db_session, tmp_path / "out")

    assert person.external_id == f"px-job_seekers-{person.id}"
    assert counselor.external_id == f"px-staff-{counselor.id}"
    assert report.assigned_ids["job_seekers"] >= 1
    again = import_directory(db_session, tmp_path / "out")
    assert again.ok, again.problems.lines()
    assert again.changed == 0  # re-importing one's own export changes nothing


def test_the_command_exports(db_session: Session, tmp_path: Path, runner: FlaskCliRunner) -> None:
    make_job_seeker()

    result = runner.invoke(args=["export", str(tmp_path / "out"), "--quiet"])

    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "job_seekers.csv").is_file()


def _fresh_app(database_url: str, tmp_path: Path, label: str):  # type: ignore[no-untyped-def]
    app = make_app(database_url, tmp_path / f"instance-{label}")
    with app.app_context():
        upgrade()
        load_builtin(db.session)
        db.session.commit()
    return app


@pytest.fixture()
def two_empty_databases(tmp_path: Path) -> tuple[str, str]:
    """Two migrated databases of the suite's kind (SQLite files, or scratch PostgreSQL databases)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql"):
        with scratch_postgres_database(url, "rt1") as first, scratch_postgres_database(url, "rt2") as second:
            yield first, second
    else:
        yield f"sqlite:///{tmp_path / 'first.sqlite3'}", f"sqlite:///{tmp_path / 'second.sqlite3'}"


def test_round_trip_gives_identical_files(two_empty_databases: tuple[str, str], tmp_path: Path) -> None:
    first_url, second_url = two_empty_databases
    for url in (first_url, second_url):
        reset_database(url)
    source = write_folder(tmp_path / "source")
    first = _fresh_app(first_url, tmp_path, "first")
    with first.app_context():
        assert import_directory(db.session, source).ok
        db.session.commit()
        export_directory(db.session, tmp_path / "export1")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    second = _fresh_app(second_url, tmp_path, "second")
    with second.app_context():
        report = import_directory(db.session, tmp_path / "export1")
        assert report.ok, report.problems.lines()
        db.session.commit()
        export_directory(db.session, tmp_path / "export2")
        db.session.commit()
        counts = {name: db.session.execute(sa.select(sa.func.count()).select_from(db.metadata.tables[name]))
                  .scalar_one() for name in ("interaction", "job_seeker", "job_seeker_target", "benefit_right")}
        db.session.remove()
        db.engine.dispose()

    names = sorted(spec.filename for spec in FILES)
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "export1", tmp_path / "export2", names, shallow=False)
    assert (mismatch, errors) == ([], [])
    assert counts == {"interaction": 5, "job_seeker": 3, "job_seeker_target": 3, "benefit_right": 1}
    # The hand-written source and its export agree on every value (same rows, more optional columns).
    exported = (tmp_path / "export1" / "interactions.csv").read_text(encoding="utf-8")
    assert '"Besoin :\nsecrétaire"' in exported
