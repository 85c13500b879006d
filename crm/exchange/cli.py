"""``flask --app crm import DIR [--dry-run] [--lang fr|en]`` and ``flask --app crm export DIR``.

The logic lives in ``importer`` and ``exporter``; each command runs in one transaction:
commit on success, roll everything back on any problem or error.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, ContextManager

import click
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from crm.exchange.formats import FILES


@click.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only: write nothing.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default=None,
              help="Language of the messages (default: the application's, French).")
@click.option("--max-errors", type=click.IntRange(1), default=100, show_default=True,
              help="Errors listed before « … and N more ».")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def import_command(directory: Path, dry_run: bool, lang: str | None, max_errors: int, quiet: bool) -> None:
    """Import the CSV files of DIRECTORY (see docs/import-format.md): validated first, then
    written in one transaction; nothing is written when any error is found."""
    from crm.exchange.importer import import_directory
    from crm.extensions import db

    with force_locale(lang or current_app.config.get("BABEL_DEFAULT_LOCALE", "fr")):
        if not any((directory / spec.filename).is_file() for spec in FILES):
            raise click.ClickException(str(_l("aucun fichier à importer dans %(directory)s (attendus : %(files)s)",
                                              directory=str(directory),
                                              files=", ".join(s.filename for s in FILES))))
        started = time.perf_counter()
        try:
            report = import_directory(db.session, directory, dry_run=dry_run, error_limit=max_errors,
                                      progress=None if quiet else _progressbar)
            if report.ok and not dry_run:
                db.session.commit()
                if report.changed:
                    refresh_statistics(db.session)
            else:
                db.session.rollback()
        except Exception:
            db.session.rollback()
            raise
        elapsed = time.perf_counter() - started
        if not report.ok:
            for line in report.problems.lines():
                click.echo(line, err=True)
            click.echo(str(_l("%(count)d erreur(s) : rien n'a été importé.", count=report.problems.count)),
                       err=True)
            sys.exit(1)
        for line in report.summary_lines():
            click.echo(line)
        if dry_run:
            click.echo(str(_l("Validation réussie, aucune erreur (simulation : rien n'a été écrit).")))
        else:
            click.echo(str(_l("%(count)d ligne(s) insérée(s) ou mise(s) à jour en %(seconds).1f s.",
                              count=report.changed, seconds=elapsed)))


def refresh_statistics(session: Any) -> None:
    """ANALYZE after a write: without statistics SQLite picks unselective indexes on fresh tables
    (a portfolio page goes from ~70 ms to ~900 ms on large data)."""
    session.connection().exec_driver_sql("ANALYZE")
    session.commit()


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="No progress bars.")
def export_command(directory: Path, quiet: bool) -> None:
    """Export the data to DIRECTORY in the import format (one CSV file per kind of record)."""
    from crm.exchange.exporter import export_directory
    from crm.extensions import db

    started = time.perf_counter()
    try:
        report = export_directory(db.session, directory, progress=None if quiet else _progressbar)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for line in report.summary_lines():
        click.echo(line)
    click.echo(f"exported to {directory} in {time.perf_counter() - started:.1f} s")


def _progressbar(*, length: int, label: str) -> ContextManager[Any]:
    return click.progressbar(length=length, label=label, file=sys.stderr)
