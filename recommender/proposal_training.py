"""Training, evaluation and publishing gate of the recommendation models (frames in, dicts out).

As for the priority models (``recommender/training.py``), the application builds the frames with
a strict temporal split: the training pairs' label window ends before the first evaluation day.

``evaluate_recommendations`` scores the evaluation pairs with the model and the baselines and
builds every list the same way (eligibility, capacity and kind spread of
``recommender/proposals.py``, pairs served by descending score across the batch as ``recommend``
does), so that only the scores differ; then it measures the lists
against every labelled pair (``recommender/ranking_metrics.py``). Baselines:

- ``popularity``: most accepted by people with the same target occupation and bassin, then most
  proposed;
- ``same_rome_nearest``: the first target occupation within the mobility radius, nearest first;
- ``item_knn``: item-to-item similarity of past proposals (``history``: the (``JOB_SEEKER_ID``,
  ``ITEM_KEY``) pairs proposed or accepted before the evaluation day).

The report (JSON-serialisable)::

    {"k": 10,
     "model":     {"ndcg@10": {"value", "low", "high"}, "recall@10": {…}, "coverage": x, "gini": x},
     "model_unconstrained": {…}   # plain top k by score: what capacity and spread cost
     "baselines": {"popularity": {…}, "same_rome_nearest": {…}, "item_knn": {…}},
     "lift_vs_best_baseline": {"baseline": name, "relative": x, "absolute": x},   # NDCG@10
     "recall_lift_vs_best_baseline": {…},                                           # Recall@10
     "rows": {…}}

``evaluate_candidates`` does the same for the candidates of offers (groups are offers, items are
people; baseline ``same_rome_nearest``), and again on the offers whose pool is larger than k
(``larger_pools``: ``min_pool`` and the same keys). ``gate_recommendations`` reads a document
with the keys ``recommendations`` and/or ``candidates`` (each such a report).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recommender import schema as S
from recommender.eligibility import eligible_candidates, eligible_pairs
from recommender.proposals import (
    CandidateRanker, Exposure, ItemKNN, ProposalModel, popularity, same_rome_nearest, select_lists,
)
from recommender.ranking_metrics import catalogue_coverage, exposure_gini, per_group, with_interval

BASELINES = ("popularity", "same_rome_nearest", "item_knn")
CANDIDATE_BASELINES = ("same_rome_nearest",)
# The candidate ranker's boosting: smaller trees, more of them and slower, than the proposal
# ranker's, for a small frame (about 20,000 offer pairs on the medium demo). Chosen on the four
# training snapshots held out in turn (each predicted from the 8 before it, medium demo, 30
# months): recall@10 0.849 against 0.834 for the proposal ranker's settings, NDCG@10 0.583
# against 0.594 (same_rome_nearest: 0.794 and 0.522).
# Then ten such classifiers, each fit on a bootstrap draw of the offers, averaged (``bags``),
# chosen on the rolling windows of ``benchmarks.candidate_windows`` (the six windows before the
# last; same_rome_nearest at recall@10 0.815): recall@10 0.875 with seeds 0 and 1, against
# 0.864 for one; five are as good on average but depend on the seed (0.869, 0.870, 0.883),
# twenty no better (0.873); every window at least level with one classifier. On a demo seeded
# with 2, where the rule already finds 0.945, level with one. Scoring costs ten times one
# classifier's: 17 s instead of 2 s of ``recommend`` on the large demo.
# Kept when the application fed the ranker three times as many snapshots (every 20 days instead
# of 60, ``crm.recommendations.pipeline.CANDIDATE_STEP_DAYS``), seven rolling windows: with
# ``min_samples_leaf`` 600 instead of 200, recall@10 0.795 against 0.793 on the medium demo but
# 0.871 against 0.877 on a demo seeded with 2 (the rule: 0.738 and 0.856).
CANDIDATE_PARAMS: dict[str, Any] = {"max_iter": 300, "learning_rate": 0.03, "max_leaf_nodes": 8,
                                    "min_samples_leaf": 200, "bags": 10}


def fit_recommendations(pairs_train: pd.DataFrame, persons_train: pd.DataFrame | None = None, *,
                        random_state: int = 0, **params: Any) -> ProposalModel:
    """The proposal model fit on the eligible training pairs (and the training gain on
    ``persons_train`` when given); ``params``: of ``ProposalModel``."""
    return ProposalModel(random_state=random_state, **params).fit(eligible_pairs(pairs_train), persons_train)


def fit_candidates(pairs_train: pd.DataFrame, *, random_state: int = 0, **params: Any) -> CandidateRanker:
    """The candidate ranker fit on the eligible offer pairs; ``params``: of ``CandidateRanker``
    (over ``CANDIDATE_PARAMS``)."""
    offers = eligible_candidates(pairs_train)
    return CandidateRanker(random_state=random_state, **{**CANDIDATE_PARAMS, **params}).fit(offers)


def list_metrics(lists: pd.DataFrame, truth: pd.DataFrame, available: Any, *, k: int, group: str, item: str,
                 n_boot: int, seed: int) -> dict[str, Any]:
    """NDCG@k and recall@k (with bootstrap intervals over groups), coverage and exposure Gini."""
    values = per_group(lists, truth, k=k, group=group, item=item)
    return {
        f"ndcg@{k}": with_interval(values["ndcg"], n_boot=n_boot, seed=seed),
        f"recall@{k}": with_interval(values["recall"], n_boot=n_boot, seed=seed),
        "coverage": catalogue_coverage(lists, available, k=k, item=item),
        "gini": exposure_gini(lists, available, k=k, item=item),
    }


def _lists(pairs: pd.DataFrame, rows_ranks: tuple[np.ndarray, np.ndarray], group: str, item: str) -> pd.DataFrame:
    rows, ranks = rows_ranks
    return pd.DataFrame({group: pairs[group].to_numpy()[rows], item: pairs[item].to_numpy()[rows], S.RANK: ranks})


def _lift(report: dict[str, Any], k: int, metric: str = "ndcg") -> dict[str, Any]:
    key = f"{metric}@{k}"
    model = report["model"][key]["value"]
    name, best = max(((name, figures[key]["value"]) for name, figures in report["baselines"].items()),
                     key=lambda pair: -np.inf if np.isnan(pair[1]) else pair[1])
    relative = model / best - 1 if best and not np.isnan(best) else float("nan")
    return {"baseline": name, "relative": float(relative), "absolute": float(model - best)}


def evaluate_recommendations(model: ProposalModel, pairs_test: pd.DataFrame, history: pd.DataFrame, *,
                             persons: pd.DataFrame | None = None, k: int = 10, per_kind: int | None = 3,
                             exposure: Exposure = Exposure(), n_boot: int = 200, seed: int = 0) -> dict[str, Any]:
    """The report of the module docstring for a fitted model on labelled evaluation pairs."""
    eligible = eligible_pairs(pairs_test)
    scores = {
        "model": model.score(eligible, persons)[S.RECOMMENDATION_SCORE].to_numpy(),
        "popularity": popularity(eligible),
        "same_rome_nearest": same_rome_nearest(eligible),
        "item_knn": ItemKNN().fit(history).score(eligible),
    }
    group, item = S.JOB_SEEKER_ID, S.ITEM_KEY
    capacity = exposure.cap(pd.to_numeric(eligible[S.SEATS_LEFT], errors="coerce").to_numpy(dtype=float))

    def measure(score: np.ndarray, *, constrained: bool = True) -> dict[str, Any]:
        options = (dict(capacity=capacity, kinds=eligible[S.ITEM_KIND], per_kind=per_kind, serve="score")
                   if constrained else {})
        chosen = select_lists(eligible[group], eligible[item], score, k=k, **options)
        return list_metrics(_lists(eligible, chosen, group, item), pairs_test, eligible[item], k=k,
                            group=group, item=item, n_boot=n_boot, seed=seed)

    report: dict[str, Any] = {
        "k": k,
        "model": measure(scores["model"]),
        "model_unconstrained": measure(scores["model"], constrained=False),
        "baselines": {name: measure(scores[name]) for name in BASELINES},
    }
    report["lift_vs_best_baseline"], report["recall_lift_vs_best_baseline"] = _lift(report, k), _lift(report, k, "recall")
    report["rows"] = _rows(pairs_test, eligible, group)
    return report


def evaluate_candidates(model: Any, pairs_test: pd.DataFrame, *, k: int = 10, max_open_applications: int = 3,
                        max_offers: int = 3, n_boot: int = 200, seed: int = 0) -> dict[str, Any]:
    """The same report for the candidates of offers: per offer, lists built as ``rank_candidates``
    does (busy candidates after the others, each in at most ``max_offers`` lists).

    ``larger_pools``: the same lists measured on the offers whose pool has more than ``k``
    eligible people only. In a smaller pool every ranking shows everyone, so Recall@k is 1 for
    any of them there; those offers say nothing of the ranking and shrink the relative lift."""
    truth = pairs_test.loc[pairs_test[S.ITEM_KIND] == "offer"]
    eligible = eligible_candidates(truth)
    group, item = S.ITEM_KEY, S.JOB_SEEKER_ID
    busy = pd.to_numeric(eligible[S.PERSON_OPEN_APPLICATIONS], errors="coerce").to_numpy() >= max_open_applications
    capacity = np.full(len(eligible), float(max_offers))
    lists = {name: _lists(eligible, select_lists(eligible[group], eligible[item], score, k=k, capacity=capacity,
                                                 demoted=busy), group, item)
             for name, score in (("model", model.predict_relevance(eligible)),
                                 ("same_rome_nearest", same_rome_nearest(eligible)))}

    def section(offers: Any = None) -> dict[str, Any]:
        def among(frame: pd.DataFrame) -> pd.DataFrame:
            return frame if offers is None else frame.loc[frame[group].isin(offers)]

        figures = {name: list_metrics(among(found), among(truth), among(eligible)[item], k=k, group=group,
                                      item=item, n_boot=n_boot, seed=seed) for name, found in lists.items()}
        part: dict[str, Any] = {"model": figures.pop("model"), "baselines": figures}
        part["lift_vs_best_baseline"], part["recall_lift_vs_best_baseline"] = _lift(part, k), _lift(part, k, "recall")
        part["rows"] = _rows(among(truth), among(eligible), group)
        return part

    pools = eligible.groupby(group).size()
    return {"k": k, **section(), "larger_pools": {"min_pool": k + 1, **section(pools.index[pools > k])}}


def _rows(truth: pd.DataFrame, eligible: pd.DataFrame, group: str) -> dict[str, Any]:
    relevant = truth.loc[truth[S.LABEL_RELEVANCE] >= 1, group]
    return {"pairs": int(len(truth)), "eligible_pairs": int(len(eligible)), "groups": int(truth[group].nunique()),
            "groups_with_relevant": int(relevant.nunique()),
            "relevant_rate": float((truth[S.LABEL_RELEVANCE] >= 1).mean()) if len(truth) else None}


def gate_recommendations(candidate: dict[str, Any], current: dict[str, Any] | None) -> list[str]:
    """Why the candidate models must not be published (empty list: they may be).

    For each section (``recommendations``, ``candidates``) of the candidate's report: refused when
    the upper end of the model's NDCG@k 95 % interval is below the NDCG@k of a baseline or of the
    current published model (on the same evaluation), i.e. below beyond the evaluation's noise.
    """
    reasons = []
    for section in ("recommendations", "candidates"):
        report = candidate.get(section)
        if not report:
            continue
        key = f"ndcg@{report['k']}"
        model = report["model"][key]
        others = {f"the baseline {name}": figures for name, figures in report["baselines"].items()}
        if current and current.get(section):
            others["the current model"] = current[section]["model"]
        for name, figures in others.items():
            value = figures.get(key, {}).get("value")
            if value is None or np.isnan(value):
                continue
            if np.isnan(model["high"]) or model["high"] < value:
                reasons.append(f"{section}: NDCG@{report['k']} {model['value']:.4f} (95 % interval up to "
                               f"{model['high']:.4f}) below {name} ({value:.4f})")
    return reasons
