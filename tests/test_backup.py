"""``flask backup`` and ``flask restore``: back up, change the data, restore, find the original data."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from crm.extensions import db
from crm.organisation.models import Region
from tests.conftest import make_app


@pytest.fixture()
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    """An application on a SQLite file of its own, whatever database the suite runs on."""
    app = make_app("sqlite:///" + str(tmp_path / "live.sqlite3"), tmp_path / "instance")
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def regions(app: Flask) -> list[str]:
    with app.app_context():
        try:
            return list(db.session.scalars(sa.select(Region.name).order_by(Region.code)))
        finally:
            db.session.remove()


def write(app: Flask, *statements: sa.Executable) -> None:
    with app.app_context():
        for statement in statements:
            db.session.execute(statement)
        db.session.commit()
        db.session.remove()


def test_backup_then_restore_brings_the_original_data_back(sqlite_app: Flask, tmp_path: Path) -> None:
    write(sqlite_app, sa.insert(Region).values(code="53", name="Bretagne"),
          sa.insert(Region).values(code="52", name="Pays de la Loire"))
    runner = sqlite_app.test_cli_runner()
    backup = tmp_path / "backups" / "proxima.sqlite3"
    backup.parent.mkdir()

    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert "backed up to" in result.output and stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert not Path(str(backup) + "-wal").exists()  # one self-contained file
    with closing(sqlite3.connect(backup)) as copy:
        assert copy.execute("SELECT count(*) FROM region").fetchone()[0] == 2

    write(sqlite_app, sa.update(Region).where(Region.code == "53").values(name="Breizh"),
          sa.delete(Region).where(Region.code == "52"), sa.insert(Region).values(code="11", name="Île-de-France"))
    assert regions(sqlite_app) == ["Île-de-France", "Breizh"]

    refused = runner.invoke(args=["restore", str(backup)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    assert regions(sqlite_app) == ["Île-de-France", "Breizh"]

    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert "restored from" in result.output and "db upgrade" not in result.output  # same schema revision
    assert regions(sqlite_app) == ["Pays de la Loire", "Bretagne"]
    # the application keeps working on the restored database
    write(sqlite_app, sa.insert(Region).values(code="11", name="Île-de-France"))
    assert len(regions(sqlite_app)) == 3


def test_backup_is_a_snapshot_taken_while_someone_writes(sqlite_app: Flask, tmp_path: Path) -> None:
    write(sqlite_app, sa.insert(Region).values(code="53", name="Bretagne"))
    with sqlite_app.app_context():
        path = db.engine.url.database
    with closing(sqlite3.connect(path, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO region (code, name) VALUES ('52', 'pas encore validée')")
        result = sqlite_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "snapshot.sqlite3")])
        writer.execute("COMMIT")
    assert result.exit_code == 0, result.output
    with closing(sqlite3.connect(tmp_path / "snapshot.sqlite3")) as copy:
        assert copy.execute("SELECT name FROM region").fetchall() == [("Bretagne",)]


def test_backup_does_not_overwrite_without_yes(sqlite_app: Flask, tmp_path: Path) -> None:
    target = tmp_path / "there.sqlite3"
    target.write_text("keep me")
    result = sqlite_app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code != 0 and "--yes" in result.output and target.read_text() == "keep me"
    assert sqlite_app.test_cli_runner().invoke(args=["backup", str(target), "--yes"]).exit_code == 0


def test_restore_refuses_what_is_not_a_proxima_backup(sqlite_app: Flask, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE t (x)")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database at all" * 100)
    write(sqlite_app, sa.insert(Region).values(code="53", name="Bretagne"))
    for candidate in (other, garbage):
        result = sqlite_app.test_cli_runner().invoke(args=["restore", str(candidate), "--yes"])
        assert result.exit_code != 0, result.output
    assert regions(sqlite_app) == ["Bretagne"]


def test_an_older_backup_asks_for_a_migration(sqlite_app: Flask, tmp_path: Path) -> None:
    backup = tmp_path / "old.sqlite3"
    assert sqlite_app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    with closing(sqlite3.connect(backup)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '7c6f4aff39ef'")
        connection.commit()
    result = sqlite_app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0 and "db upgrade" in result.output


def test_postgresql_backup_runs_pg_dump(app: Flask, runner, tmp_path: Path) -> None:  # noqa: ANN001
    with app.app_context():
        backend = db.engine.url.get_backend_name()
    if backend != "postgresql":
        pytest.skip("the suite runs on SQLite (set TEST_DATABASE_URL for PostgreSQL)")
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    target = tmp_path / "proxima.dump"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:5] == b"PGDMP" and stat.S_IMODE(target.stat().st_mode) == 0o600
    refused = runner.invoke(args=["restore", str(target), "--yes"])
    assert refused.exit_code != 0 and "pg_restore" in refused.output
