import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from recommender import schema as S
from recommender.uplift import METHODS, ContactEffectModel, effect_basis
from tests.recommender.synthetic import make_job_seekers


def qini(uplift: np.ndarray, true_uplift: np.ndarray) -> float:
    """Area between the cumulative true gain when contacting people in the predicted order and the
    same for a random order, as a share of that area for the perfect order (1 = perfect, 0 = random)."""
    n = len(true_uplift)
    random_line = np.arange(1, n + 1) / n * true_uplift.sum()
    gain = np.cumsum(true_uplift[np.argsort(-uplift, kind="stable")])
    perfect = np.cumsum(np.sort(true_uplift)[::-1])
    return float((gain - random_line).sum() / (perfect - random_line).sum())


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(pd.Series(a).rank(), pd.Series(b).rank())[0, 1])


@pytest.fixture(scope="module")
def held_out() -> pd.DataFrame:
    return make_job_seekers(10000, 101)


def test_learned_uplift_ranks_the_true_uplift_better_than_random(held_out: pd.DataFrame) -> None:
    # Half the people picked at random (the demo has a tenth, over many more rows): enough signal for
    # a small test; trained, as PriorityModel does, where the pick is a fair coin (no regular contact);
    # outcome models sized for these 7,500 rows rather than the defaults' hundreds of thousands.
    train = make_job_seekers(16000, 100, random_share=0.5).query(f"{S.REGULAR_CONTACT} == 0")
    model = ContactEffectModel(outcome_max_iter=100, outcome_learning_rate=0.05, outcome_max_leaf_nodes=8,
                               random_state=0)
    model.fit(train, train[S.LABEL_EMPLOYMENT], train[S.TREATED_RANDOM])
    predicted = model.predict_uplift(held_out)
    truth = held_out["true_uplift"].to_numpy()
    assert predicted.shape == (len(held_out),)
    assert spearman(predicted, truth) > 0.1
    assert qini(predicted, truth) > 0.1
    # The people with the largest estimated gain truly gain more than the others.
    top = predicted >= np.quantile(predicted, 0.8)
    assert truth[top].mean() > 1.5 * truth[~top].mean()
    assert qini(truth, truth) == pytest.approx(1.0)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_fits_and_predicts(method: str, held_out: pd.DataFrame) -> None:
    train = make_job_seekers(3000, 102, random_share=0.3)
    model = ContactEffectModel(method=method, max_iter=15, min_samples_leaf=50, outcome_max_iter=15, random_state=0)
    model.fit(train, train[S.LABEL_EMPLOYMENT], train[S.TREATED_RANDOM])
    uplift = model.predict_uplift(held_out.head(500))
    assert uplift.shape == (500,)
    assert np.isfinite(uplift).all() and (np.abs(uplift) <= 1).all()


def test_the_linear_effect_basis_and_its_coefficients(held_out: pd.DataFrame) -> None:
    basis = effect_basis(np.array([0.2, 0.5]), np.array([0.0, np.nan]), np.array([10.0, np.nan]))
    np.testing.assert_allclose(basis, [[0.2, 0.0, np.log1p(10)], [0.5, 0.0, np.log1p(365)]])
    # A known effect, recovered: 20 points for people not contacted in the last 30 days, none otherwise.
    rng = np.random.default_rng(0)
    frame = held_out.copy()
    n = len(frame)
    recent = frame[S.CONTACTS_30D].fillna(0).to_numpy() > 0
    assert 0.1 < recent.mean() < 0.9
    effect = np.where(recent, 0.0, 0.2)
    t = (rng.random(n) < 0.5).astype(int)
    y = (rng.random(n) < 0.3 + t * effect).astype(int)
    model = ContactEffectModel(method="r_linear", outcome_max_iter=30, effect_alpha=1.0, random_state=0)
    model.fit(frame, y, t)
    predicted = model.predict_uplift(frame)
    assert predicted[~recent].mean() - predicted[recent].mean() > 0.1
    assert abs(predicted.mean() - effect.mean()) < 0.03


def test_deterministic_picklable_and_propensity_options(held_out: pd.DataFrame) -> None:
    train = make_job_seekers(3000, 103, random_share=0.3)
    y, t = train[S.LABEL_EMPLOYMENT], train[S.TREATED_RANDOM]
    small = dict(max_iter=20, min_samples_leaf=50, outcome_max_iter=20, random_state=3)
    first = ContactEffectModel(**small).fit(train, y, t)
    second = ContactEffectModel(**small).fit(train, y, t)
    frame = held_out.head(300)
    np.testing.assert_array_equal(first.predict_uplift(frame), second.predict_uplift(frame))
    np.testing.assert_array_equal(first.predict_uplift(frame), pickle.loads(pickle.dumps(first)).predict_uplift(frame))
    assert first.propensity_ == pytest.approx(t.mean())
    known = ContactEffectModel(max_iter=5, outcome_max_iter=5).fit(train, y, t, propensity=np.full(len(t), 0.3))
    assert known.propensity_ == pytest.approx(0.3)


def test_bad_inputs_are_refused(held_out: pd.DataFrame) -> None:
    train = held_out.head(200)
    with pytest.raises(ValueError, match="method"):
        ContactEffectModel(method="magic").fit(train, train[S.LABEL_EMPLOYMENT], train[S.TREATED_RANDOM])
    with pytest.raises(ValueError, match="treated and untreated"):
        ContactEffectModel().fit(train, train[S.LABEL_EMPLOYMENT], np.zeros(len(train)))
    with pytest.raises(NotFittedError):
        ContactEffectModel().predict_uplift(train)
