"""Proxima: a personalised relationship manager for public employment services."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import sqlalchemy as sa
from flask import Flask

from crm.config import build_config
from crm import extensions as ext

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("PROXIMA_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(build_config(app.instance_path, config))

    # Extensions are reached through ``ext``: the name ``crm.db`` is the column-helpers module.
    ext.db.init_app(app)
    with app.app_context():
        _configure_engine(ext.db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"],
                          immediate=app.config["PROXIMA_ENV"] != "test")
    ext.migrate.init_app(app, ext.db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True)
    ext.csrf.init_app(app)
    ext.htmx.init_app(app)
    ext.login_manager.init_app(app)

    from crm import models  # noqa: F401  (complete metadata for Alembic and the CLI)
    from crm.i18n import init_i18n
    from crm.api import init_api
    from crm.web import init_web

    init_i18n(app)
    init_web(app)
    init_api(app)
    _register_cli(app)
    return app


def _configure_engine(engine: sa.Engine, busy_timeout_ms: int, *, immediate: bool = False) -> None:
    """SQLite: foreign keys on, WAL journal, busy timeout (set on every new connection).

    ``immediate``: a transaction takes the write lock (``BEGIN IMMEDIATE``, waiting up to
    the busy timeout) just before its first write, and what it reads before that reads the
    latest data outside any transaction. A page loads its sections in parallel and every
    read is audited (a write): a deferred transaction that read before another request
    committed cannot write any more, and SQLite answers "database is locked" at once,
    whatever the busy timeout. Taking the lock at the first write rather than at BEGIN
    keeps reads from queueing behind each other (every request begins a transaction).
    Tests (one connection) keep deferred transactions begun at once."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # Let SQLAlchemy, not the pysqlite driver, decide when transactions begin, so
        # SAVEPOINTs and transaction boundaries behave as on PostgreSQL.
        dbapi_connection.isolation_level = None

    if not immediate:
        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(connection: sa.Connection) -> None:
            connection.exec_driver_sql("BEGIN")
        return

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _sqlite_lock_before_writing(connection: sa.Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        driver = connection.connection.dbapi_connection
        if connection.in_transaction() and not driver.in_transaction and _writes(statement):
            driver.execute("BEGIN IMMEDIATE")


_WRITE_KEYWORDS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER"})


def _writes(statement: str) -> bool:
    """Whether a statement writes (or opens a savepoint, which a write follows)."""
    words = statement.split(None, 1)
    keyword = words[0].upper() if words else ""
    if keyword == "WITH":
        return any(f" {verb} " in f" {statement.upper()} " for verb in ("INSERT", "UPDATE", "DELETE"))
    return keyword in _WRITE_KEYWORDS


def _register_cli(app: Flask) -> None:
    from crm.agency.cli import overviews_cli
    from crm.auth.cli import users_cli
    from crm.backup import backup_command, restore_command
    from crm.exchange.cli import export_command, import_command
    from crm.gdpr.cli import gdpr_cli
    from crm.referentials.cli import referentials_cli
    from crm.scoring.cli import recommender_cli
    from seeds.cli import seed_cli

    app.cli.add_command(referentials_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(recommender_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(import_command)
    app.cli.add_command(export_command)
    app.cli.add_command(gdpr_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(overviews_cli)
