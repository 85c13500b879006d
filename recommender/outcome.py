"""P(return to employment within 6 months): ``schema.LABEL_EMPLOYMENT`` from the job-seeker features.

A histogram gradient boosting classifier (missing values and the modality handled natively),
calibrated by cross-validation (``CalibratedClassifierCV``, isotonic by default) so that the
probability shown to counselors and used by the evaluation means what it says: the calibrator
is fitted on out-of-fold predictions, then applied to one booster fitted on every row
(``ensemble=False``: scoring costs one booster, not one per fold). Deterministic for a fixed
``random_state``.

Training frames stack several days D, so one person appears in several rows: when the frame has
``schema.JOB_SEEKER_ID``, the calibration folds are grouped by person (``GroupKFold``), otherwise
a person's other rows would make the held-out fold look easier than new people are.

This probability is shown and evaluated; the priority list does NOT rank by it (ranking by risk
sends counselors to people a contact does not help, see ``recommender/priority.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from recommender import schema as S
from recommender.preprocessing import job_seeker_encoder, thread_limit


def calibration_splits(frame: pd.DataFrame, y: np.ndarray, *, cv: int, groups: Any = None,
                       random_state: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The calibration folds: grouped by ``groups`` (by default the person, when the frame has
    ``JOB_SEEKER_ID``), else stratified on ``y``."""
    if groups is None and S.JOB_SEEKER_ID in frame.columns:
        groups = frame[S.JOB_SEEKER_ID].to_numpy()
    if groups is not None:
        return list(GroupKFold(n_splits=cv).split(np.zeros(len(y)), y, groups))
    return list(StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state).split(np.zeros(len(y)), y))


class OutcomeModel(ClassifierMixin, BaseEstimator):
    """Calibrated P(``LABEL_EMPLOYMENT`` = 1) for each row of a job-seeker frame.

    Parameters
    ----------
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization :
        Of the ``HistGradientBoostingClassifier``.
    calibration : {"isotonic", "sigmoid"}
        ``CalibratedClassifierCV`` method.
    cv : int
        Calibration folds (grouped by person when the frame has ``JOB_SEEKER_ID``).
    random_state : int or None
    n_threads : int or None
        OpenMP threads while fitting and predicting (``None``: the library's default, every core).
        One by default: on a machine shared with other jobs, OpenMP oversubscription made fits
        up to 20 times slower, while a second thread gains at most a factor 2.
    """

    def __init__(self, *, max_iter: int = 100, learning_rate: float = 0.1, max_leaf_nodes: int = 31,
                 min_samples_leaf: int = 100, l2_regularization: float = 1.0, calibration: str = "isotonic",
                 cv: int = 3, random_state: int | None = None, n_threads: int | None = 1) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.calibration = calibration
        self.cv = cv
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, frame: pd.DataFrame, y: Any, *, groups: Any = None) -> OutcomeModel:
        """Fits on ``frame`` (features read from the schema) and the 0/1 labels ``y``."""
        y = np.asarray(y).astype(int)
        self.encoder_ = job_seeker_encoder().fit(frame)
        matrix = self.encoder_.transform(frame)
        booster = HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
            categorical_features=self.encoder_.categorical_mask_, early_stopping=False,
            random_state=self.random_state)
        splits = calibration_splits(frame, y, cv=self.cv, groups=groups, random_state=self.random_state)
        with thread_limit(self.n_threads):
            self.calibrated_ = CalibratedClassifierCV(booster, method=self.calibration, cv=splits,
                                                      ensemble=False).fit(matrix, y)
        self.classes_ = self.calibrated_.classes_
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """n × 2: P(label = 0), P(label = 1)."""
        check_is_fitted(self, "calibrated_")
        matrix = self.encoder_.transform(frame)
        with thread_limit(self.n_threads):
            return self.calibrated_.predict_proba(matrix)

    def predict_probability(self, frame: pd.DataFrame) -> np.ndarray:
        """P(label = 1), 1-d."""
        return self.predict_proba(frame)[:, 1]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return (self.predict_probability(frame) >= 0.5).astype(int)
