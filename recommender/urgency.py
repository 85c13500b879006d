"""Urgency rules: situations a counselor must act on whatever any model says.

Each rule is data (:class:`Rule`): a code, its points, a vectorised condition on a job-seeker
frame and the reasons it gives. ``evaluate`` sums the points of the rules that apply
(``schema.URGENCY``, 0 = none) and lists their reasons, most urgent first.

Two tiers, because they call for different things:

- **Deadlines** — something is lost if nobody acts within days: these rules are worth 35 to 50
  points, above the largest contribution of the estimated contact gain (15), so these people
  always come first in the list.
- **Overdue follow-up** — an obligation of the follow-up that is late: 1 or 2 points, about
  one or two points of gain. They are flagged with their reason on the row, and between people
  of equal gain the overdue one comes first, but the gain orders them. On the demo data they
  concern half of the active people (the old stock's entretien de situation is not in the
  history), and putting them all first turned the list into a checklist: on the large demo the
  list's Qini fell from 0.00052 to 0.00038 (``docs/recommender.md``).

=============================  ======  ==========================================================
rule (reason code)             points  applies when
=============================  ======  ==========================================================
``rights_ending``                  50  ``DAYS_TO_RIGHTS_END`` in [0, 30]: the income stops; the
                                       hand-over (ASS, RSA, return to work) is prepared before
``missed_appointment``             40  ``DAYS_SINCE_MISSED_APPOINTMENT`` in [0, 60]: a missed
                                       appointment not followed by a contact (drop-out risk)
``referral_no_show``               35  ``DAYS_SINCE_REFERRAL_NO_SHOW`` in [0, 60]: absent at the
                                       partner, not followed up (seed 001 asks for this alert)
``situation_interview_missing``     2  ``SITUATION_INTERVIEW_MISSING``: no diagnosis nor action
                                       plan (PPAE) yet, the follow-up has not really started
``review_overdue``                  1  ``REVIEW_OVERDUE``: the 6–9 month review did not happen
``no_contact``                      1  ``DAYS_SINCE_CONTACT`` > ``CONTACT_INTERVAL_DAYS`` (the
                                       modality's interval; defaults by modality when missing)
=============================  ======  ==========================================================

Points add up when several rules apply; reasons come in the order of the points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender import schema as S
from recommender.reasons import Reason

RIGHTS_ENDING_DAYS = 30
MISSED_APPOINTMENT_DAYS = 60
REFERRAL_NO_SHOW_DAYS = 60
# crm.config.DEFAULT_CONTACT_INTERVAL_DAYS, used when the frame has no interval for a row.
DEFAULT_CONTACT_INTERVAL_DAYS = {"suivi": 90, "guide": 60, "renforce": 30, "global": 30, "aij": 30}


@dataclass(frozen=True)
class Rule:
    """An urgency rule.

    ``applies(frame)`` is a boolean Series over the rows; ``reasons(rows)`` gives one
    :class:`Reason` per row of ``rows`` (the rows where the rule applies), in order.
    """

    code: str
    points: int
    applies: Callable[[pd.DataFrame], pd.Series]
    reasons: Callable[[pd.DataFrame], list[Reason]]


def _number(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    return _number(frame, column).fillna(0) > 0


def _days(frame: pd.DataFrame, column: str) -> list[int]:
    return _number(frame, column).astype(int).tolist()


def _within(frame: pd.DataFrame, column: str, days: int) -> pd.Series:
    return _number(frame, column).between(0, days)  # NaN is never within


def _dated(code: str, column: str) -> Callable[[pd.DataFrame], list[Reason]]:
    """Reasons "… il y a N jours", or their "… aujourd'hui" form for 0 days."""
    def reasons(rows: pd.DataFrame) -> list[Reason]:
        return [Reason(f"{code}_today") if d == 0 else Reason(code, {"days": d}) for d in _days(rows, column)]
    return reasons


def contact_interval(frame: pd.DataFrame) -> pd.Series:
    """The modality's contact interval of each row (the frame's, else the default of its modality)."""
    defaults = frame[S.MODALITY].map(DEFAULT_CONTACT_INTERVAL_DAYS).astype(float)
    if S.CONTACT_INTERVAL_DAYS not in frame.columns:
        return defaults
    return _number(frame, S.CONTACT_INTERVAL_DAYS).fillna(defaults)


def _no_contact(frame: pd.DataFrame) -> pd.Series:
    return _number(frame, S.DAYS_SINCE_CONTACT) > contact_interval(frame)  # NaN compares False


def _no_contact_reasons(rows: pd.DataFrame) -> list[Reason]:
    intervals = contact_interval(rows).astype(int).tolist()
    return [Reason("no_contact", {"days": days, "modality": str(modality), "interval": interval})
            for days, modality, interval in zip(_days(rows, S.DAYS_SINCE_CONTACT), rows[S.MODALITY], intervals)]


# Points at or above this: a deadline, first in the list whatever the gain.
DEADLINE_POINTS = 20

RULES: tuple[Rule, ...] = (
    # Deadlines: first in the list.
    Rule("rights_ending", 50,
         lambda frame: _within(frame, S.DAYS_TO_RIGHTS_END, RIGHTS_ENDING_DAYS),
         _dated("rights_ending", S.DAYS_TO_RIGHTS_END)),
    Rule("missed_appointment", 40,
         lambda frame: _within(frame, S.DAYS_SINCE_MISSED_APPOINTMENT, MISSED_APPOINTMENT_DAYS),
         _dated("missed_appointment", S.DAYS_SINCE_MISSED_APPOINTMENT)),
    Rule("referral_no_show", 35,
         lambda frame: _within(frame, S.DAYS_SINCE_REFERRAL_NO_SHOW, REFERRAL_NO_SHOW_DAYS),
         _dated("referral_no_show", S.DAYS_SINCE_REFERRAL_NO_SHOW)),
    # Overdue follow-up: flagged, ordered by the gain.
    Rule("situation_interview_missing", 2,
         lambda frame: _flag(frame, S.SITUATION_INTERVIEW_MISSING),
         lambda rows: [Reason("situation_interview_missing")] * len(rows)),
    Rule("review_overdue", 1,
         lambda frame: _flag(frame, S.REVIEW_OVERDUE),
         lambda rows: [Reason("review_overdue")] * len(rows)),
    Rule("no_contact", 1, _no_contact, _no_contact_reasons),
)


def _by_points(rules: Sequence[Rule]) -> list[Rule]:
    return sorted(rules, key=lambda rule: -rule.points)  # stable: ties keep the given order


def urgency_points(frame: pd.DataFrame, rules: Sequence[Rule] = RULES) -> pd.Series:
    """Sum of the points of the rules that apply, per row (``schema.URGENCY``)."""
    points = np.zeros(len(frame), dtype=np.int64)
    for rule in rules:
        points += rule.points * rule.applies(frame).to_numpy(dtype=bool)
    return pd.Series(points, index=frame.index, name=S.URGENCY)


def evaluate(frame: pd.DataFrame, rules: Sequence[Rule] = RULES) -> pd.DataFrame:
    """``URGENCY`` (points) and ``REASONS`` (list of Reason, most urgent first) per row."""
    points = np.zeros(len(frame), dtype=np.int64)
    reasons: list[list[Reason]] = [[] for _ in range(len(frame))]
    for rule in _by_points(rules):
        applies = rule.applies(frame).to_numpy(dtype=bool)
        points += rule.points * applies
        rows = np.flatnonzero(applies)
        for row, reason in zip(rows.tolist(), rule.reasons(frame.iloc[rows])):
            reasons[row].append(reason)
    return pd.DataFrame({S.URGENCY: points, S.REASONS: reasons}, index=frame.index)
