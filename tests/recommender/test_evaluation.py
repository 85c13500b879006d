import math

import numpy as np
import pandas as pd
import pytest

from recommender import evaluation as ev
from recommender import schema

# Eight rows already in decreasing score order. Top k (t, y):
#  k:  1      2      3      4      5      6      7      8
#     (1,1)  (0,0)  (1,1)  (0,0)  (1,0)  (0,1)  (1,0)  (0,0)
S = np.array([8, 7, 6, 5, 4, 3, 2, 1], dtype=float)
T = np.array([1, 0, 1, 0, 1, 0, 1, 0])
Y = np.array([1, 0, 1, 0, 0, 1, 0, 0])


def test_qini_curve_by_hand() -> None:
    x, q = ev.qini_curve(Y, T, S)
    # Q(k) = Y_t - Y_c * N_t / N_c ; Q(1) = Y_t = 1 while there is no control.
    # k=5: 2 - 0 ; k=6: 2 - 1*3/3 = 1 ; k=7: 2 - 1*4/3 = 2/3 ; k=8: 2 - 1*4/4 = 1
    np.testing.assert_allclose(x, np.arange(9) / 8)
    np.testing.assert_allclose(q, [0, 1, 1, 2, 2, 2, 1, 2 / 3, 1])


def test_qini_coefficient_by_hand() -> None:
    # (1/N) sum_k [Q(k) - k/N Q(N)] / N = (32/3 - 36/8) / 64 = 37/384
    assert ev.qini_coefficient(Y, T, S) == pytest.approx(37 / 384)


def test_auuc_by_hand() -> None:
    # U(k) = (Y_t/N_t - Y_c/N_c) * k/N, 0 at k=1 (no control):
    # 1*2/8, 1*3/8, 1*4/8, (2/3)*5/8, (1/3)*6/8, (1/6)*7/8, (1/4)*8/8  -> sum 105/48
    assert ev.auuc(Y, T, S) == pytest.approx(105 / 48 / 8)


def test_uplift_at_by_hand() -> None:
    assert ev.uplift_at(Y, T, S, 0.5) == pytest.approx(2 / 2 - 0 / 2)
    assert ev.uplift_at(Y, T, S, 1.0) == pytest.approx(2 / 4 - 1 / 4)
    assert math.isnan(ev.uplift_at(Y, T, S, 1 / 8))  # top 1 has no control


def test_ranking_metrics_ignore_row_order_and_average_ties() -> None:
    perm = np.array([3, 7, 0, 5, 1, 6, 2, 4])
    assert ev.qini_coefficient(Y[perm], T[perm], S[perm]) == pytest.approx(ev.qini_coefficient(Y, T, S))
    # A constant score is random targeting: curve on the straight line, coefficient 0,
    # the uplift in any top equals the overall uplift.
    flat = np.zeros(8)
    assert ev.qini_coefficient(Y, T, flat) == pytest.approx(0, abs=1e-12)
    assert ev.uplift_at(Y, T, flat, 0.5) == pytest.approx(0.25)
    np.testing.assert_allclose(ev.qini_curve(Y, T, flat)[1], np.arange(9) / 8 * 1.0)
    # Two tied blocks, in any order within the block, give the same values.
    tied = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=float)
    swapped = np.array([3, 2, 1, 0, 7, 6, 5, 4])
    assert ev.auuc(Y, T, tied) == pytest.approx(ev.auuc(Y[swapped], T[swapped], tied))
    # Top 4 = the first block exactly: treated 2/2, control 0/2.
    assert ev.uplift_at(Y, T, tied, 0.5) == pytest.approx(1.0)


def _simulated(n: int, seed: int):
    rng = np.random.default_rng(seed)
    tau = rng.uniform(-0.1, 0.4, n)
    t = rng.integers(0, 2, n)
    y = (rng.random(n) < 0.3 + tau * t).astype(int)
    return y, t, tau


def test_perfect_ranking_beats_reversed_and_random_is_near_zero() -> None:
    y, t, tau = _simulated(20_000, seed=1)
    perfect = ev.qini_coefficient(y, t, tau)
    assert perfect > 0.01
    assert perfect > ev.qini_coefficient(y, t, -tau)
    assert abs(ev.qini_coefficient(y, t, ev.random_scores(len(y), seed=2))) < 0.003
    assert ev.auuc(y, t, tau) > ev.auuc(y, t, -tau)


def test_auc_brier_and_calibration_by_hand() -> None:
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    assert ev.auc(y, p) == pytest.approx(0.75)  # 3 of 4 positive/negative pairs in order
    assert ev.auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert math.isnan(ev.auc([1, 1], [0.2, 0.3]))
    assert ev.brier(y, p) == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    table = ev.calibration_table(y, p, bins=2)
    assert table == [
        {"low": 0.0, "high": 0.5, "count": 3, "mean_predicted": pytest.approx(0.85 / 3), "observed_rate": pytest.approx(1 / 3)},
        {"low": 0.5, "high": 1.0, "count": 1, "mean_predicted": pytest.approx(0.8), "observed_rate": 1.0},
    ]
    assert ev.expected_calibration_error(y, p, bins=2) == pytest.approx(0.75 * 0.05 + 0.25 * 0.2)
    result = ev.evaluate_outcome(y, p)
    assert set(result) == {"auc", "brier", "ece", "calibration"}
    assert [b["count"] for b in result["calibration"]] == [1, 1, 1, 1]  # bins 0.1, 0.3, 0.4, 0.8


def test_hires_share_top_by_hand() -> None:
    hires = np.array([5, 0, 3, 2, 0, 10, 0, 0, 0, 0])
    s = np.array([9, 8, 7, 6, 5, 10, 4, 3, 2, 1], dtype=float)
    assert ev.hires_share_top(hires, s, 0.1) == pytest.approx(10 / 20)
    assert ev.hires_share_top(hires, s, 0.2) == pytest.approx(15 / 20)
    # Ties averaged: all equal scores hold the fraction of the total.
    assert ev.hires_share_top(hires, np.ones(10), 0.3) == pytest.approx(0.3)
    assert math.isnan(ev.hires_share_top(np.zeros(4), np.arange(4), 0.5))


def test_selection_weights_split_the_tied_block_at_the_cut() -> None:
    s = np.array([5, 4, 4, 4, 1], dtype=float)
    # top 40 % = 2 rows: row 0, then 1 of the 3 tied rows -> 1/3 each.
    np.testing.assert_allclose(ev.selection_weights(s, 0.4), [1, 1 / 3, 1 / 3, 1 / 3, 0])
    np.testing.assert_allclose(ev.selection_weights([np.nan, 2, 1], 1 / 3), [0, 1, 0])


def test_bootstrap_contains_point_and_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    p = np.clip(y * 0.3 + rng.random(500) * 0.7, 0, 1)
    point, low, high = ev.bootstrap(ev.auc, y, p, n=100, seed=3)
    assert point == ev.auc(y, p)
    assert low <= point <= high
    assert ev.bootstrap(ev.auc, y, p, n=100, seed=3) == (point, low, high)
    assert ev.bootstrap(ev.auc, y, p, n=100, seed=4) != (point, low, high)


def test_evaluate_ranking() -> None:
    y, t, tau = _simulated(4_000, seed=5)
    result = ev.evaluate_ranking(y, t, tau, n_boot=50, seed=0)
    assert set(result) == {"qini", "auuc", "uplift_at_10", "uplift_at_20"}
    for name, entry in result.items():
        assert entry["low"] <= entry["value"] <= entry["high"], name
        assert all(type(v) is float for v in entry.values())
    assert result["qini"]["value"] == pytest.approx(ev.qini_coefficient(y, t, tau))
    assert result["uplift_at_20"]["value"] == pytest.approx(ev.uplift_at(y, t, tau, 0.2))
    assert ev.evaluate_ranking(y, t, tau, n_boot=50, seed=0) == result


def test_baseline_scores() -> None:
    frame = pd.DataFrame({schema.DAYS_SINCE_CONTACT: [10.0, 200.0, np.nan, 45.0]})
    order = np.argsort(-ev.longest_without_contact_scores(frame), kind="stable")
    assert list(order) == [2, 1, 3, 0]
    np.testing.assert_allclose(ev.risk_first_scores([0.2, 0.9]), [0.8, 0.1])
    a = ev.random_scores(5, seed=1)
    assert a.shape == (5,) and np.array_equal(a, ev.random_scores(5, seed=1))
