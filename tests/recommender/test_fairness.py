import json

import numpy as np
import pandas as pd
import pytest

from recommender import schema
from recommender.fairness import fairness_report, format_fairness


def _dataset():
    """100 people in score order (row i has score 100 - i); the top 25 % is rows 0-24.

    age band: "<26" = rows 0-19 and 25-54 (50), "50+" = rows 20-24 and 55-99 (50)
      -> selected 20/50 = 40 % vs 5/50 = 10 %: ratio 4.0, flagged.
    label 0 (no employment, needs support): rows 0-9, 20-24, 25-39, 55-74
      -> "<26": 25 in need, 15 not selected (rows 25-39): FNR 60 %
         "50+": 25 in need, 20 not selected (rows 55-74): FNR 80 %  -> ratio 1.33
    gender alternates (even = female): selected 13/50 vs 12/50, FNR 17/25 vs 18/25.
    qpv = 1 for rows 90-99 only (10 people: small group).
    nationality missing for rows 95-99.
    """
    i = np.arange(100)
    young = (i < 20) | ((i >= 25) & (i < 55))
    frame = pd.DataFrame({
        schema.AGE_BAND: np.where(young, "<26", "50+"),
        schema.GENDER: np.where(i % 2 == 0, "female", "male"),
        schema.QPV: (i >= 90).astype(int),
        schema.NATIONALITY_GROUP: [None if k >= 95 else "french" for k in i],
        schema.DISABILITY: (i % 3 == 0).astype(int),
    })
    need = (i < 10) | ((i >= 20) & (i < 40)) | ((i >= 55) & (i < 75))
    label = (~need).astype(int)
    probability = np.where(young, 0.6, 0.4)
    return frame, (100 - i).astype(float), probability, label


def _report():
    frame, score, probability, label = _dataset()
    return fairness_report(frame, score=score, probability=probability, label=label, top=0.25)


def test_known_selection_rates_and_false_negative_rates() -> None:
    age = _report()["groups"][schema.AGE_BAND]
    young, old = age["values"]["<26"], age["values"]["50+"]
    assert (young["count"], old["count"]) == (50, 50)
    assert young["selection_rate"] == pytest.approx(0.4)
    assert old["selection_rate"] == pytest.approx(0.1)
    assert (young["need_count"], old["need_count"]) == (25, 25)
    assert young["false_negative_rate"] == pytest.approx(0.6)
    assert old["false_negative_rate"] == pytest.approx(0.8)
    assert age["selection_ratio"] == pytest.approx(4.0)
    assert age["fnr_ratio"] == pytest.approx(0.8 / 0.6)
    assert age["flagged"] is True
    assert age["messages"] == ["Taux de sélection : écart de 4,0× entre les groupes (50+ : 10 % ; <26 : 40 %)"]


def test_calibration_per_group() -> None:
    age = _report()["groups"][schema.AGE_BAND]["values"]
    # Both groups: 25 of 50 found employment; predicted 0.6 and 0.4.
    assert age["<26"]["observed_rate"] == pytest.approx(0.5)
    assert age["<26"]["calibration_gap"] == pytest.approx(0.1)
    assert age["<26"]["calibration_ratio"] == pytest.approx(1.2)
    assert age["50+"]["calibration_gap"] == pytest.approx(-0.1)


def test_within_tolerance_is_not_flagged() -> None:
    gender = _report()["groups"][schema.GENDER]
    assert gender["values"]["female"]["selection_rate"] == pytest.approx(0.26)
    assert gender["values"]["male"]["selection_rate"] == pytest.approx(0.24)
    assert gender["selection_ratio"] == pytest.approx(26 / 24)
    assert gender["fnr_ratio"] == pytest.approx(18 / 17)
    assert gender["flagged"] is False
    assert gender["messages"] == []


def test_small_groups_are_reported_but_excluded_from_ratios() -> None:
    report = _report()
    qpv = report["groups"][schema.QPV]
    assert set(qpv["values"]) == {"non", "oui"}
    assert qpv["values"]["oui"]["count"] == 10
    assert qpv["values"]["oui"]["selection_rate"] == 0.0
    assert qpv["values"]["oui"]["used_in_ratios"] is False
    assert qpv["small_groups"] == ["oui"]
    assert qpv["selection_ratio"] is None and qpv["flagged"] is False
    assert any("moins de 30" in m and "oui" in m for m in qpv["messages"])
    nationality = report["groups"][schema.NATIONALITY_GROUP]
    assert nationality["values"]["inconnu"]["count"] == 5
    assert nationality["small_groups"] == ["inconnu"]
    disability = report["groups"][schema.DISABILITY]
    assert disability["values"]["oui"]["count"] == 34
    assert disability["values"]["oui"]["selection_rate"] == pytest.approx(9 / 34)
    assert disability["selection_ratio"] == pytest.approx((9 / 34) / (16 / 66))


def test_report_is_json_and_flags_overall() -> None:
    report = _report()
    assert report["flagged"] is True
    assert report["top"] == 0.25 and report["tolerance"] == 1.5
    assert "label 0" in report["definitions"]["false_negative_rate"]
    json.dumps(report, allow_nan=False)
    text = format_fairness(report)
    assert "age_band" in text and "SIGNALÉ" in text and "4,0×" in text


def test_zero_selection_in_a_group_is_flagged_and_ties_are_averaged() -> None:
    frame = pd.DataFrame({schema.GENDER: ["female"] * 40 + ["male"] * 40})
    label = np.zeros(80, dtype=int)
    score = np.r_[np.ones(40), np.zeros(40)]
    report = fairness_report(frame, score=score, probability=np.full(80, 0.3), label=label,
                             groups=[schema.GENDER], top=0.25)
    gender = report["groups"][schema.GENDER]
    assert gender["values"]["male"]["selection_rate"] == 0.0
    assert gender["selection_ratio"] is None and gender["flagged"] is True
    assert gender["values"]["female"]["calibration_ratio"] is None  # observed rate 0
    # All scores tied: everyone is selected at the same rate, whatever the row order.
    flat = fairness_report(frame, score=np.zeros(80), probability=np.full(80, 0.3), label=label,
                           groups=[schema.GENDER], top=0.25)
    assert flat["groups"][schema.GENDER]["values"]["male"]["selection_rate"] == pytest.approx(0.25)
    assert flat["groups"][schema.GENDER]["selection_ratio"] == pytest.approx(1.0)
    json.dumps(flat, allow_nan=False)
