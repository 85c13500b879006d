"""The agency pages' filters: GET forms (reading a page changes nothing), kept in the URL."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Optional, ValidationError

from crm.agency.queries import COMPARISONS, DEFAULT_COMPARISON
from crm.enums import Modality
from crm.labels import label
from crm.teams.queries import DEFAULT_PERIOD, PERIODS

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class OverviewForm(FlaskForm):
    class Meta:
        csrf = False

    period = SelectField(_l("Période"), choices=[SelectChoice(code, label) for code, (label, _days) in PERIODS.items()],
                         default=DEFAULT_PERIOD, validators=[Optional()])
    compare = SelectField(_l("Comparer avec"), choices=[SelectChoice(code, label) for code, label in COMPARISONS.items()],
                          default=DEFAULT_COMPARISON, validators=[Optional()])


def parse_week(value: str | None) -> date | None:
    """The Monday of an ISO week written ``2026-W05`` (an ``<input type="week">``), or None."""
    match = WEEK.match(value or "")
    if not match:
        return None
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None


def week_code(monday: date) -> str:
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(today: date) -> date:
    """The Monday of the last week that has ended (the report is written on Monday)."""
    return today - timedelta(days=today.weekday() + 7)


class WeeklyForm(FlaskForm):
    class Meta:
        csrf = False

    week = StringField(_l("Semaine"), validators=[Optional()])
    team = SelectField(_l("Périmètre"), choices=[SelectChoice("", _l("Toute l'agence"))], validate_choice=False,
                       validators=[Optional()])

    def validate_week(self, field: StringField) -> None:
        if field.data and parse_week(field.data) is None:
            raise ValidationError(_l("Choisissez une semaine (par exemple 2026-W05)."))


class BassinForm(FlaskForm):
    class Meta:
        csrf = False

    modality = SelectField(_l("Modalité des demandeurs d'emploi"),
                           choices=[SelectChoice("", _l("Toutes")), *(SelectChoice(m.value, label(m)) for m in Modality)],
                           validators=[Optional()])
