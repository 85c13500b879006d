"""``flask --app crm overviews refresh``: the agency overview's period figures, counted at
night so that nobody waits for them (``crm.agency.queries``' freshness rule)."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import date
from typing import Any

import click
from flask.cli import AppGroup

from crm.agency import queries
from crm.agency.forms import last_complete_week
from crm.agency.views import week_period
from crm.extensions import db
from crm.organisation.models import Agency
from crm.teams.queries import PERIODS, Period, period_for

overviews_cli = AppGroup("overviews", help="Managers' overviews: the figures counted at night.")


def offered_periods(today: date) -> list[Period]:
    """Every period the agency pages show today: each period of the filter with the periods it
    can be compared with, and the weekly report's last complete week with the week before."""
    periods = []
    for code in PERIODS:
        period = period_for(code, today=today)
        periods += [period, *(queries.comparison_for(period, compare)[1] for compare in queries.COMPARISONS)]
    monday = last_complete_week(today)
    return [*periods, week_period(monday), queries.comparison_for(week_period(monday), "previous")[1]]


def refresh_agency(agency_id: int, periods: list[Period], *, today: date) -> None:
    """Count and store the agency's figures over each of ``periods``."""
    base = queries.window(agency_id, periods[0], today=today)
    for period in periods:
        queries.period_figures(replace(base, period=period), recompute=True)


@overviews_cli.command("refresh")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day the figures are for (default: today). Run it after midnight.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def refresh_command(today: Any, quiet: bool) -> None:
    """Count and store the period figures of every agency for the periods its pages offer."""
    from crm.clock import current_day

    day = today.date() if today is not None else current_day().today
    started = time.perf_counter()
    agencies = db.session.scalars(db.select(Agency.id).order_by(Agency.id)).all()
    periods = offered_periods(day)
    with click.progressbar(agencies, label="agencies", file=sys.stderr, show_pos=True,
                           hidden=quiet) as bar:
        for agency_id in bar:
            refresh_agency(agency_id, periods, today=day)
            db.session.commit()
    click.echo(f"{len(agencies)} agencies × {len(periods)} periods counted and stored in "
               f"{time.perf_counter() - started:.1f} s")
