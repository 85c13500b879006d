"""Test fixtures: the schema is built once per session with the real migrations, each
test runs inside a transaction that is rolled back.

The suite runs on SQLite by default and on PostgreSQL when ``TEST_DATABASE_URL`` is set
(``make test`` does both when a server is reachable).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy.session import Session as FlaskSqlaSession

from crm import create_app
from crm.config import normalise_database_url
from crm.extensions import db

# The project's shared folder sits beside the repository (``../shared``); override with
# PROXIMA_REFERENTIALS_DIR when the official files live elsewhere.
SHARED_REFERENTIALS = Path(
    os.environ.get("PROXIMA_REFERENTIALS_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "data" / "referentials"
)


def test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def reset_database(url: str) -> None:
    """Start from an empty database (PostgreSQL keeps tables between runs)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def make_app(url: str, instance_path: Path, **overrides: object) -> Flask:
    os.environ["PROXIMA_INSTANCE_PATH"] = str(instance_path)
    config = {
        "PROXIMA_ENV": "test",
        "DATABASE_URL": url,
        "SECRET_KEY": "test-only-secret",
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "proxima.test",
        **overrides,
    }
    return create_app(config)


@contextmanager
def scratch_postgres_database(url: str, label: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``url``, dropped afterwards.

    Runs (or tests) that share a server then never see each other's tables. When the
    role may not create databases, fall back to ``url`` itself, emptied.
    """
    server = sa.make_url(url)
    name = f"{server.database}_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.DBAPIError:
        admin.dispose()
        reset_database(url)
        yield url
        return
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = test_database_url(tmp_path_factory)
    if url.startswith("postgresql"):
        with scratch_postgres_database(url, "run") as scratch:
            yield scratch
    else:
        yield url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    reset_database(database_url)
    app = make_app(database_url, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


class BoundSession(FlaskSqlaSession):
    """Flask-SQLAlchemy's ``get_bind`` picks the app's engine and ignores the session's
    ``bind``: without this, the session opened its own connection and views' commits
    escaped the test transaction."""

    def get_bind(self, *args: object, **kwargs: object) -> sa.engine.Connection | sa.engine.Engine:
        return self.bind if self.bind is not None else super().get_bind(*args, **kwargs)


@pytest.fixture()
def db_session(app: Flask) -> Iterator[sa.orm.scoped_session]:
    """A session whose every commit is a SAVEPOINT inside a transaction rolled back at the end."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": BoundSession}
        )
        db.session = session
        try:
            yield session
        finally:
            session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture()
def client(app: Flask, db_session: sa.orm.scoped_session) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask, db_session: sa.orm.scoped_session) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def shared_referentials() -> Path:
    if not SHARED_REFERENTIALS.is_dir():
        pytest.skip(f"real referentials not found at {SHARED_REFERENTIALS}")
    return SHARED_REFERENTIALS


# 22:30 UTC on 30 June 2030 is already 00:30 on 1 July in Paris (summer time, UTC+2).
LATE_EVENING_UTC = datetime(2030, 6, 30, 22, 30, tzinfo=timezone.utc)


@pytest.fixture()
def paris_past_midnight(app: Flask, monkeypatch: pytest.MonkeyPatch) -> date:
    """Stop the product's clocks at 22:30 UTC on 30 June 2030, when the UTC date is still the
    30th but Paris is on 1 July; returns the Paris day. Both the day (``crm.clock``) and the
    stored timestamps (``crm.db.utcnow``) read this moment. (``app`` first: the models read
    ``crm.db.datetime`` in their annotations when they are declared.)"""
    class LateEvening(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return LATE_EVENING_UTC.astimezone(tz)  # type: ignore[arg-type]

    monkeypatch.setattr("crm.clock.datetime", LateEvening)
    monkeypatch.setattr("crm.db.datetime", LateEvening)
    return date(2030, 7, 1)
