import json

import numpy as np
import pandas as pd
import pytest

from recommender import schema as S
from recommender.proposal_training import (
    BASELINES, CANDIDATE_PARAMS, evaluate_candidates, evaluate_recommendations, fit_candidates, fit_recommendations,
    gate_recommendations,
)
from recommender.proposals import CandidateRanker, Exposure, ProposalModel, ProposalRanker
from tests.recommender.synthetic_pairs import make_history, make_pairs

SMALL = dict(max_iter=30, min_samples_leaf=20)
ROOMY = Exposure(factor=1000, min_slots=10 ** 6)  # capacity never binds


class LabelsAsScores:
    """An oracle: scores are the evaluation labels."""

    def predict_relevance(self, pairs: pd.DataFrame) -> np.ndarray:
        return pairs[S.LABEL_RELEVANCE].to_numpy(dtype=float)

    def score(self, pairs: pd.DataFrame, persons: pd.DataFrame | None = None) -> pd.DataFrame:
        return pd.DataFrame({S.RECOMMENDATION_SCORE: self.predict_relevance(pairs)}, index=pairs.index)


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    test = make_pairs(200, seed=1)
    return {"train": make_pairs(250, seed=0), "test": test, "history": make_history(test, seed=1)}


@pytest.fixture(scope="module")
def model(data: dict[str, pd.DataFrame]) -> ProposalModel:
    return fit_recommendations(data["train"], ranker=ProposalRanker(**SMALL, random_state=0))


def test_report_of_the_recommendations(data: dict[str, pd.DataFrame], model: ProposalModel) -> None:
    report = evaluate_recommendations(model, data["test"], data["history"], n_boot=50, exposure=ROOMY)
    assert json.loads(json.dumps(report)) == report
    assert set(report) == {"k", "model", "model_unconstrained", "baselines", "lift_vs_best_baseline",
                           "recall_lift_vs_best_baseline", "rows"}
    assert set(report["baselines"]) == set(BASELINES) == {"popularity", "same_rome_nearest", "item_knn"}
    for figures in [report["model"], *report["baselines"].values()]:
        assert set(figures) == {"ndcg@10", "recall@10", "coverage", "gini"}
        for name in ("ndcg@10", "recall@10"):
            assert 0 <= figures[name]["low"] <= figures[name]["value"] <= figures[name]["high"] <= 1
        assert 0 < figures["coverage"] <= 1 and 0 <= figures["gini"] < 1
    model_ndcg = report["model"]["ndcg@10"]["value"]
    baselines = {name: figures["ndcg@10"]["value"] for name, figures in report["baselines"].items()}
    assert model_ndcg > max(baselines.values())  # relevance depends on more than any baseline sees
    best = max(baselines, key=baselines.get)
    assert report["lift_vs_best_baseline"] == pytest.approx(
        {"baseline": best, "relative": model_ndcg / baselines[best] - 1, "absolute": model_ndcg - baselines[best]})
    recalls = {name: figures["recall@10"]["value"] for name, figures in report["baselines"].items()}
    best_recall, model_recall = max(recalls, key=recalls.get), report["model"]["recall@10"]["value"]
    assert report["recall_lift_vs_best_baseline"] == pytest.approx(
        {"baseline": best_recall, "relative": model_recall / recalls[best_recall] - 1,
         "absolute": model_recall - recalls[best_recall]})
    assert report["rows"]["pairs"] == len(data["test"]) and report["rows"]["groups"] == 200
    assert gate_recommendations({"recommendations": report}, None) == []


def test_an_oracle_scores_one_and_excluded_pairs_count_as_misses(data: dict[str, pd.DataFrame]) -> None:
    test, history = data["test"], data["history"]
    perfect = evaluate_recommendations(LabelsAsScores(), test, history, n_boot=0, per_kind=None, exposure=ROOMY)
    assert perfect["model"]["ndcg@10"]["value"] == pytest.approx(1.0)
    assert perfect["model_unconstrained"]["ndcg@10"]["value"] == pytest.approx(1.0)
    # The same oracle when eligibility excludes every relevant pair: nothing relevant can be shown.
    done = test.assign(**{S.DAYS_SINCE_DONE: np.where(test[S.LABEL_RELEVANCE] >= 1, 30.0, np.nan)})
    blocked = evaluate_recommendations(LabelsAsScores(), done, history, n_boot=0, per_kind=None, exposure=ROOMY)
    assert blocked["model"]["ndcg@10"]["value"] == 0.0
    assert blocked["rows"]["eligible_pairs"] == (test[S.LABEL_RELEVANCE] == 0).sum()


def test_capacity_and_spread_are_applied_to_every_ranking(data: dict[str, pd.DataFrame], model: ProposalModel) -> None:
    tight = evaluate_recommendations(model, data["test"], data["history"], n_boot=0,
                                     exposure=Exposure(factor=1, min_slots=1))
    loose = evaluate_recommendations(model, data["test"], data["history"], n_boot=0, exposure=ROOMY)
    assert tight["model"]["ndcg@10"]["value"] < loose["model"]["ndcg@10"]["value"]
    assert tight["model_unconstrained"] == loose["model_unconstrained"]
    assert tight["baselines"]["popularity"] != loose["baselines"]["popularity"]


def test_report_of_the_candidates(data: dict[str, pd.DataFrame]) -> None:
    ranker = fit_candidates(data["train"], random_state=0, **SMALL)
    assert isinstance(ranker, CandidateRanker)
    # The candidate settings, but for what the caller sets.
    assert ranker.max_iter == 30 and ranker.min_samples_leaf == 20
    assert (ranker.max_leaf_nodes, ranker.learning_rate) == (CANDIDATE_PARAMS["max_leaf_nodes"],
                                                             CANDIDATE_PARAMS["learning_rate"])
    assert len(ranker.boosters_) == CANDIDATE_PARAMS["bags"] == 10
    report = evaluate_candidates(ranker, data["test"], n_boot=50)
    assert json.loads(json.dumps(report)) == report
    assert set(report["baselines"]) == {"same_rome_nearest"}
    offers = data["test"].loc[data["test"][S.ITEM_KIND] == "offer"]
    assert report["rows"]["groups"] == offers[S.ITEM_KEY].nunique()
    assert report["model"]["ndcg@10"]["value"] > report["baselines"]["same_rome_nearest"]["ndcg@10"]["value"]
    oracle = evaluate_candidates(LabelsAsScores(), data["test"], n_boot=0, max_offers=10 ** 6,
                                 max_open_applications=10 ** 6)
    assert oracle["model"]["ndcg@10"]["value"] == pytest.approx(1.0)



def test_the_candidates_are_read_again_on_the_pools_larger_than_k(data: dict[str, pd.DataFrame]) -> None:
    ranker = fit_candidates(data["train"], random_state=0, **SMALL)
    offers = data["test"].loc[data["test"][S.ITEM_KIND] == "offer"]
    keys = sorted(offers[S.ITEM_KEY].unique())
    small = set(keys[:4])
    # Four offers keep 8 people each, among them every person put forward.
    kept = offers.sort_values(S.LABEL_RELEVANCE, ascending=False, kind="stable").groupby(S.ITEM_KEY).head(8)
    test = pd.concat([offers[~offers[S.ITEM_KEY].isin(small)], kept[kept[S.ITEM_KEY].isin(small)]])
    roomy = dict(n_boot=0, max_offers=10 ** 6, max_open_applications=10 ** 6)  # lists independent of each other
    report = evaluate_candidates(ranker, test, **roomy)
    larger = report["larger_pools"]
    assert json.loads(json.dumps(report)) == report
    assert larger["min_pool"] == 11
    assert larger["rows"]["groups"] == len(keys) - 4 and report["rows"]["groups"] == len(keys)
    # The same lists, measured on the larger pools alone.
    alone = evaluate_candidates(ranker, test[~test[S.ITEM_KEY].isin(small)], **roomy)
    for name in ("model", "lift_vs_best_baseline", "baselines"):
        assert larger[name] == alone[name]
    # In a pool of 8 every ranking shows everyone: recall 1 there, for the model and the rule alike.
    groups, bigger = report["rows"]["groups_with_relevant"], larger["rows"]["groups_with_relevant"]
    for figures, figures_larger in ((report["model"], larger["model"]),
                                    *zip(report["baselines"].values(), larger["baselines"].values())):
        recall = figures["recall@10"]["value"] * groups
        assert recall == pytest.approx(figures_larger["recall@10"]["value"] * bigger + (groups - bigger))

# --------------------------------------------------------------------------- gate

def section(value: float, high: float, **baselines: float) -> dict:
    return {"k": 10, "model": {"ndcg@10": {"value": value, "low": value - 0.02, "high": high}},
            "baselines": {name: {"ndcg@10": {"value": v, "low": v, "high": v}} for name, v in baselines.items()}}


def test_gate_passes_a_model_at_least_level_with_baselines_and_the_current_model() -> None:
    candidate = {"recommendations": section(0.30, 0.33, popularity=0.25, item_knn=0.32)}
    assert gate_recommendations(candidate, None) == []
    assert gate_recommendations(candidate, {"recommendations": section(0.33, 0.35)}) == []


def test_gate_refuses_below_a_baseline_or_the_current_model() -> None:
    candidate = {"recommendations": section(0.30, 0.32, popularity=0.25, same_rome_nearest=0.40),
                 "candidates": section(0.50, 0.55, same_rome_nearest=0.45)}
    current = {"recommendations": section(0.31, 0.34), "candidates": section(0.60, 0.62)}
    assert gate_recommendations(candidate, current) == [
        "recommendations: NDCG@10 0.3000 (95 % interval up to 0.3200) below the baseline same_rome_nearest (0.4000)",
        "candidates: NDCG@10 0.5000 (95 % interval up to 0.5500) below the current model (0.6000)",
    ]


def test_gate_refuses_an_undefined_interval_and_ignores_missing_sections() -> None:
    candidate = {"recommendations": section(float("nan"), float("nan"), popularity=0.2)}
    assert len(gate_recommendations(candidate, {"candidates": section(0.5, 0.5)})) == 1
    assert gate_recommendations({}, None) == []
