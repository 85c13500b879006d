"""Geometry of the agency's charts, computed here so templates only draw (inline SVG,
no script, readable offline). Every chart has a text alternative in its template and
its figures in a table: colour is never the only carrier of a value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from crm.agency.queries import AgencyOverview, Figures, ScopeRow

WIDTH, LABEL_WIDTH, BAR_HEIGHT, GAP = 640, 190, 20, 10


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    value: int
    css: str  # class of the segment (its colour and hatching)


@dataclass(frozen=True)
class StackedBar:
    label: str
    y: float
    segments: list[Segment]
    total: int
    label_x: float
    row: ScopeRow


@dataclass(frozen=True)
class StackedChart:
    width: int
    height: int
    x0: int
    bar_height: int
    bars: list[StackedBar]


def contact_chart(overview: AgencyOverview, *, no_team_label: str, agency_label: str) -> StackedChart:
    """One bar per job-seeker team and one for the agency: its portfolio split into people
    contacted within their interval, overdue, and the rest (never contacted yet, within the
    interval counted from registration)."""
    rows = [r for r in overview.rows_for("job_seekers") if r.current.n("portfolio")] + [overview.total]
    peak = max([1, *(r.current.n("portfolio") for r in rows)])
    plot = WIDTH - LABEL_WIDTH - 190  # room for « 784 / 893 · 104 en retard » after the longest bar
    bars = []
    for i, row in enumerate(rows):
        f = row.current
        compliant, overdue = f.n("portfolio.compliant"), f.n("portfolio.overdue")
        other = max(0, f.n("portfolio") - compliant - overdue)
        x = float(LABEL_WIDTH)
        segments = []
        for value, css in ((compliant, "seg-ok"), (overdue, "seg-late"), (other, "seg-other")):
            width = round(plot * value / peak, 1)
            segments.append(Segment(x=x, width=width, value=value, css=css))
            x += width
        name = row.team.name if row.team else (agency_label if row.is_agency else no_team_label)
        bars.append(StackedBar(label=name, y=i * (BAR_HEIGHT + GAP) + 10, segments=segments,
                               total=f.n("portfolio"), label_x=x + 6, row=row))
    return StackedChart(width=WIDTH, height=len(bars) * (BAR_HEIGHT + GAP) + 20, x0=LABEL_WIDTH,
                        bar_height=BAR_HEIGHT, bars=bars)


@dataclass(frozen=True)
class FunnelStep:
    code: str
    label: Any
    value: int
    share: int | None  # % of the trainings mentioned
    y: float
    width: float
    x: float


@dataclass(frozen=True)
class FunnelChart:
    width: int
    height: int
    bar_height: int
    steps: list[FunnelStep]


FUNNEL_STEPS = ("trainings", "trainings.prescribed", "trainings.started", "trainings.completed")


def funnel_chart(figures: Figures, labels: dict[str, Any]) -> FunnelChart:
    """Centred bars, each as wide as its step's count (the first is the full width)."""
    mentioned = figures.n("trainings")
    plot = WIDTH - LABEL_WIDTH - 120
    steps = []
    for i, code in enumerate(FUNNEL_STEPS):
        value = figures.n(code)
        width = round(plot * value / mentioned, 1) if mentioned else 0
        steps.append(FunnelStep(code=code, label=labels[code], value=value,
                                share=round(100 * value / mentioned) if mentioned else None,
                                y=i * (BAR_HEIGHT + GAP) + 10, width=width,
                                x=round(LABEL_WIDTH + (plot - width) / 2, 1)))
    return FunnelChart(width=WIDTH, height=len(steps) * (BAR_HEIGHT + GAP) + 20, bar_height=BAR_HEIGHT, steps=steps)


@dataclass(frozen=True)
class Column:
    start: date
    value: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    baseline: float
    bar_width: float
    peak: int
    unit: str
    columns: list[Column]


def trend_chart(trend: list[tuple[date, int]], unit: str, *, height: int = 140) -> TrendChart:
    """Vertical bars, one per week (or month), on a common scale from zero."""
    top, bottom = 10, 20
    slot = max(8.0, min(80.0, (WIDTH - 20) / max(1, len(trend))))
    peak = max([1, *(n for _d, n in trend)])
    baseline = float(height - bottom)
    usable = height - top - bottom
    columns = []
    for i, (start, n) in enumerate(trend):
        h = round(usable * n / peak, 1)
        columns.append(Column(start=start, value=n, x=round(10 + i * slot + 1, 1), y=round(baseline - h, 1), height=h))
    return TrendChart(width=round(20 + slot * len(trend)), height=height, baseline=baseline,
                      bar_width=round(slot - 2, 1), peak=peak, unit=unit, columns=columns)
