"""``flask --app crm backup FILE`` and ``flask --app crm restore FILE`` (see docs/operations.md).

SQLite: the online backup API of ``sqlite3`` copies the live database in one read
transaction, a consistent snapshot taken while the application keeps writing (WAL: readers
do not block writers). Restore copies a backup back the same way, over the database the
application uses, and refuses to do so without ``--yes``.

PostgreSQL: ``backup`` runs ``pg_dump --format=custom`` when it is installed (the password
goes through the environment, never the command line); restoring is ``pg_restore``'s job,
documented rather than wrapped.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from crm.extensions import db

PG_DUMP_HELP = (
    "pg_dump was not found. Install the PostgreSQL client tools of the server's major version "
    "(Debian/Ubuntu: apt install postgresql-client-<version>), or run it where they are:\n"
    "  PGPASSWORD=… pg_dump --format=custom --no-owner --host HOST --port PORT --username USER "
    "--file FILE DATABASE\n"
    "See docs/operations.md."
)


def sqlite_file(url: sa.URL) -> Path | None:
    """The database file of a SQLite URL (``None`` for another backend or an in-memory database)."""
    if url.get_backend_name() != "sqlite":
        return None
    if url.database in (None, "", ":memory:"):
        raise click.ClickException("the database is in memory: there is nothing to back up")
    return Path(url.database)


def backup_sqlite(source: Path, target: Path, *, busy_timeout_ms: int = 15000) -> int:
    """Copy ``source`` to ``target`` with the online backup API; the number of pages copied.

    The copy is written next to ``target`` and renamed over it once complete and checked,
    so ``target`` is never a half-written file. It is a single self-contained file
    (rollback journal, no ``-wal`` beside it), readable by its owner only.
    """
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
            src.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            # pages=-1: one step, one read transaction, so writers never restart the copy.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
            check_sqlite_file(dst)
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return pages


def check_sqlite_file(connection: sqlite3.Connection) -> str | None:
    """Raise unless the database is intact and was built by Proxima's migrations; its Alembic revision."""
    if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        raise click.ClickException("the database file is damaged (integrity check failed)")
    tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "alembic_version" not in tables or "job_seeker" not in tables:
        raise click.ClickException("this is not a Proxima database (no alembic_version or job_seeker table)")
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def restore_sqlite(backup: Path, target: Path, *, busy_timeout_ms: int = 15000) -> None:
    """Copy ``backup`` over the database ``target`` with the backup API (the target stays in WAL mode)."""
    with closing(sqlite3.connect(backup)) as src, closing(sqlite3.connect(target)) as dst:
        dst.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=WAL")


def pg_dump(url: sa.URL, target: Path) -> None:
    executable = shutil.which("pg_dump")
    if executable is None:
        raise click.ClickException(PG_DUMP_HELP)
    env = {**os.environ, **{name: str(value) for name, value in (
        ("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username), ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database)) if value is not None}}
    partial = target.with_name(target.name + ".partial")
    try:
        result = subprocess.run([executable, "--format=custom", "--no-owner", "--file", str(partial)],
                                env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise click.ClickException(f"pg_dump failed: {result.stderr.strip()}")
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions["migrate"]
    return ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory)).get_current_head()


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Overwrite FILE if it exists.")
@with_appcontext
def backup_command(file: Path, yes: bool) -> None:
    """Back up the database to FILE while the application runs (SQLite: online backup API;
    PostgreSQL: pg_dump, custom format)."""
    if file.exists() and not yes:
        raise click.ClickException(f"{file} exists (use --yes to overwrite it)")
    url = db.engine.url
    source = sqlite_file(url)
    if source is None:
        if url.get_backend_name() != "postgresql":
            raise click.ClickException(f"no backup for the {url.get_backend_name()} backend")
        pg_dump(url, file)
        click.echo(f"PostgreSQL database {url.database} dumped to {file} (restore with pg_restore, "
                   "see docs/operations.md)")
        return
    if not source.exists():
        raise click.ClickException(f"no database at {source}")
    pages = backup_sqlite(source, file, busy_timeout_ms=current_app.config["SQLITE_BUSY_TIMEOUT_MS"])
    click.echo(f"{source} backed up to {file} ({pages} pages, {file.stat().st_size / 1e6:.1f} MB)")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the current database: everything written since the backup is lost.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup FILE. Stop the application first."""
    url = db.engine.url
    target = sqlite_file(url)
    if target is None:
        raise click.ClickException(
            "restore handles SQLite; for PostgreSQL use pg_restore on the dump, see docs/operations.md:\n"
            "  pg_restore --clean --if-exists --no-owner --dbname DATABASE FILE")
    with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as connection:
        revision = check_sqlite_file(connection)
    if not yes:
        raise click.ClickException(
            f"this would replace the database {target} with {file}; everything written since the backup "
            "would be lost. Stop the application, then run again with --yes")
    db.session.remove()
    db.engine.dispose()  # no pooled connection may keep pages of the old database
    restore_sqlite(file, target, busy_timeout_ms=current_app.config["SQLITE_BUSY_TIMEOUT_MS"])
    click.echo(f"{target} restored from {file} (migration {revision})")
    if revision != _head_revision():
        click.echo("the backup predates the code's schema: run `flask --app crm db upgrade`")
