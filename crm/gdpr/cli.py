"""``flask --app crm gdpr …``: subject-access export, erasure on request, retention purge.

Every act is audited (channel ``cli``). The purge commits after each batch, so a long run
holds short transactions (SQLite writers are not blocked for long) and can be resumed.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from crm.audit import services as audit
from crm.db import utcnow
from crm.errors import DomainError
from crm.extensions import db
from crm.gdpr import services
from crm.jobseekers.models import JobSeeker

gdpr_cli = AppGroup("gdpr", help="Personal data (RGPD): subject-access export, erasure, retention purge.")

DRY_RUN_LISTED = 20


def _find(reference: str) -> JobSeeker:
    person = services.find_job_seeker(reference)
    if person is None:
        raise click.ClickException(f"no job seeker with external id or id {reference!r}")
    return person


@gdpr_cli.command("export")
@click.argument("person")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def export_command(person: str, file: Path, force: bool) -> None:
    """Write everything Proxima holds about PERSON (external id, or internal id) to FILE, a ZIP
    of JSON and CSV files. The file is readable by its owner only."""
    job_seeker = _find(person)
    if file.exists() and not force:
        raise click.ClickException(f"{file} exists (use --force to overwrite it)")
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out, audit.origin("cli"):
            summary = services.write_subject_access_archive(job_seeker, author=None, target=out)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        file.unlink(missing_ok=True)
        raise
    click.echo(f"job seeker {job_seeker.id}: {summary.total} rows in {len(summary.rows)} tables written to {file}")
    for name, count in summary.rows.items():
        if count:
            click.echo(f"  {name:<24} {count:>8}")


@gdpr_cli.command("erase")
@click.argument("person")
@click.option("--reason", required=True, help="The request behind the erasure (date, channel, reference).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(person: str, reason: str, yes: bool) -> None:
    """Erase PERSON's personal data on their request: identity, contact details and free texts are
    blanked for good; dates, kinds and outcomes are kept for the statistics."""
    job_seeker = _find(person)
    if job_seeker.anonymised_at is not None:
        raise click.ClickException(f"job seeker {job_seeker.id} was already anonymised on "
                                   f"{job_seeker.anonymised_at:%Y-%m-%d}")
    if not yes:
        click.confirm(f"Erase the personal data of job seeker {job_seeker.id} ({job_seeker.full_name})? "
                      "This cannot be undone", abort=True)
    try:
        with audit.origin("cli"):
            report = services.erase_job_seeker(job_seeker, author=None, reason=reason)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    click.echo(f"job seeker {report.job_seeker_id} anonymised; " + _report_line(Counter(report.blanked),
                                                                                 Counter(report.cancelled)))


@gdpr_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="List who would be anonymised; write nothing.")
@click.option("--months", type=click.IntRange(1), default=None,
              help="Inactivity before anonymisation (default: the GDPR_RETENTION_MONTHS setting, 24).")
@click.option("--batch-size", type=click.IntRange(1), default=200, show_default=True,
              help="People anonymised per transaction.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def purge_command(dry_run: bool, months: int | None, batch_size: int, quiet: bool) -> None:
    """Anonymise the people no longer registered with no activity for MONTHS months (retention).

    Their rows stay (dates, kinds, outcomes), so counts and outcome figures do not change."""
    months = months or int(current_app.config["GDPR_RETENTION_MONTHS"])
    now = utcnow()
    cutoff = services.retention_cutoff(now, months)
    ids = list(db.session.scalars(services.retention_candidates(cutoff=cutoff)))
    click.echo(f"{len(ids)} people with no activity since {cutoff:%Y-%m-%d} ({months} months)")
    if dry_run:
        for person_id in ids[:DRY_RUN_LISTED]:
            person = db.session.get(JobSeeker, person_id)
            click.echo(f"  {person.id:>8}  {person.external_id or '-':<20} last activity "
                       f"{services.last_activity(person_id)}")
        if len(ids) > DRY_RUN_LISTED:
            click.echo(f"  … and {len(ids) - DRY_RUN_LISTED} more")
        click.echo("dry run: nothing was written")
        db.session.rollback()
        return
    blanked: Counter[str] = Counter()
    cancelled: Counter[str] = Counter()
    done = 0
    with click.progressbar(length=len(ids), label="anonymising", file=sys.stderr,
                           hidden=quiet or not ids) as bar, audit.origin("cli"):
        for start in range(0, len(ids), batch_size):
            batch = ids[start:start + batch_size]
            try:
                reports = services.purge(batch, author=None, now=now)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                click.echo(f"stopped after {done} people (the batches before were committed)", err=True)
                raise
            for report in reports:
                blanked.update(report.blanked)
                cancelled.update(report.cancelled)
            done += len(reports)
            db.session.expunge_all()  # keep memory flat on large purges
            bar.update(len(batch))
    click.echo(f"{done} people anonymised; " + _report_line(blanked, cancelled))


def _report_line(blanked: Counter[str], cancelled: Counter[str]) -> str:
    texts = ", ".join(f"{table} {count}" for table, count in sorted(blanked.items())) or "none"
    closed = ", ".join(f"{table} {count}" for table, count in sorted(cancelled.items())) or "none"
    return f"rows kept, free texts blanked in: {texts}; cancelled: {closed}"
