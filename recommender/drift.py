"""Drift of the input features between the training data and the people scored today.

``feature_profile`` summarises each feature of the training frame: numbers by the share of rows
in each decile bin of the training values, categories by the share of each value, plus the
share of missing values. ``population_stability`` compares a new frame with that profile by
the population stability index, ``PSI = Σ (p_now − p_train) · ln(p_now / p_train)`` over the
bins (shares floored at 0.001 so an empty bin does not divide by zero). The usual reading:
under 0.1 stable, 0.1 to 0.25 moderate shift, above 0.25 significant.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

FLOOR = 1e-3


def _shares(counts: np.ndarray) -> list[float]:
    total = counts.sum()
    return [float(c / total) if total else 0.0 for c in counts]


def _numeric_bins(values: pd.Series, edges: list[float]) -> np.ndarray:
    present = values.dropna().to_numpy(dtype=float)
    return np.bincount(np.searchsorted(edges, present, side="right"), minlength=len(edges) + 1)


def feature_profile(frame: pd.DataFrame, features: Iterable[str]) -> dict[str, Any]:
    profile: dict[str, Any] = {}
    for name in features:
        column = frame[name]
        missing = float(column.isna().mean()) if len(column) else 0.0
        if pd.api.types.is_numeric_dtype(column):
            edges = sorted(set(np.nanquantile(column.to_numpy(dtype=float), np.linspace(0.1, 0.9, 9)).tolist())) \
                if column.notna().any() else []
            profile[name] = {"kind": "numeric", "edges": edges, "shares": _shares(_numeric_bins(column, edges)),
                             "missing": missing}
        else:
            counts = column.dropna().astype(str).value_counts()
            profile[name] = {"kind": "categorical", "categories": counts.index.tolist(),
                             "shares": _shares(counts.to_numpy()), "missing": missing}
    return profile


def _psi(train: list[float], now: list[float]) -> float:
    p = np.maximum(np.asarray(train, dtype=float), FLOOR)
    q = np.maximum(np.asarray(now, dtype=float), FLOOR)
    return float(np.sum((q - p) * np.log(q / p)))


def population_stability(profile: dict[str, Any], frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per feature of ``profile`` present in ``frame``: ``psi``, ``missing_train``, ``missing_now``."""
    result = {}
    for name, summary in profile.items():
        if name not in frame:
            continue
        column = frame[name]
        if summary["kind"] == "numeric":
            now = _shares(_numeric_bins(pd.to_numeric(column, errors="coerce"), summary["edges"]))
            train = summary["shares"]
        else:
            counts = column.dropna().astype(str).value_counts()
            categories = summary["categories"] + sorted(set(counts.index) - set(summary["categories"]))
            now = _shares(counts.reindex(categories, fill_value=0).to_numpy())
            train = summary["shares"] + [0.0] * (len(categories) - len(summary["categories"]))
        missing_train, missing_now = summary["missing"], float(column.isna().mean()) if len(column) else 0.0
        # Missing values are one more bin: the shares above are among the present values.
        psi = _psi([share * (1 - missing_train) for share in train] + [missing_train],
                   [share * (1 - missing_now) for share in now] + [missing_now])
        result[name] = {"psi": psi, "missing_train": missing_train, "missing_now": missing_now}
    return result
