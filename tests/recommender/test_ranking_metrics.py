import math

import numpy as np
import pandas as pd
import pytest

from recommender import schema as S
from recommender.ranking_metrics import (
    catalogue_coverage, exposure_gini, gini, ndcg_at_k, per_group, recall_at_k, with_interval,
)

# Person 1: a (2), b (1) relevant; c, d not. Person 2: e (1) relevant, not shown. Person 3: nothing relevant.
TRUTH = pd.DataFrame({
    S.JOB_SEEKER_ID: [1, 1, 1, 1, 2, 2, 3, 3],
    S.ITEM_KEY: ["a", "b", "c", "d", "e", "c", "a", "c"],
    S.LABEL_RELEVANCE: [2, 1, 0, 0, 1, 0, 0, 0],
})
LISTS = pd.DataFrame({
    S.JOB_SEEKER_ID: [1, 1, 1, 2, 2, 3],
    S.ITEM_KEY: ["c", "a", "b", "c", "d", "a"],
    S.RANK: [1, 2, 3, 1, 2, 1],
})


def log2(x: float) -> float:
    return math.log(x, 2)


def test_ndcg_uses_graded_gains_and_counts_relevant_people_only() -> None:
    dcg = 3 / log2(3) + 1 / log2(4)          # a (gain 2²−1) at rank 2, b (gain 1) at rank 3
    idcg = 3 / log2(2) + 1 / log2(3)
    table = per_group(LISTS, TRUTH, k=10)
    assert table.index.tolist() == [1, 2]   # person 3 has nothing relevant
    assert table.loc[1, "ndcg"] == pytest.approx(dcg / idcg)
    assert table.loc[2, "ndcg"] == 0.0
    assert ndcg_at_k(LISTS, TRUTH, k=10) == pytest.approx((dcg / idcg + 0) / 2)


def test_cut_at_k() -> None:
    idcg = 3 / log2(2) + 1 / log2(3)
    assert ndcg_at_k(LISTS, TRUTH, k=2) == pytest.approx((3 / log2(3) / idcg) / 2)
    assert ndcg_at_k(LISTS, TRUTH, k=1) == 0.0
    assert recall_at_k(LISTS, TRUTH, k=2) == pytest.approx((1 / 2 + 0) / 2)


def test_recall() -> None:
    assert recall_at_k(LISTS, TRUTH, k=10) == pytest.approx((2 / 2 + 0 / 1) / 2)


def test_a_relevant_person_without_a_list_counts_zero() -> None:
    only_first = LISTS.loc[LISTS[S.JOB_SEEKER_ID] == 1]
    table = per_group(only_first, TRUTH)
    assert table.loc[2].tolist() == [0.0, 0.0]


def test_perfect_lists_score_one() -> None:
    perfect = pd.DataFrame({S.JOB_SEEKER_ID: [1, 1, 2], S.ITEM_KEY: ["a", "b", "e"], S.RANK: [1, 2, 1]})
    assert ndcg_at_k(perfect, TRUTH) == pytest.approx(1.0)
    assert recall_at_k(perfect, TRUTH) == pytest.approx(1.0)


def test_no_relevant_pair_gives_nan() -> None:
    assert math.isnan(ndcg_at_k(LISTS, TRUTH.assign(**{S.LABEL_RELEVANCE: 0})))


def test_groups_and_items_can_be_swapped_for_candidates() -> None:
    lists = LISTS.rename(columns={S.JOB_SEEKER_ID: S.ITEM_KEY, S.ITEM_KEY: S.JOB_SEEKER_ID})
    truth = TRUTH.rename(columns={S.JOB_SEEKER_ID: S.ITEM_KEY, S.ITEM_KEY: S.JOB_SEEKER_ID})
    assert ndcg_at_k(lists, truth, group=S.ITEM_KEY, item=S.JOB_SEEKER_ID) == pytest.approx(ndcg_at_k(LISTS, TRUTH))


def test_coverage_is_the_share_of_available_items_shown() -> None:
    available = ["a", "b", "c", "d", "e", "a"]
    assert catalogue_coverage(LISTS, available, k=10) == pytest.approx(4 / 5)   # e never shown
    assert catalogue_coverage(LISTS, available, k=1) == pytest.approx(2 / 5)    # c and a


def test_gini_of_known_counts() -> None:
    assert gini([0, 0, 1, 3]) == pytest.approx(0.625)  # Σ|xi − xj| = 20 over ordered pairs, / (2 · 4² · 1)
    assert gini([2, 2, 2]) == 0.0
    assert gini([0, 0, 0]) == 0.0
    assert gini([0, 0, 0, 5]) == pytest.approx(0.75)   # (n − 1) / n: one item takes everything


def test_exposure_gini_counts_available_items_never_shown() -> None:
    # Appearances: c 2, a 2, b 1, d 1, e 0.
    assert exposure_gini(LISTS, ["a", "b", "c", "d", "e"], k=10) == pytest.approx(gini([2, 2, 1, 1, 0]))
    assert exposure_gini(LISTS, ["a", "b", "c", "d"], k=10) == pytest.approx(gini([2, 2, 1, 1]))


def test_interval_brackets_the_mean_and_is_deterministic() -> None:
    values = np.random.default_rng(0).random(200)
    first = with_interval(values, n_boot=100, seed=3)
    assert first == with_interval(values, n_boot=100, seed=3)
    assert first["value"] == pytest.approx(values.mean())
    assert first["low"] < first["value"] < first["high"]
    assert with_interval(values, n_boot=0)["low"] == first["value"]
    assert math.isnan(with_interval([], n_boot=100)["value"])
