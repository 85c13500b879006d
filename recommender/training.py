"""Training and evaluation of the priority models on labelled frames (pure: frames in, dicts out).

The application builds the frames (``crm/scoring``) with a strict temporal split: every training
row's outcome window ends before the first evaluation day, so nothing the evaluation measures was
seen in training. This module fits the models, scores the evaluation frame with the model and
the baselines, and returns one JSON-serialisable report whose keys are those of
``flask --app crm recommender evaluate --json``:

- ``priority.model`` / ``priority.baselines.<name>``: the ranking (Qini, AUUC, uplift at 10 % and
  20 %, bootstrap 95 % intervals) measured on the rows where the contact was randomised
  (``REGULAR_CONTACT = 0``: there ``TREATED_RANDOM`` is a fair coin), and, for the model, the
  outcome model's AUC, Brier score and calibration on every row.
  Baselines: ``random``, ``longest_without_contact`` (days since the last contact, longest first)
  and ``risk_first`` (the outcome model alone: lowest probability of return first).
- ``priority.model_gain_only``: the same figures for the contact-effect model's ranking alone.
- ``priority.fairness``: the fairness report of the model's list (``recommender/fairness.py``).
- ``employers.model`` / ``employers.baselines``: share of the next period's hires captured by the
  top 10 % of employers, for the hiring-potential model, last period's hires and a linear model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recommender import schema as S
from recommender.employers import HiringPotentialModel, LastPeriodHires, LinearHiringModel
from recommender.evaluation import (
    evaluate_outcome, evaluate_ranking, hires_share_top, longest_without_contact_scores, random_scores,
    risk_first_scores,
)
from recommender.fairness import fairness_report
from recommender.priority import PriorityModel, score_parts

BASELINES = ("random", "longest_without_contact", "risk_first")
RANKING_METRIC = "qini"


def randomised(frame: pd.DataFrame) -> pd.Series:
    """The rows where the contact was randomised: no regular counselor contact in the window."""
    return frame[S.REGULAR_CONTACT] == 0


def fit_priority(frame: pd.DataFrame, *, random_state: int = 0) -> PriorityModel:
    return PriorityModel(random_state=random_state).fit(frame)


def fit_employers(frame: pd.DataFrame, *, random_state: int = 0) -> HiringPotentialModel:
    return HiringPotentialModel(random_state=random_state).fit(frame, frame[S.LABEL_HIRES_NEXT_6M])


def evaluate_priority(model: PriorityModel, test: pd.DataFrame, *, n_boot: int = 200, seed: int = 0) -> dict[str, Any]:
    """The ``priority`` part of the report for a fitted model on a labelled evaluation frame."""
    parts = score_parts(test, model)
    y = test[S.LABEL_EMPLOYMENT].to_numpy()
    probability = parts[S.OUTCOME_PROBABILITY].to_numpy()
    scores = {
        "model": parts[S.SCORE].to_numpy(),
        "random": random_scores(len(test), seed),
        "longest_without_contact": longest_without_contact_scores(test),
        "risk_first": risk_first_scores(probability),
    }
    mask = randomised(test).to_numpy()
    t = test[S.TREATED_RANDOM].to_numpy()

    def ranking(s: np.ndarray) -> dict[str, Any]:
        return evaluate_ranking(y[mask], t[mask], np.asarray(s)[mask], n_boot=n_boot, seed=seed)

    report: dict[str, Any] = {
        "model": {**ranking(scores["model"]), "outcome": evaluate_outcome(y, probability)},
        # The same model ranked by its estimated gain alone, without the urgency rules: how much
        # of the list's Qini the rules cost or bring (urgent cases come first whatever their gain).
        "model_gain_only": ranking(parts[S.UPLIFT].to_numpy()),
        "baselines": {name: ranking(scores[name]) for name in BASELINES},
        "fairness": fairness_report(test, score=scores["model"], probability=probability, label=y),
        "rows": {"evaluated": int(len(test)), "randomised": int(mask.sum()),
                 "treated_randomly": int(t[mask].sum()), "positive_rate": float(y.mean()) if len(y) else None},
    }
    return report


def evaluate_employers(model: HiringPotentialModel, train: pd.DataFrame, test: pd.DataFrame,
                       *, fraction: float = 0.1) -> dict[str, Any]:
    """The ``employers`` part: share of next-period hires in the top 10 %, model vs baselines."""
    hires = test[S.LABEL_HIRES_NEXT_6M].to_numpy()
    linear = LinearHiringModel().fit(train, train[S.LABEL_HIRES_NEXT_6M])

    def share(prediction: np.ndarray) -> dict[str, Any]:
        return {"top_10_share": hires_share_top(hires, prediction, fraction)}

    return {
        "model": {**share(model.predict(test)), "rows": int(len(test)), "hires": float(hires.sum())},
        "baselines": {"last_period_hires": share(LastPeriodHires().predict(test)),
                      "linear_regression": share(linear.predict(test))},
    }


def gate(candidate: dict[str, Any], current: dict[str, Any] | None) -> list[str]:
    """Why the candidate must not be published (empty list: it may be).

    "Below" means below beyond the evaluation's noise, so that a tie decided by chance neither
    blocks nor publishes a model: the candidate is refused when the upper end of its Qini's 95 %
    bootstrap interval is under the point value of a baseline or of the current model evaluated
    on the same rows, or when its outcome model's AUC is more than 0.01 under the current one's.
    The employer model is refused when it captures a smaller share of next-period hires in its
    top 10 % than one of its baselines or than the current model.
    """
    reasons = []
    priority = candidate.get("priority")
    if priority:
        model = priority["model"][RANKING_METRIC]
        others = {f"the baseline {name}": figures for name, figures in priority["baselines"].items()}
        if current and current.get("priority"):
            others["the current model"] = current["priority"]["model"]
            auc, auc_now = priority["model"]["outcome"]["auc"], current["priority"]["model"]["outcome"]["auc"]
            if auc < auc_now - 0.01:
                reasons.append(f"priority: outcome AUC {auc:.3f} below the current model's ({auc_now:.3f})")
        for name, figures in others.items():
            value = figures[RANKING_METRIC]["value"]
            if model["high"] is None or (value is not None and model["high"] < value):
                reasons.append(f"priority: Qini {model['value']:.5f} (95 % interval up to {model['high']:.5f}) "
                               f"below {name} ({value:.5f})")
    employers = candidate.get("employers")
    if employers:
        value = employers["model"]["top_10_share"]
        others = {f"the baseline {name}": figures for name, figures in employers["baselines"].items()}
        if current and current.get("employers"):
            others["the current model"] = current["employers"]["model"]
        for name, figures in others.items():
            if value < figures["top_10_share"]:
                reasons.append(f"employers: share of hires in the top 10 % {value:.3f} below {name} "
                               f"({figures['top_10_share']:.3f})")
    return reasons
