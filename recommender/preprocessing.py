"""From a frame to the model matrix: exactly the schema's feature columns, nothing else.

:class:`FrameEncoder` selects ``features`` in their order (a missing column is an error, extra
columns are ignored), turns numbers into floats (missing → NaN) and categorical columns into
category codes learned at ``fit`` (unknown or missing → NaN), which the histogram gradient
boosting models read natively (``categorical_mask``).

Protected attributes (``schema.PROTECTED``) can never be inputs: the encoder refuses a feature
list that contains one, and it reads nothing but its feature list, so a frame that carries them
gives the same matrix as one that does not (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from recommender import schema as S


def check_no_protected(features: Sequence[str]) -> None:
    """Raises ``ValueError`` if a protected attribute is in ``features``."""
    found = sorted(set(features) & set(S.PROTECTED))
    if found:
        raise ValueError(f"protected attributes cannot be model inputs: {', '.join(found)}")


def categorical_mask(features: Sequence[str], categorical: Sequence[str]) -> np.ndarray:
    """Boolean mask of the categorical columns of the model matrix (HGB ``categorical_features``)."""
    return np.array([name in categorical for name in features], dtype=bool)


def _select(frame: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    missing = [name for name in features if name not in frame.columns]
    if missing:
        raise KeyError(f"missing feature columns: {', '.join(missing)}")
    return frame.loc[:, list(features)]


class FrameEncoder(TransformerMixin, BaseEstimator):
    """Selects ``features`` from a frame and encodes them as a float matrix.

    Parameters
    ----------
    features : sequence of str
        Columns of the matrix, in order (default: the job-seeker features).
    categorical : sequence of str
        Those of ``features`` that are categories (encoded as codes learned at ``fit``).
    """

    def __init__(self, features: Sequence[str] = S.JOB_SEEKER_FEATURES,
                 categorical: Sequence[str] = S.JOB_SEEKER_CATEGORICAL) -> None:
        self.features = features
        self.categorical = categorical

    def fit(self, frame: pd.DataFrame, y: object = None) -> FrameEncoder:
        features = list(self.features)
        check_no_protected(features)
        selected = _select(frame, features)
        self.categories_ = {
            name: sorted({str(value) for value in selected[name].dropna().unique()})
            for name in features if name in self.categorical
        }
        self.feature_names_in_ = np.array(features, dtype=object)
        self.n_features_in_ = len(features)
        self.categorical_mask_ = categorical_mask(features, self.categorical)
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "categories_")
        selected = _select(frame, self.feature_names_in_)
        matrix = np.empty((len(selected), len(self.feature_names_in_)), dtype=np.float64)
        for j, name in enumerate(self.feature_names_in_):
            column = selected[name]
            if name in self.categories_:
                values = column.astype(object).map(str, na_action="ignore")
                codes = pd.Index(self.categories_[name]).get_indexer(values).astype(np.float64)
                codes[codes < 0] = np.nan
                matrix[:, j] = codes
            else:
                matrix[:, j] = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        return matrix

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "categories_")
        return self.feature_names_in_.copy()


def thread_limit(n_threads: int | None) -> AbstractContextManager[object]:
    """Caps the OpenMP threads of the gradient boosting models (``None``: the library's default).

    On a machine busy with other jobs, one thread avoids oversubscription, which makes small
    fits many times slower.
    """
    if n_threads is None:
        return nullcontext()
    return threadpool_limits(limits=n_threads, user_api="openmp")


def job_seeker_encoder() -> FrameEncoder:
    return FrameEncoder(S.JOB_SEEKER_FEATURES, S.JOB_SEEKER_CATEGORICAL)


def employer_encoder() -> FrameEncoder:
    return FrameEncoder(S.EMPLOYER_FEATURES, S.EMPLOYER_CATEGORICAL)
