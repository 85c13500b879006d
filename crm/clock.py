"""The product's day: the calendar day in the configured time zone (``BABEL_DEFAULT_TIMEZONE``,
Europe/Paris), not the UTC date, which is still yesterday's between midnight and 01:00 in
Paris (02:00 in summer). Datetimes are stored as naive UTC; ``Day`` gives the day's bounds so.

Pages, services and commands all read the clock here (tests fake it by patching ``datetime``
in this module).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

# The zone when there is no application (a service or script run outside one).
DEFAULT_TIMEZONE = "Europe/Paris"


@dataclass(frozen=True)
class Day:
    """A calendar day in the agency's time zone and its bounds in naive UTC (as stored)."""

    today: date
    start_utc: datetime
    end_utc: datetime
    now_utc: datetime


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else DEFAULT_TIMEZONE)


def current_day() -> Day:
    """Today in the configured time zone, with its bounds in naive UTC."""
    local = zone()
    now = datetime.now(timezone.utc)
    today = now.astimezone(local).date()
    start = datetime.combine(today, time.min, tzinfo=local).astimezone(timezone.utc)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=local).astimezone(timezone.utc)
    return Day(today=today, start_utc=start.replace(tzinfo=None), end_utc=end.replace(tzinfo=None),
               now_utc=now.replace(tzinfo=None))


def today() -> date:
    """Today's date in the configured time zone: the default day of what services date."""
    return current_day().today


def local_date(moment: datetime) -> date:
    """The day, in the configured time zone, of a stored moment (naive UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone()).date()
