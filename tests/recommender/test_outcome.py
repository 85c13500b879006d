import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from recommender import schema as S
from recommender.outcome import OutcomeModel, calibration_splits
from tests.recommender.synthetic import make_job_seekers

SMALL = dict(max_iter=40, min_samples_leaf=40, cv=3)


@pytest.fixture(scope="module")
def data() -> tuple:
    return make_job_seekers(4000, 11), make_job_seekers(3000, 12)


@pytest.fixture(scope="module")
def fitted(data: tuple) -> OutcomeModel:
    train, _ = data
    return OutcomeModel(random_state=0, **SMALL).fit(train, train[S.LABEL_EMPLOYMENT])


def test_probabilities_are_calibrated_and_discriminate(fitted: OutcomeModel, data: tuple) -> None:
    _, test = data
    proba = fitted.predict_proba(test)
    assert proba.shape == (len(test), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    p = fitted.predict_probability(test)
    np.testing.assert_array_equal(p, proba[:, 1])
    assert ((p >= 0) & (p <= 1)).all()
    assert list(fitted.classes_) == [0, 1]
    y = test[S.LABEL_EMPLOYMENT].to_numpy()
    assert roc_auc_score(y, p) > 0.70
    assert abs(p.mean() - y.mean()) < 0.03
    # Calibration by decile of the prediction, against the true probability of the synthetic model.
    deciles = np.quantile(p, np.linspace(0, 1, 11))
    bins = np.clip(np.searchsorted(deciles, p, side="right") - 1, 0, 9)
    truth = test["true_probability"].to_numpy()
    gaps = [abs(p[bins == b].mean() - truth[bins == b].mean()) for b in range(10) if (bins == b).any()]
    assert max(gaps) < 0.08
    assert set(fitted.predict(test)) <= {0, 1}


def test_deterministic_and_picklable(fitted: OutcomeModel, data: tuple) -> None:
    train, test = data
    again = OutcomeModel(random_state=0, **SMALL).fit(train, train[S.LABEL_EMPLOYMENT])
    np.testing.assert_array_equal(fitted.predict_probability(test), again.predict_probability(test))
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(fitted.predict_probability(test), restored.predict_probability(test))


def test_calibration_folds_keep_each_person_on_one_side() -> None:
    frame = make_job_seekers(600, 13)
    stacked = pd.concat([frame, frame.assign(**{S.AS_OF: pd.Timestamp("2026-07-01")})], ignore_index=True)
    y = stacked[S.LABEL_EMPLOYMENT].to_numpy()
    ids = stacked[S.JOB_SEEKER_ID].to_numpy()
    splits = calibration_splits(stacked, y, cv=3)
    assert len(splits) == 3
    for train, test in splits:
        assert not set(ids[train]) & set(ids[test])
    assert sorted(np.concatenate([test for _, test in splits])) == list(range(len(stacked)))
    without_ids = calibration_splits(stacked.drop(columns=[S.JOB_SEEKER_ID]), y, cv=3, random_state=0)
    assert len(without_ids) == 3
    model = OutcomeModel(random_state=0, max_iter=10, min_samples_leaf=40, cv=2, calibration="sigmoid")
    assert model.fit(stacked, y).predict_probability(frame).shape == (600,)


def test_unfitted_model_refuses_to_predict(data: tuple) -> None:
    with pytest.raises(NotFittedError):
        OutcomeModel().predict_probability(data[1])
