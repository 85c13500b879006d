"""``flask seed …``: the built-in reference subset and the demo data."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from seeds.demo.profiles import HISTORY_MONTHS

seed_cli = AppGroup("seed", help="Reference subset and demo data.")


@seed_cli.command("demo")
@click.option("--size", type=click.Choice(["small", "medium", "large"]), default="small", show_default=True)
@click.option("--seed", "seed", type=int, default=1, show_default=True, help="Same seed (and --today) → same data.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The demo's « today » (end of the history). Default: today in Paris (BABEL_DEFAULT_TIMEZONE).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has job seekers.")
@click.option("--reset", is_flag=True, help="Delete all operational data (everything but reference tables) first.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar over the simulated months. Default: when the output is a terminal.")
@click.option("--history-months", type=click.IntRange(6, 60), default=HISTORY_MONTHS, show_default=True,
              help="Months of simulated history before --today (30 or more to evaluate the recommender "
                   "with a strict temporal split).")
def demo_command(size: str, seed: int, today: object, if_empty: bool, reset: bool, progress: bool | None,
                 history_months: int) -> None:
    """Load the built-in reference subset, then generate a demo history."""
    from crm import clock
    from crm.extensions import db
    from crm.referentials.importer import load_builtin
    from seeds.demo import DemoRefused, count_job_seekers, generate_demo

    day = today.date() if today is not None else clock.today()  # the pages' day (Paris), not the machine's
    with db.engine.connect() as conn:
        populated = count_job_seekers(conn)
    if populated and if_empty:
        click.echo(f"The database already has {populated} job seekers: demo data not generated (--if-empty).")
        return
    if populated and not reset:
        raise click.ClickException(
            f"The database already has {populated} job seekers. Use --reset to replace all operational data "
            "with the demo, or --if-empty to leave it as it is."
        )
    load_builtin(db.session)
    db.session.commit()
    db.session.remove()
    click.echo(f"Generating the {size} demo (seed {seed}, today {day.isoformat()})…")
    try:
        report = generate_demo(engine=db.engine, metadata=db.metadata, size=size, seed=seed, today=day,
                               reset=reset, if_empty=if_empty, history_months=history_months,
                               progress=sys.stderr.isatty() if progress is None else progress, echo=click.echo)
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    if report.skipped:
        click.echo("The database already has job seekers: demo data not generated (--if-empty).")
        return
    for table, n in sorted(report.counts.items()):
        click.echo(f"  {table:<24} {n:>10,}")
    click.echo(f"Done in {report.seconds:.1f} s.")


@seed_cli.command("accounts")
def accounts_command() -> None:
    """Print the demo accounts (one per role) and their password."""
    from seeds.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

    click.echo("Demo accounts (password for all: " + DEMO_PASSWORD + ")")
    for role, email, what in DEMO_ACCOUNTS:
        click.echo(f"  {role:<20} {email:<38} {DEMO_PASSWORD}   {what}")
