import math

import numpy as np
import pandas as pd
import pytest

from recommender import schema as S
from recommender.reasons import Reason
from recommender.urgency import DEADLINE_POINTS, RULES, evaluate, urgency_points

POINTS = {rule.code: rule.points for rule in RULES}


def calm(**changes: object) -> pd.DataFrame:
    """One person to whom no rule applies, with ``changes``."""
    row = {S.MODALITY: "guide", S.DAYS_TO_RIGHTS_END: np.nan, S.SITUATION_INTERVIEW_MISSING: 0,
           S.REVIEW_OVERDUE: 0, S.DAYS_SINCE_CONTACT: 10.0, S.CONTACT_INTERVAL_DAYS: 60.0,
           S.DAYS_SINCE_MISSED_APPOINTMENT: np.nan, S.DAYS_SINCE_REFERRAL_NO_SHOW: np.nan}
    row.update(changes)
    return pd.DataFrame([row])


def one(**changes: object) -> tuple[int, list[Reason]]:
    result = evaluate(calm(**changes))
    return int(result[S.URGENCY].iloc[0]), result[S.REASONS].iloc[0]


def test_nothing_applies_to_a_calm_file() -> None:
    assert one() == (0, [])


@pytest.mark.parametrize(("days", "expected"), [
    (-1, None), (0, "Fin de droits aujourd'hui"), (1, "Fin de droits dans 1 jour"),
    (12, "Fin de droits dans 12 jours"), (30, "Fin de droits dans 30 jours"), (31, None), (np.nan, None),
])
def test_rights_ending(days: float, expected: str | None) -> None:
    points, reasons = one(**{S.DAYS_TO_RIGHTS_END: days})
    assert [r.text for r in reasons] == ([expected] if expected else [])
    assert points == (POINTS["rights_ending"] if expected else 0)


@pytest.mark.parametrize("flag", [0, 1])
def test_situation_interview_missing(flag: int) -> None:
    points, reasons = one(**{S.SITUATION_INTERVIEW_MISSING: flag})
    assert points == flag * POINTS["situation_interview_missing"]
    assert [r.text for r in reasons] == ["Entretien de situation non réalisé"] * flag


@pytest.mark.parametrize("flag", [0, 1])
def test_review_overdue(flag: int) -> None:
    points, reasons = one(**{S.REVIEW_OVERDUE: flag})
    assert points == flag * POINTS["review_overdue"]
    assert [r.text for r in reasons] == ["Point des 6-9 mois en retard"] * flag


@pytest.mark.parametrize(("days", "interval", "modality", "expected"), [
    (60, 60, "guide", None),
    (61, 60, "guide", "Aucun contact depuis 61 jours (modalité guidé : 60 jours)"),
    (74, 60, "guide", "Aucun contact depuis 74 jours (modalité guidé : 60 jours)"),
    (31, 30, "renforce", "Aucun contact depuis 31 jours (modalité renforcé : 30 jours)"),
    (89, 90, "suivi", None),
    # No interval for this agency: the modality's default (suivi 90 days).
    (91, np.nan, "suivi", "Aucun contact depuis 91 jours (modalité suivi : 90 jours)"),
    (np.nan, 30, "aij", None),
])
def test_no_contact_beyond_the_modality_interval(days: float, interval: float, modality: str,
                                                 expected: str | None) -> None:
    points, reasons = one(**{S.DAYS_SINCE_CONTACT: days, S.CONTACT_INTERVAL_DAYS: interval, S.MODALITY: modality})
    assert [r.text for r in reasons] == ([expected] if expected else [])
    assert points == (POINTS["no_contact"] if expected else 0)


@pytest.mark.parametrize(("column", "code", "texts"), [
    (S.DAYS_SINCE_MISSED_APPOINTMENT, "missed_appointment",
     {0: "Rendez-vous manqué aujourd'hui", 1: "Rendez-vous manqué il y a 1 jour",
      60: "Rendez-vous manqué il y a 60 jours"}),
    (S.DAYS_SINCE_REFERRAL_NO_SHOW, "referral_no_show",
     {0: "Absent chez le partenaire aujourd'hui", 1: "Absent chez le partenaire il y a 1 jour",
      60: "Absent chez le partenaire il y a 60 jours"}),
])
def test_missed_appointment_and_referral_no_show_within_60_days(column: str, code: str,
                                                               texts: dict[int, str]) -> None:
    for days, text in texts.items():
        assert one(**{column: float(days)}) == (POINTS[code], [Reason(*(
            (f"{code}_today",) if days == 0 else (code, {"days": days})))])
        assert one(**{column: float(days)})[1][0].text == text
    for days in (61.0, -1.0, np.nan):
        assert one(**{column: days}) == (0, [])


def test_points_add_up_and_reasons_come_most_urgent_first() -> None:
    points, reasons = one(**{S.DAYS_SINCE_CONTACT: 100.0, S.REVIEW_OVERDUE: 1, S.DAYS_TO_RIGHTS_END: 12.0,
                             S.DAYS_SINCE_MISSED_APPOINTMENT: 3.0, S.DAYS_SINCE_REFERRAL_NO_SHOW: 8.0,
                             S.SITUATION_INTERVIEW_MISSING: 1})
    assert points == sum(POINTS.values())
    assert [r.code for r in reasons] == ["rights_ending", "missed_appointment", "referral_no_show",
                                         "situation_interview_missing", "review_overdue", "no_contact"]
    assert [rule.points for rule in RULES] == sorted((rule.points for rule in RULES), reverse=True)
    # Deadlines outweigh the largest gain term of the priority score (15 points); overdue
    # follow-up is worth about one or two points of gain.
    deadlines = {"rights_ending", "missed_appointment", "referral_no_show"}
    assert {code for code, points in POINTS.items() if points >= DEADLINE_POINTS} == deadlines
    assert min(POINTS[code] for code in deadlines) > 15 >= DEADLINE_POINTS - 5
    assert max(points for code, points in POINTS.items() if code not in deadlines) <= 2


def test_vectorised_over_a_frame_keeps_the_index() -> None:
    frame = pd.concat([calm(), calm(**{S.REVIEW_OVERDUE: 1}), calm(**{S.DAYS_TO_RIGHTS_END: 5.0})])
    frame.index = [10, 20, 30]
    result = evaluate(frame)
    assert list(result.index) == [10, 20, 30]
    assert result[S.URGENCY].tolist() == [0, POINTS["review_overdue"], POINTS["rights_ending"]]
    assert urgency_points(frame).tolist() == result[S.URGENCY].tolist()
    assert [len(r) for r in result[S.REASONS]] == [0, 1, 1]
    assert math.isclose(evaluate(frame.iloc[:0])[S.URGENCY].sum(), 0)
