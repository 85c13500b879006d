"""The effect of contacting someone now: uplift of P(return to employment within 6 months).

Trained on the **randomised** contacts (``schema.TREATED_RANDOM``: about a tenth of active
people each month are picked for a counselor contact drawn at random, independent of
everything). The counselors' own contacts (``schema.TREATED``) are not used as treatment: they
go to people with low employability, overdue files or rights ending, so treated and untreated
differ in ways the features only partly capture. A pick only counts when the regular policy
leaves the person alone (otherwise the contact is recorded as regular), so ``PriorityModel``
fits this model on the rows with ``REGULAR_CONTACT = 0``, where the pick is a fair coin. What is
estimated is then the gain of a contact now for someone who would not get one otherwise; the
gain of a contact on top of recent ones is smaller (the effect saturates), which the contact
history features (``CONTACTS_30D``, ``DAYS_SINCE_CONTACT``) let the model learn.

Methods (``method=``), all with regularised histogram gradient boosting outcome models:

- ``"r_linear"`` (default): an R-learner whose effect is linear in three terms
  (``effect_basis``): the cross-fitted P(employment) ``m`` (all features, both arms), contacted
  in the last 30 days, log days since the last contact (the effect saturates). With the
  propensity known (a coin), it is a weighted ridge regression of ``(y − m)/(t − e)`` with
  weights ``(t − e)²``; ``m`` for new rows comes from an outcome model fitted on every row.
  See "Why the default" below.
- ``"x_learner"``: outcome models per arm, imputed individual effects, one effect
  model per arm, combined with the propensity ``g``: ``τ(x) = g·τ₀(x) + (1 − g)·τ₁(x)``.
  With ~10 % treated, ``τ₁`` (fitted on the treated, against the accurate control outcome
  model) carries most of the weight, which is the case the X-learner was designed for.
- ``"t_learner"``: difference of two outcome models (treated, control).
- ``"dr_learner"``: regression of the cross-fitted doubly robust (AIPW) pseudo-outcome.
- ``"s_learner"``: one outcome model with the treatment as a feature.

Why the default is ``"r_linear"``: the demo data has few randomised contacts — about 2,700
treated rows on the ``REGULAR_CONTACT = 0`` rows of the 12 training snapshots of the medium
database (840 in the 3 evaluation snapshots) — far fewer than the synthetic study below, and
there the trees of every learner mostly fit noise. Chosen on the training snapshots only (the
evaluation snapshots unseen), Qini of the gain alone on the randomised rows, 95 % bootstrap
interval, X-learner (former default) → this one:

    4-fold cross-fitting grouped by person   0.00008 [−0.00026, 0.00038] → 0.00042 [0.00021, 0.00071]
    first 9 snapshots → last 3               0.00024 [−0.00043, 0.00100] → 0.00093 [0.00027, 0.00146]

Also tried there, and no better: the X-learner with larger leaves, fewer trees, or effect models
on a few strong features; a shrunk difference of means per band of ``m`` × barriers × recent
contact; this linear effect with more terms (``m(1 − m)``, a bump at ``m = 0.5``, barriers:
0.00025 | 0.00076 on the two validations) or ``m`` alone (0.00038 | 0.00083). The X-learner
remains the choice with many randomised rows, as below.

Why the X-learner with many randomised rows (its defaults below): on synthetic data mirroring
the demo's generative model (``tests/recommender/synthetic.py``: 10 % picked at random,
heterogeneous saturating effect), trained on the ``REGULAR_CONTACT = 0`` rows of 300,000 (about
140,000 rows, 14,000 treated) and scored on the same rows of 100,000 held-out people, its Qini coefficient against
the true effect (0 = random order, 1 = perfect) was, over six training seeds,

    X-learner  0.41 0.34 0.39 0.38 0.44 0.44   mean 0.40  (best in 5 of 6, level in the other)
    T-learner  0.35 0.34 0.38 0.38 0.28 0.41   mean 0.36
    DR-learner 0.39 0.19 0.36 (three seeds)    mean 0.31
    S-learner  about 0: its trees never split on the treatment, every effect is 0

(it also led in earlier runs on every row against the effect of an added contact, at 30,000
to 300,000 rows and with other base-model settings, level with the T-learner once). Its
predicted levels are realistic — mean of its top decile 0.037–0.054 for a true 0.035–0.038,
where the T-learner says 0.057–0.069 — which the reason thresholds of
``recommender/priority.py`` rely on. In its top 10 % it gathers as much true gain as the
T-learner (27 % against 29 % of the perfect order's excess over the average). The method
stays switchable.

The first-stage outcome models are deliberately as well fitted as the outcome model. Weaker
ones scored as well or better (0.41 here; 0.55 against 0.41 in the earlier runs), but partly
because the baseline they leave unexplained passes for an effect: their estimates correlate
0.71–0.79 with P(employment) (ranking by the true P(employment) itself scores 0.37 here, since
people with low chances are contacted often or carry heavy barriers) and overstate the effects
three- to fourfold. That is cream-skimming — contacting first those who would find work
anyway — dressed as uplift, and it would not survive data where the two part ways.

``predict_uplift`` returns a difference of probabilities (0.05 = 5 points), possibly negative.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from recommender import schema as S
from recommender.preprocessing import job_seeker_encoder, thread_limit

METHODS = ("r_linear", "x_learner", "t_learner", "dr_learner", "s_learner")
PROPENSITY_BOUNDS = (0.01, 0.99)
# The features the linear effect of ``"r_linear"`` reads besides the cross-fitted outcome.
BASIS_FEATURES = (S.CONTACTS_30D, S.DAYS_SINCE_CONTACT)


def effect_basis(m: np.ndarray, contacts_30d: np.ndarray, days_since_contact: np.ndarray) -> np.ndarray:
    """The terms the ``"r_linear"`` effect is linear in (missing count → 0, never contacted → 365 days)."""
    contacts = np.nan_to_num(np.asarray(contacts_30d, dtype=float), nan=0.0)
    days = np.clip(np.nan_to_num(np.asarray(days_since_contact, dtype=float), nan=365.0), 0, 365)
    return np.column_stack([np.asarray(m, dtype=float), contacts > 0, np.log1p(days)]).astype(float)


class ContactEffectModel(BaseEstimator):
    """Estimated uplift of P(employment) from a contact now, per row of a job-seeker frame.

    Parameters
    ----------
    method : {"r_linear", "x_learner", "t_learner", "dr_learner", "s_learner"}
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf :
        Of the models whose output is the effect (X: τ₀, τ₁; DR: τ; T and S: their outcome
        models, whose difference is the effect): few shallow trees with large leaves, since
        effects are small next to the outcome's noise.
    outcome_max_iter, outcome_learning_rate, outcome_max_leaf_nodes, outcome_min_samples_leaf :
        Of the first-stage outcome models of the X- and DR-learners (μ₀, μ₁), fitted as well as
        the outcome model: what they leave unexplained would pass for an effect.
    l2_regularization : float
        Of every base model.
    effect_alpha : float
        Ridge penalty of the ``"r_linear"`` effect (on standardised terms).
    cv : int
        Cross-fitting folds of the DR-learner and of the outcome ``m`` of ``"r_linear"``.
    random_state : int or None
    n_threads : int or None
        OpenMP threads while fitting and predicting (``None``: the library's default, every core).
        One by default: on a machine shared with other jobs, OpenMP oversubscription made fits
        up to 20 times slower, while a second thread gains at most a factor 2.
    """

    def __init__(self, *, method: str = "r_linear", max_iter: int = 100, learning_rate: float = 0.02,
                 max_leaf_nodes: int = 4, min_samples_leaf: int = 500, outcome_max_iter: int = 100,
                 outcome_learning_rate: float = 0.1, outcome_max_leaf_nodes: int = 31,
                 outcome_min_samples_leaf: int = 100, l2_regularization: float = 1.0,
                 effect_alpha: float = 100.0, cv: int = 3, random_state: int | None = None,
                 n_threads: int | None = 1) -> None:
        self.method = method
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.outcome_max_iter = outcome_max_iter
        self.outcome_learning_rate = outcome_learning_rate
        self.outcome_max_leaf_nodes = outcome_max_leaf_nodes
        self.outcome_min_samples_leaf = outcome_min_samples_leaf
        self.l2_regularization = l2_regularization
        self.effect_alpha = effect_alpha
        self.cv = cv
        self.random_state = random_state
        self.n_threads = n_threads

    # ------------------------------------------------------------------ base models
    def _options(self, mask: np.ndarray, stage: str) -> dict[str, Any]:
        if stage == "outcome":
            sizes = dict(max_iter=self.outcome_max_iter, learning_rate=self.outcome_learning_rate,
                         max_leaf_nodes=self.outcome_max_leaf_nodes, min_samples_leaf=self.outcome_min_samples_leaf)
        else:
            sizes = dict(max_iter=self.max_iter, learning_rate=self.learning_rate,
                         max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf)
        return dict(**sizes, l2_regularization=self.l2_regularization, categorical_features=mask,
                    early_stopping=False, random_state=self.random_state)

    def _classifier(self, matrix: np.ndarray, y: np.ndarray, mask: np.ndarray,
                    stage: str = "effect") -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(**self._options(mask, stage)).fit(matrix, y)

    def _regressor(self, matrix: np.ndarray, y: np.ndarray, mask: np.ndarray) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(**self._options(mask, "effect")).fit(matrix, y)

    # ------------------------------------------------------------------ fit / predict
    def fit(self, frame: pd.DataFrame, y: Any, treatment: Any, propensity: Any = None) -> ContactEffectModel:
        """Fits on the outcome ``y`` (0/1) and the randomised ``treatment`` (0/1).

        ``propensity``: P(treatment) per row or one number; by default the share treated
        (the draw is independent of everything, so it is a constant).
        """
        with thread_limit(self.n_threads):
            return self._fit(frame, y, treatment, propensity)

    def _fit(self, frame: pd.DataFrame, y: Any, treatment: Any, propensity: Any) -> ContactEffectModel:
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose among {', '.join(METHODS)}")
        y = np.asarray(y).astype(float)
        t = np.asarray(treatment).astype(int)
        if not (t.min(initial=1) == 0 and t.max(initial=0) == 1):
            raise ValueError("the treatment must have both treated and untreated rows")
        if propensity is None:
            propensity = t.mean()
        e = np.clip(np.broadcast_to(np.asarray(propensity, dtype=float), t.shape), *PROPENSITY_BOUNDS)
        self.propensity_ = float(e.mean())
        self.encoder_ = job_seeker_encoder().fit(frame)
        matrix = self.encoder_.transform(frame)
        mask = self.encoder_.categorical_mask_
        treated, control = t == 1, t == 0
        self.models_: dict[str, Any] = {}
        if self.method == "t_learner":
            self.models_ = {"mu0": self._classifier(matrix[control], y[control], mask),
                            "mu1": self._classifier(matrix[treated], y[treated], mask)}
        elif self.method == "x_learner":
            mu0 = self._classifier(matrix[control], y[control], mask, "outcome")
            mu1 = self._classifier(matrix[treated], y[treated], mask, "outcome")
            d1 = y[treated] - mu0.predict_proba(matrix[treated])[:, 1]
            d0 = mu1.predict_proba(matrix[control])[:, 1] - y[control]
            self.models_ = {"tau1": self._regressor(matrix[treated], d1, mask),
                            "tau0": self._regressor(matrix[control], d0, mask)}
        elif self.method == "dr_learner":
            self.models_ = {"tau": self._regressor(matrix, self._pseudo_outcome(matrix, y, t, e, mask), mask)}
        elif self.method == "r_linear":
            m = self._cross_fitted_outcome(matrix, y, t, mask)
            w = t - e
            basis = self._basis(matrix, m)
            effect = make_pipeline(StandardScaler(), Ridge(alpha=self.effect_alpha))
            effect.fit(basis, (y - m) / w, ridge__sample_weight=w ** 2)
            self.models_ = {"m": self._classifier(matrix, y, mask, "outcome"), "tau": effect}
        else:  # s_learner
            with_t = np.column_stack([matrix, t])
            self.models_ = {"mu": self._classifier(with_t, y, np.append(mask, False))}
        return self

    def _cross_fitted_outcome(self, matrix: np.ndarray, y: np.ndarray, t: np.ndarray, mask: np.ndarray,
                              arm: int | None = None) -> np.ndarray:
        """P(y = 1 | x) on every row from an outcome model that did not see it, fitted on the rows
        of ``arm`` (0 or 1) or of both arms (``None``); the same folds for every call."""
        out = np.empty(len(y))
        folds = StratifiedKFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        for train, test in folds.split(matrix, 2 * t + y.astype(int)):
            rows = train if arm is None else train[t[train] == arm]
            out[test] = self._classifier(matrix[rows], y[rows], mask, "outcome").predict_proba(matrix[test])[:, 1]
        return out

    def _basis(self, matrix: np.ndarray, m: np.ndarray) -> np.ndarray:
        names = list(self.encoder_.feature_names_in_)
        return effect_basis(m, *(matrix[:, names.index(name)] for name in BASIS_FEATURES))

    def _pseudo_outcome(self, matrix: np.ndarray, y: np.ndarray, t: np.ndarray, e: np.ndarray,
                        mask: np.ndarray) -> np.ndarray:
        """Cross-fitted AIPW pseudo-outcome: μ₁ − μ₀ + t(y − μ₁)/e − (1 − t)(y − μ₀)/(1 − e)."""
        mu0, mu1 = (self._cross_fitted_outcome(matrix, y, t, mask, arm) for arm in (0, 1))
        return mu1 - mu0 + t * (y - mu1) / e - (1 - t) * (y - mu0) / (1 - e)

    def predict_uplift(self, frame: pd.DataFrame) -> np.ndarray:
        """Estimated gain of P(employment) from a contact now (difference of probabilities), 1-d."""
        check_is_fitted(self, "models_")
        matrix = self.encoder_.transform(frame)
        with thread_limit(self.n_threads):
            return np.clip(self._uplift(matrix), -1.0, 1.0)

    def _uplift(self, matrix: np.ndarray) -> np.ndarray:
        models = self.models_
        if self.method == "t_learner":
            uplift = models["mu1"].predict_proba(matrix)[:, 1] - models["mu0"].predict_proba(matrix)[:, 1]
        elif self.method == "x_learner":
            g = self.propensity_
            uplift = g * models["tau0"].predict(matrix) + (1 - g) * models["tau1"].predict(matrix)
        elif self.method == "dr_learner":
            uplift = models["tau"].predict(matrix)
        elif self.method == "r_linear":
            m = models["m"].predict_proba(matrix)[:, 1]
            uplift = models["tau"].predict(self._basis(matrix, m))
        else:
            mu = models["mu"]
            uplift = (mu.predict_proba(np.column_stack([matrix, np.ones(len(matrix))]))[:, 1]
                      - mu.predict_proba(np.column_stack([matrix, np.zeros(len(matrix))]))[:, 1])
        return uplift
