"""Quality of recommendation lists: NDCG@k, recall@k, catalogue coverage, exposure Gini.

Two frames:

- ``lists``: the lists as shown, one row per (group, item) with its 1-based ``RANK`` (what
  ``recommend`` or ``rank_candidates`` return, or any top-k);
- ``truth``: the labelled candidate pairs of the evaluation (``LABEL_RELEVANCE``: 0 none,
  1 accepted, 2 accepted and entered, completed or hired), all of them — also those the
  eligibility rules or the list building left out, so that what they lose counts.

The group is the person (``JOB_SEEKER_ID``) and the item ``ITEM_KEY`` by default; for the
candidates of offers, pass ``group=ITEM_KEY, item=JOB_SEEKER_ID``.

Definitions (rows of ``lists`` with ``RANK`` ≤ k only):

- ``NDCG@k`` = DCG@k / IDCG@k per group, with gain ``2^label − 1`` (1 for label 1, 3 for label 2)
  and discount ``1 / log2(rank + 1)``; IDCG@k is the DCG of the group's k best labels in
  ``truth``. Averaged over the groups with at least one relevant pair (label ≥ 1) in ``truth``;
  such a group without a list counts 0.
- ``recall@k`` = relevant items in the top k / relevant items in ``truth``, per group, averaged
  over the same groups.
- ``coverage`` = distinct items in some top k / distinct items available.
- ``exposure Gini`` over the items available of their number of appearances in the top-k lists
  (0 for those never shown): 0 when every item is shown equally often, towards 1 when a few
  items take every slot; 0 when nothing is shown.

Intervals: :func:`with_interval` bootstraps the per-group values (``recommender/evaluation.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recommender import schema as S
from recommender.evaluation import bootstrap


def _top(lists: pd.DataFrame, k: int) -> pd.DataFrame:
    return lists.loc[lists[S.RANK] <= k]


def per_group(lists: pd.DataFrame, truth: pd.DataFrame, *, k: int = 10, group: str = S.JOB_SEEKER_ID,
              item: str = S.ITEM_KEY, label: str = S.LABEL_RELEVANCE) -> pd.DataFrame:
    """``ndcg`` and ``recall`` per group with at least one relevant pair in ``truth`` (index: group)."""
    relevant = truth.loc[truth[label] >= 1, [group, item, label]]
    ideal_order = relevant.sort_values([group, label], ascending=[True, False], kind="stable")
    position = ideal_order.groupby(group, sort=False).cumcount().to_numpy() + 1
    ideal_gain = (2.0 ** ideal_order[label].to_numpy(dtype=float) - 1) / np.log2(position + 1)
    idcg = pd.Series(np.where(position <= k, ideal_gain, 0.0), index=ideal_order[group].to_numpy())
    idcg = idcg.groupby(level=0).sum()
    shown = _top(lists, k)[[group, item, S.RANK]].merge(relevant, on=[group, item], how="inner")
    gain = (2.0 ** shown[label].to_numpy(dtype=float) - 1) / np.log2(shown[S.RANK].to_numpy(dtype=float) + 1)
    dcg = pd.Series(gain, index=shown[group].to_numpy()).groupby(level=0).sum()
    found = shown.groupby(group).size()
    total = relevant.groupby(group).size()
    return pd.DataFrame({
        "ndcg": dcg.reindex(idcg.index, fill_value=0.0) / idcg,
        "recall": found.reindex(total.index, fill_value=0) / total,
    })


def ndcg_at_k(lists: pd.DataFrame, truth: pd.DataFrame, *, k: int = 10, **columns: str) -> float:
    """Mean NDCG@k over the groups with a relevant pair (NaN when there is none)."""
    values = per_group(lists, truth, k=k, **columns)["ndcg"]
    return float(values.mean()) if len(values) else float("nan")


def recall_at_k(lists: pd.DataFrame, truth: pd.DataFrame, *, k: int = 10, **columns: str) -> float:
    """Mean recall@k over the groups with a relevant pair (NaN when there is none)."""
    values = per_group(lists, truth, k=k, **columns)["recall"]
    return float(values.mean()) if len(values) else float("nan")


def catalogue_coverage(lists: pd.DataFrame, available: Any, *, k: int = 10, item: str = S.ITEM_KEY) -> float:
    """Share of the distinct available items (``available``: their keys) shown in some top k."""
    items = pd.unique(pd.Series(available))
    if len(items) == 0:
        return float("nan")
    return float(np.isin(items, _top(lists, k)[item].unique()).mean())


def gini(counts: Any) -> float:
    """Gini coefficient of non-negative counts (0 for all equal or all zero)."""
    values = np.sort(np.asarray(counts, dtype=float))
    n, total = len(values), values.sum()
    if n == 0 or total == 0:
        return 0.0
    return float(2 * np.sum(np.arange(1, n + 1) * values) / (n * total) - (n + 1) / n)


def exposure_gini(lists: pd.DataFrame, available: Any, *, k: int = 10, item: str = S.ITEM_KEY) -> float:
    """Gini of the items' appearances in the top-k lists, over the available items (0 included)."""
    items = pd.unique(pd.Series(available))
    counts = _top(lists, k)[item].value_counts()
    return gini(counts.reindex(items, fill_value=0).to_numpy())


def with_interval(values: Any, *, n_boot: int = 200, seed: int = 0, alpha: float = 0.05) -> dict[str, float]:
    """Mean of per-group ``values`` with its percentile bootstrap interval: ``{"value", "low", "high"}``
    (NaN without values; no resampling when ``n_boot`` is 0)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return {"value": float("nan"), "low": float("nan"), "high": float("nan")}
    if n_boot <= 0:
        mean = float(values.mean())
        return {"value": mean, "low": mean, "high": mean}
    point, low, high = bootstrap(np.mean, values, n=n_boot, seed=seed, alpha=alpha)
    return {"value": point, "low": low, "high": high}
