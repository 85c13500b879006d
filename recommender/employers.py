"""Which employers to contact first: hiring potential, in the spirit of La Bonne Boite.

:class:`HiringPotentialModel` predicts the hires an employer will make in the next 6 months
(``schema.LABEL_HIRES_NEXT_6M``) from ``schema.EMPLOYER_FEATURES``: a histogram gradient
boosting regressor with a Poisson loss (counts, mostly small, variance growing with the mean),
blended with a ridge regression on the same features (``linear_weight``, 0.7 by default: trees
cannot extrapolate beyond the largest hirers they saw, where the top 10 % is decided),
deterministic for a fixed ``random_state``. Chosen on the training snapshots only (evaluation
snapshots unseen), share of next-period hires in the top 10 %, boosting alone / ridge alone /
blend 0.7: 0.3123 / 0.3163 / 0.3177 (4-fold cross-fitting grouped by employer), 0.3177 / 0.3167 /
0.3190 (first 9 snapshots → last 3); blends 0.5 and 0.8, more or fewer trees, larger leaves
or more regularisation did no better. Two baselines share its ``predict`` interface:
:class:`LastPeriodHires` (next 6 months = last 6 months) and :class:`LinearHiringModel`
(ridge regression on the same features: one-hot sector, imputed and scaled numbers).

The score of ``score_employers`` (higher = contact first)::

    score = 10 · log2(1 + H) · (0.5 + 0.5 · s)
          + 8 · min(A, 3) + 0.1 · clip(O − 30, 0, 60)

- ``H`` the hiring potential (expected hires in 6 months). The log makes each doubling worth
  the same (1 hire → 10 points, 3 → 20, 7 → 30): a large firm does not crowd out every small one
  (seed 001 notes that very small firms are under-served).
- ``s`` how long since the last contact, ``min(days, 180) / 180`` (1 when never contacted): a
  firm contacted last week gets half the weight of its potential, one not contacted for six
  months the full weight.
- ``A`` the offers open for more than 30 days (``AGEING_OFFERS``) and ``O`` the age of the oldest
  open offer (``OLDEST_OPEN_OFFER_DAYS``): an unfilled offer is a need the service can meet now
  (pre-selection, referrals, sharing with partners); 8 points each up to 3, plus up to 6 points
  as the oldest ages from 30 to 90 days (offers expire at 90).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from recommender import schema as S
from recommender.preprocessing import check_no_protected, employer_encoder, thread_limit
from recommender.priority import counselor_codes, identity_columns
from recommender.reasons import Reason

POTENTIAL_POINTS = 10.0
STALE_DAYS = 180
AGEING_POINTS = 8.0
MAX_AGEING = 3
OLDEST_POINTS_PER_DAY = 0.1
AGEING_DAYS = 30  # AGEING_OFFERS counts offers open for more than this
OLDEST_CAP_DAYS = 90
HIGH_POTENTIAL = 2.0  # expected hires in 6 months from which the reason is given
NO_CONTACT_DAYS = 90  # days without contact from which the reason is given
MAX_REASONS = 4

OUTPUT_COLUMNS = (S.EMPLOYER_ID, S.EXTERNAL_ID, S.COUNSELOR_ID, S.COUNSELOR_EXTERNAL_ID, S.HIRING_POTENTIAL,
                  S.SCORE, S.RANK, S.REASONS)


class HiringPotentialModel(RegressorMixin, BaseEstimator):
    """Expected hires in the next 6 months (Poisson gradient boosting on ``EMPLOYER_FEATURES``,
    blended with ridge regression on them: ``(1 − linear_weight) · boosting + linear_weight · ridge``).

    ``n_threads``: OpenMP threads while fitting and predicting (one by default, ``None`` for the
    library's default; see ``OutcomeModel``).
    """

    def __init__(self, *, max_iter: int = 200, learning_rate: float = 0.05, max_leaf_nodes: int = 15,
                 min_samples_leaf: int = 20, l2_regularization: float = 1.0, linear_weight: float = 0.7,
                 random_state: int | None = None, n_threads: int | None = 1) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.linear_weight = linear_weight
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, frame: pd.DataFrame, y: Any) -> HiringPotentialModel:
        if not 0 <= self.linear_weight <= 1:
            raise ValueError("linear_weight must be in [0, 1]")
        self.encoder_ = employer_encoder().fit(frame)
        booster = HistGradientBoostingRegressor(
            loss="poisson", max_iter=self.max_iter, learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization, categorical_features=self.encoder_.categorical_mask_,
            early_stopping=False, random_state=self.random_state)
        with thread_limit(self.n_threads):
            self.model_ = booster.fit(self.encoder_.transform(frame), np.asarray(y, dtype=float))
        self.linear_ = LinearHiringModel().fit(frame, y) if self.linear_weight > 0 else None
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "model_")
        matrix = self.encoder_.transform(frame)
        with thread_limit(self.n_threads):
            boosted = self.model_.predict(matrix)
        linear = getattr(self, "linear_", None)  # absent from models saved before the blend
        if linear is None:
            return boosted
        return (1 - self.linear_weight) * boosted + self.linear_weight * linear.predict(frame)


class LastPeriodHires(BaseEstimator):
    """Baseline: the next 6 months will see as many hires as the last 6 (``HIRES_6M``)."""

    def fit(self, frame: pd.DataFrame | None = None, y: Any = None) -> LastPeriodHires:
        return self  # nothing to learn

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return pd.to_numeric(frame[S.HIRES_6M], errors="coerce").fillna(0).to_numpy(dtype=float)


def _linear_input(frame: pd.DataFrame) -> pd.DataFrame:
    check_no_protected(S.EMPLOYER_FEATURES)
    selected = frame.loc[:, list(S.EMPLOYER_FEATURES)].copy()
    for name in S.EMPLOYER_CATEGORICAL:
        selected[name] = selected[name].astype(object).map(str, na_action="ignore").fillna("?")
    numeric = [name for name in S.EMPLOYER_FEATURES if name not in S.EMPLOYER_CATEGORICAL]
    selected[numeric] = selected[numeric].apply(pd.to_numeric, errors="coerce").astype(float)
    return selected


class LinearHiringModel(RegressorMixin, BaseEstimator):
    """Baseline: ridge regression on ``EMPLOYER_FEATURES`` (one-hot sector; numbers imputed with the
    median plus missing indicators, then scaled). Predictions below 0 are set to 0."""

    def __init__(self, *, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def fit(self, frame: pd.DataFrame, y: Any) -> LinearHiringModel:
        numeric = [name for name in S.EMPLOYER_FEATURES if name not in S.EMPLOYER_CATEGORICAL]
        columns = ColumnTransformer([
            ("category", OneHotEncoder(handle_unknown="ignore"), list(S.EMPLOYER_CATEGORICAL)),
            ("number", make_pipeline(SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                                     StandardScaler()), numeric),
        ])
        self.pipeline_ = Pipeline([("columns", columns), ("ridge", Ridge(alpha=self.alpha))])
        self.pipeline_.fit(_linear_input(frame), np.asarray(y, dtype=float))
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        return np.maximum(self.pipeline_.predict(_linear_input(frame)), 0.0)


def employer_score(potential: Any, days_since_contact: Any, ageing_offers: Any, oldest_offer_days: Any) -> np.ndarray:
    """The score of the module docstring, vectorised (NaN days since contact = never contacted)."""
    days = np.asarray(days_since_contact, dtype=float)
    staleness = np.where(np.isnan(days), 1.0, np.clip(days, 0, STALE_DAYS) / STALE_DAYS)
    ageing = np.nan_to_num(np.asarray(ageing_offers, dtype=float), nan=0.0)
    oldest = np.nan_to_num(np.asarray(oldest_offer_days, dtype=float), nan=0.0)
    return (POTENTIAL_POINTS * np.log2(1 + np.maximum(np.asarray(potential, dtype=float), 0)) * (0.5 + 0.5 * staleness)
            + AGEING_POINTS * np.minimum(ageing, MAX_AGEING)
            + OLDEST_POINTS_PER_DAY * np.clip(oldest - AGEING_DAYS, 0, OLDEST_CAP_DAYS - AGEING_DAYS))


def _employer_reasons(potential: np.ndarray, frame: pd.DataFrame, high_potential: float,
                      no_contact_days: int) -> list[list[Reason]]:
    def numbers(column: str) -> list[float]:
        return pd.to_numeric(frame[column], errors="coerce").astype(float).tolist()

    never = Reason("employer_never_contacted")
    reasons = []
    for hires, ageing, days, past in zip(potential.tolist(), numbers(S.AGEING_OFFERS),
                                         numbers(S.EMPLOYER_DAYS_SINCE_CONTACT), numbers(S.HIRES_6M)):
        found = []
        if hires >= high_potential:
            found.append(Reason("hiring_potential", {"hires": int(round(hires))}))
        if ageing >= 1:
            found.append(Reason("ageing_offers", {"count": int(ageing), "days": AGEING_DAYS}))
        if math.isnan(days):
            found.append(never)
        elif days >= no_contact_days:
            found.append(Reason("employer_no_contact", {"days": int(days)}))
        if past >= 1:
            found.append(Reason("recent_hires", {"count": int(past)}))
        reasons.append(found)
    return reasons


def score_employers(frame: pd.DataFrame, model: Any, *, high_potential: float = HIGH_POTENTIAL,
                    no_contact_days: int = NO_CONTACT_DAYS, max_reasons: int = MAX_REASONS) -> pd.DataFrame:
    """The employer priority lists: columns ``OUTPUT_COLUMNS``, sorted by counselor then ``RANK``
    (1-based within each counselor's portfolio; employers without a counselor form one more list).

    ``model``: anything with ``predict(frame)`` giving expected hires (HiringPotentialModel or a baseline).
    """
    frame = frame.reset_index(drop=True)
    n = len(frame)
    if n == 0:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in OUTPUT_COLUMNS})
    potential = np.maximum(np.asarray(model.predict(frame), dtype=float), 0.0)
    score = employer_score(potential, pd.to_numeric(frame[S.EMPLOYER_DAYS_SINCE_CONTACT], errors="coerce"),
                           pd.to_numeric(frame[S.AGEING_OFFERS], errors="coerce"),
                           pd.to_numeric(frame[S.OLDEST_OPEN_OFFER_DAYS], errors="coerce"))
    counselors = frame[S.COUNSELOR_ID]
    codes, _ = counselor_codes(counselors)
    ids = frame[S.EMPLOYER_ID].to_numpy()
    order = np.lexsort((ids, -score, codes))
    sorted_codes = codes[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_codes)) + 1]
    ranks = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1
    reasons = _employer_reasons(potential, frame, high_potential, no_contact_days)

    return pd.DataFrame({
        **identity_columns(frame, order, S.EMPLOYER_ID),
        S.HIRING_POTENTIAL: potential[order],
        S.SCORE: score[order],
        S.RANK: ranks,
        S.REASONS: [reasons[row][:max_reasons] for row in order.tolist()],
    })
