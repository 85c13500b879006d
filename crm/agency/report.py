"""The weekly report (REPERE: « reporting hebdomadaire de l'équipe locale de direction »,
a short account of the week's activity): the lines it shows, in the page and in the CSV.

Each line reads a figure or a rate from ``crm.agency.queries.Figures``: the week, the
week before and the difference. « Situation du jour » lines are today's and are not
compared (the data keeps no history of portfolios).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from crm.agency.queries import INDICATORS, ScopeRow


@dataclass(frozen=True)
class Line:
    code: str  # an indicator code, or the name of a rate of ``Figures``
    label: Any
    unit: str = "count"  # count, percent, days
    snapshot: bool = False

    @property
    def drill_down(self) -> bool:
        return self.code in INDICATORS


def _i(code: str, unit: str = "count", snapshot: bool = False) -> Line:
    return Line(code, INDICATORS[code].label, unit, snapshot)


SECTIONS: list[tuple[Any, list[Line]]] = [
    (_l("Situation du jour"), [
        _i("portfolio", snapshot=True),
        _i("portfolio.overdue", snapshot=True),
        Line("compliance_rate", _l("Part des personnes contactées dans le délai"), "percent", True),
        _i("open_offers", snapshot=True),
        _i("open_offers.stale", snapshot=True),
        Line("override_rate", _l("Priorités écartées ou reportées (part de la liste)"), "percent", True),
    ]),
    (_l("Demandeurs d'emploi"), [
        _i("contacts"),
        _i("registered"),
        _i("registered.interview_on_time"),
        Line("interview_rate", _l("Part des entretiens de situation dans les 30 jours"), "percent"),
        _i("reviews"),
        _i("returns"),
        _i("referrals"),
        _i("referrals.no_shows"),
        Line("no_show_rate", _l("Taux d'absence chez le partenaire"), "percent"),
    ]),
    (_l("Parcours de formation (formations évoquées sur la période)"), [
        _i("trainings"),
        _i("trainings.prescribed"),
        _i("trainings.started"),
        _i("trainings.completed"),
        Line("median_days_to_prescription", _l("Délai médian évocation → prescription"), "days"),
        Line("median_days_to_start", _l("Délai médian prescription → entrée"), "days"),
    ]),
    (_l("Relation entreprises"), [
        _i("offers_created"),
        Line("share_filled", _l("Part des offres déposées pourvues"), "percent"),
        _i("offers_filled"),
        Line("time_to_fill", _l("Délai moyen de satisfaction des offres"), "days"),
        _i("mer"),
        _i("mer.hired"),
        Line("mer_rate", _l("Taux de transformation des mises en relation en embauche"), "percent"),
        _i("satisfaction"),
        Line("recommend_rate", _l("Part des entreprises qui recommanderaient le service"), "percent"),
    ]),
]
LINES: list[Line] = [line for _title, lines in SECTIONS for line in lines]


def values(row: ScopeRow, line: Line) -> tuple[Any, Any, Any]:
    """(this period, the comparison period, the difference) — None when unknown."""
    current = row.current.value(line.code)
    if line.snapshot:
        return current, None, None
    previous = row.previous.value(line.code)
    delta = None if current is None or previous is None else round(current - previous, 1)
    return current, previous, delta


def _csv_number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


CSV_HEADER = ["périmètre", "rubrique", "indicateur", "code", "unité", "du", "au", "valeur",
              "période de comparaison", "écart"]
UNITS = {"count": "nombre", "percent": "%", "days": "jours"}


def csv_text(scopes: Iterable[tuple[str, ScopeRow]], *, start: str, end: str) -> str:
    """The report as CSV (UTF-8 with a BOM, « ; »-separated, as the portfolio export): one
    line per scope and indicator."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for name, row in scopes:
        for title, lines in SECTIONS:
            for line in lines:
                current, previous, delta = values(row, line)
                writer.writerow([name, str(title), str(line.label), line.code, UNITS[line.unit], start, end,
                                 _csv_number(current), _csv_number(previous), _csv_number(delta)])
    return buffer.getvalue()
