"""``flask referentials …``: load reference data. The logic lives in ``importer``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ContextManager

import click
from flask.cli import AppGroup

from crm.extensions import db
from crm.referentials.importer import ImportReport, ReferentialFileError, SOURCES, import_directory, load_builtin

referentials_cli = AppGroup("referentials", help="Reference data (ROME, NAF, communes, bassins).")


@referentials_cli.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_command(directory: Path) -> None:
    """Import the official open-data files found in DIRECTORY (idempotent, one transaction)."""
    if not any((directory / spec.name).is_file() for spec in SOURCES):
        raise click.ClickException(
            f"no referential file in {directory} (expected e.g. {', '.join(s.name for s in SOURCES[:3])}, …)"
        )
    _run(lambda: import_directory(db.session, directory, progress=_progressbar))


@referentials_cli.command("load-builtin")
def load_builtin_command() -> None:
    """Load the small built-in subset shipped in seeds/data (for demos and tests)."""
    _run(lambda: load_builtin(db.session, progress=_progressbar))


def _run(load: Callable[[], ImportReport]) -> None:
    """Run ``load`` in one transaction: commit on success, roll everything back on any error."""
    started = time.perf_counter()
    try:
        report = load()
        db.session.commit()
    except ReferentialFileError as error:
        db.session.rollback()
        raise click.ClickException(f"{error} — nothing was imported") from error
    except Exception:
        db.session.rollback()
        raise
    for line in report.summary_lines():
        click.echo(line)
    click.echo(f"{report.changed} rows inserted or updated in {time.perf_counter() - started:.1f} s")


def _progressbar(*, length: int, label: str) -> ContextManager[Any]:
    return click.progressbar(length=length, label=label)
