"""Evaluation metrics of the priority recommender: outcome model quality, uplift ranking
quality, bootstrap intervals and the baseline rankings the model is compared with.

Conventions shared by every ranking metric (Qini, AUUC, uplift@k, hires share, selection):

* Rows are ranked by decreasing score; ``NaN`` scores rank last (as one tied block).
* **Ties are averaged**: within a block of equal scores every cumulative sum grows
  linearly, which is the expected value over a uniformly random order of the block.
  The results are therefore independent of the row order, and a constant score gives
  exactly the random-targeting value (Qini coefficient 0).
* The "top k" may be fractional (``k = fraction * n``): the cumulative sums are
  piecewise linear in k, so a fractional k takes that share of the next row (or block).

Uplift notation for the top k rows: ``Y_t(k)``, ``N_t(k)`` = positives and rows among the
treated, ``Y_c(k)``, ``N_c(k)`` among the controls; ``N`` = all rows. Treatment is assumed
randomised, so uplift is estimated by a difference of means.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from recommender import schema

# ----------------------------------------------------------------------- ranking helpers


def _as_score(s) -> np.ndarray:
    score = np.asarray(s, dtype=float).copy()
    score[np.isnan(score)] = -np.inf  # NaN ranks last, all NaN rows form one tied block
    return score


def _ranked_sums(s, columns: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative sums of ``columns`` over rows sorted by decreasing ``s``, at block ends.

    Returns ``(ends, sums)``: ``ends`` the cumulative row counts at the end of each block
    of tied scores (starting with 0), ``sums[i, j]`` the sum of column j over the first
    ``ends[i]`` rows. Between two ends the sums are linear (ties averaged), see ``_at``.
    """
    score = _as_score(s)
    n = len(score)
    order = np.argsort(-score, kind="stable")
    ranked = score[order]
    ends = np.r_[0, np.flatnonzero(ranked[1:] != ranked[:-1]) + 1, n]
    values = np.column_stack([np.asarray(c, dtype=float)[order] for c in columns])
    sums = np.vstack([np.zeros(values.shape[1]), np.cumsum(values, axis=0)])
    return ends, sums[ends]


def _at(ends: np.ndarray, sums: np.ndarray, k) -> np.ndarray:
    """Cumulative sums in the top ``k`` rows (k scalar or array, possibly fractional)."""
    k = np.asarray(k, dtype=float)
    return np.stack([np.interp(k, ends, sums[:, j]) for j in range(sums.shape[1])], axis=-1)


def _uplift_sums(y, t, s) -> tuple[np.ndarray, np.ndarray, int]:
    y = np.asarray(y, dtype=float)
    t = np.asarray(t, dtype=float)
    ends, sums = _ranked_sums(s, [y * t, t, y * (1 - t), 1 - t])  # Y_t, N_t, Y_c, N_c
    return ends, sums, len(y)


def _qini_values(cum: np.ndarray) -> np.ndarray:
    """Q = Y_t - Y_c * N_t / N_c, with Q = Y_t while there is no control yet."""
    y_t, n_t, y_c, n_c = cum.T
    ratio = np.divide(n_t, n_c, out=np.zeros_like(n_t), where=n_c > 0)
    return y_t - y_c * ratio


def _uplift_values(cum: np.ndarray) -> np.ndarray:
    """Mean y treated - mean y control; NaN where a group is empty."""
    y_t, n_t, y_c, n_c = cum.T
    with np.errstate(invalid="ignore", divide="ignore"):
        uplift = y_t / n_t - y_c / n_c
    return np.where((n_t > 0) & (n_c > 0), uplift, np.nan)


# ----------------------------------------------------------------------- outcome model


def auc(y, p) -> float:
    """ROC AUC (Mann–Whitney, tied predictions count one half). NaN with a single class."""
    y = np.asarray(y, dtype=float)
    ranks = pd.Series(np.asarray(p, dtype=float)).rank(method="average").to_numpy()
    n_pos = y.sum()
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def brier(y, p) -> float:
    """Mean squared difference between predicted probability and outcome."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    return float(np.mean((p - y) ** 2))


def calibration_table(y, p, bins: int = 10) -> list[dict]:
    """Equal-width bins of predicted probability on [0, 1] (last bin closed on the right).

    One dict per non-empty bin: ``low``, ``high``, ``count``, ``mean_predicted``,
    ``observed_rate``.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    index = np.clip(np.floor(p * bins).astype(int), 0, bins - 1)
    table = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            table.append({
                "low": b / bins,
                "high": (b + 1) / bins,
                "count": int(mask.sum()),
                "mean_predicted": float(p[mask].mean()),
                "observed_rate": float(y[mask].mean()),
            })
    return table


def expected_calibration_error(y, p, bins: int = 10) -> float:
    """Sum over bins of (count / n) * |mean predicted - observed rate|."""
    n = len(np.asarray(y))
    return float(sum(b["count"] / n * abs(b["mean_predicted"] - b["observed_rate"])
                     for b in calibration_table(y, p, bins)))


def evaluate_outcome(y, p) -> dict:
    """AUC, Brier score, ECE (10 bins) and the calibration bins of an outcome model."""
    return {
        "auc": auc(y, p),
        "brier": brier(y, p),
        "ece": expected_calibration_error(y, p),
        "calibration": calibration_table(y, p),
    }


# ----------------------------------------------------------------------- uplift ranking


def qini_curve(y, t, s) -> tuple[np.ndarray, np.ndarray]:
    """Qini curve: ``x = k / N`` for k = 0..N and ``Q(k) = Y_t(k) - Y_c(k) * N_t(k) / N_c(k)``.

    Q is in incremental positives (counts); while the top k holds no control,
    ``Q(k) = Y_t(k)``. Ties averaged (see module docstring).
    """
    ends, sums, n = _uplift_sums(y, t, s)
    k = np.arange(n + 1)
    return k / n, _qini_values(_at(ends, sums, k))


def qini_coefficient(y, t, s) -> float:
    """Area between the Qini curve and the random-targeting line, per person.

    ``qini = (1/N) * sum_{k=1..N} [Q(k) - (k/N) * Q(N)] / N``: a right Riemann sum over
    x = k/N of the Qini curve minus the straight line from (0, 0) to (1, Q(N)), with Q
    divided by the population size N. Not normalised by the perfect model. 0 for random
    targeting (0 up to rounding for a constant score), positive when the score ranks the
    persuadable first; unit: incremental positives per person.
    """
    ends, sums, n = _uplift_sums(y, t, s)
    return _qini_coefficient(ends, sums, n)


def _qini_coefficient(ends, sums, n) -> float:
    k = np.arange(1, n + 1)
    q = _qini_values(_at(ends, sums, k))
    return float(np.mean(q - k / n * q[-1]) / n)


def auuc(y, t, s) -> float:
    """Area under the uplift curve.

    ``U(k) = [Y_t(k)/N_t(k) - Y_c(k)/N_c(k)] * k/N`` (the uplift in the top k, times the
    targeted fraction; 0 while the top k lacks a treated or a control row) and
    ``auuc = (1/N) * sum_{k=1..N} U(k)``. Random targeting gives about half the overall
    uplift; not baseline-subtracted.
    """
    ends, sums, n = _uplift_sums(y, t, s)
    return _auuc(ends, sums, n)


def _auuc(ends, sums, n) -> float:
    k = np.arange(1, n + 1)
    u = np.nan_to_num(_uplift_values(_at(ends, sums, k)), nan=0.0)
    return float(np.mean(u * k / n))


def uplift_at(y, t, s, fraction: float) -> float:
    """Mean y treated - mean y control in the top ``fraction * N`` rows (ties averaged,
    fractional k allowed). NaN if the treated or the control group of the top is empty."""
    ends, sums, n = _uplift_sums(y, t, s)
    return float(_uplift_values(_at(ends, sums, [fraction * n]))[0])


def _ranking_metrics(y, t, s) -> np.ndarray:
    """Qini, AUUC, uplift@10 %, uplift@20 % from one sort."""
    ends, sums, n = _uplift_sums(y, t, s)
    at = _uplift_values(_at(ends, sums, [0.1 * n, 0.2 * n]))
    return np.array([_qini_coefficient(ends, sums, n), _auuc(ends, sums, n), at[0], at[1]])


def hires_share_top(y_count, s, fraction: float = 0.1) -> float:
    """Share of the total of a count label (e.g. next-6-month hires) held by the top
    ``fraction * N`` rows by ``s`` (ties averaged). NaN when the total is 0."""
    y_count = np.asarray(y_count, dtype=float)
    ends, sums = _ranked_sums(s, [y_count])
    total = sums[-1, 0]
    if total == 0:
        return float("nan")
    return float(_at(ends, sums, [fraction * len(y_count)])[0, 0] / total)


def selection_weights(s, fraction: float) -> np.ndarray:
    """Per row, the share of it selected in the top ``fraction * N`` by ``s``: 1 above the
    cut, 0 below, and for the block of ties straddling the cut the same share for each
    of its rows (ties averaged)."""
    score = _as_score(s)
    n = len(score)
    order = np.argsort(-score, kind="stable")
    ranked = score[order]
    starts = np.searchsorted(-ranked, -ranked, side="left")
    stops = np.searchsorted(-ranked, -ranked, side="right")
    share = np.clip((fraction * n - starts) / (stops - starts), 0.0, 1.0)
    weights = np.empty(n)
    weights[order] = share
    return weights


# ----------------------------------------------------------------------- bootstrap


def _percentiles(stats: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per column, ignoring NaN resamples (NaN if all are)."""
    low = np.full(stats.shape[1], np.nan)
    high = np.full(stats.shape[1], np.nan)
    for j in range(stats.shape[1]):
        finite = stats[np.isfinite(stats[:, j]), j]
        if len(finite):
            low[j], high[j] = np.percentile(finite, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return low, high


def bootstrap(metric: Callable, *arrays, n: int = 200, seed: int = 0, alpha: float = 0.05):
    """Percentile bootstrap of rows: ``(point, low, high)``.

    ``metric(*arrays)`` returns a number or a 1-D array of numbers (several metrics from
    one pass, as ``evaluate_ranking`` does); the result has the same shape. Each of the
    ``n`` resamples draws rows with replacement (numpy ``default_rng(seed)``, so the
    result is deterministic); resamples where the metric is NaN are ignored.
    """
    arrays = [np.asarray(a) for a in arrays]
    size = len(arrays[0])
    point = np.asarray(metric(*arrays), dtype=float)
    rng = np.random.default_rng(seed)
    stats = np.empty((n, point.size))
    for i in range(n):
        rows = rng.integers(0, size, size)
        stats[i] = np.asarray(metric(*(a[rows] for a in arrays)), dtype=float).ravel()
    low, high = _percentiles(stats, alpha)
    if point.ndim == 0:
        return float(point), float(low[0]), float(high[0])
    return point, low.reshape(point.shape), high.reshape(point.shape)


def evaluate_ranking(y, t, s, n_boot: int = 200, seed: int = 0) -> dict:
    """Qini coefficient, AUUC, uplift@10 % and uplift@20 % with bootstrap intervals.

    Each value is ``{"value", "low", "high"}`` (plain floats, NaN when undefined).
    """
    point, low, high = bootstrap(_ranking_metrics, y, t, s, n=n_boot, seed=seed)
    names = ("qini", "auuc", "uplift_at_10", "uplift_at_20")
    return {name: {"value": float(point[i]), "low": float(low[i]), "high": float(high[i])}
            for i, name in enumerate(names)}


# ----------------------------------------------------------------------- baselines


def random_scores(n: int, seed: int = 0) -> np.ndarray:
    """Random order: uniform scores from ``default_rng(seed)``."""
    return np.random.default_rng(seed).random(n)


def longest_without_contact_scores(frame: pd.DataFrame) -> np.ndarray:
    """Longest without a contact first: the days since the last contact (never → first)."""
    days = frame[schema.DAYS_SINCE_CONTACT].to_numpy(dtype=float)
    return np.where(np.isnan(days), np.inf, days)


def risk_first_scores(p) -> np.ndarray:
    """Lowest predicted probability of return to employment first: ``1 - p``."""
    return 1.0 - np.asarray(p, dtype=float)
