import pickle

import numpy as np
import pandas as pd
import pytest

from recommender import schema as S
from recommender.employers import (
    OUTPUT_COLUMNS, HiringPotentialModel, LastPeriodHires, LinearHiringModel, employer_score, score_employers,
)
from tests.recommender.synthetic import make_employers


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_employers(3000, 21), make_employers(3000, 22)


@pytest.fixture(scope="module")
def fitted(data: tuple) -> HiringPotentialModel:
    train, _ = data
    return HiringPotentialModel(max_iter=100, random_state=0).fit(train, train[S.LABEL_HIRES_NEXT_6M])


def captured(predicted: np.ndarray, hires: np.ndarray, share: float = 0.1) -> float:
    """Share of the next period's hires made by the top ``share`` of employers by prediction."""
    top = np.argsort(-predicted, kind="stable")[: int(share * len(hires))]
    return float(hires[top].sum() / hires.sum())


def test_the_model_captures_more_hires_in_its_top_decile_than_last_period(fitted, data) -> None:
    train, test = data
    hires = test[S.LABEL_HIRES_NEXT_6M].to_numpy()
    model = captured(fitted.predict(test), hires)
    baseline = captured(LastPeriodHires().predict(test), hires)
    linear = LinearHiringModel().fit(train, train[S.LABEL_HIRES_NEXT_6M])
    assert model > baseline + 0.01
    assert captured(linear.predict(test), hires) > baseline
    assert (fitted.predict(test) >= 0).all() and (linear.predict(test) >= 0).all()
    np.testing.assert_array_equal(LastPeriodHires().predict(test), test[S.HIRES_6M].to_numpy())
    assert LastPeriodHires().fit(train).predict(test.head(2)).shape == (2,)


def test_deterministic_and_picklable(fitted, data) -> None:
    train, test = data
    again = HiringPotentialModel(max_iter=100, random_state=0).fit(train, train[S.LABEL_HIRES_NEXT_6M])
    np.testing.assert_array_equal(fitted.predict(test), again.predict(test))
    np.testing.assert_array_equal(fitted.predict(test), pickle.loads(pickle.dumps(fitted)).predict(test))


def test_the_potential_blends_boosting_and_ridge(fitted, data) -> None:
    train, test = data
    y = train[S.LABEL_HIRES_NEXT_6M]
    boosting = HiringPotentialModel(max_iter=100, linear_weight=0.0, random_state=0).fit(train, y)
    ridge = LinearHiringModel().fit(train, y)
    assert boosting.linear_ is None
    np.testing.assert_allclose(fitted.predict(test), 0.3 * boosting.predict(test) + 0.7 * ridge.predict(test))
    only_ridge = HiringPotentialModel(max_iter=10, linear_weight=1.0, random_state=0).fit(train, y)
    np.testing.assert_allclose(only_ridge.predict(test), ridge.predict(test))
    with pytest.raises(ValueError, match="linear_weight"):
        HiringPotentialModel(linear_weight=1.5).fit(train, y)


def test_linear_baseline_copes_with_missing_values_and_unknown_sectors(data) -> None:
    train, test = data
    train = train.copy()
    train[S.OLDEST_OPEN_OFFER_DAYS] = np.nan  # a feature with no value at all
    linear = LinearHiringModel(alpha=0.5).fit(train, train[S.LABEL_HIRES_NEXT_6M])
    odd = test.head(5).copy()
    odd[S.NAF_SECTION] = ["Z", None, "A", "C", "F"]
    odd[S.EMPLOYER_DAYS_SINCE_CONTACT] = np.nan
    assert np.isfinite(linear.predict(odd)).all()


def test_score_formula() -> None:
    score = employer_score([3.0, 3.0, 0.0, 0.0, 0.0], [np.nan, 0.0, 400.0, 10.0, 10.0], [0, 0, 5, 1, 0],
                           [np.nan, np.nan, 95.0, 45.0, 10.0])
    np.testing.assert_allclose(score, [20.0, 10.0, 24 + 6, 8 + 1.5, 0.0])


def test_score_employers_lists_ranks_and_reasons(fitted, data) -> None:
    _, test = data
    scored = score_employers(test, fitted)
    assert tuple(scored.columns) == OUTPUT_COLUMNS
    assert len(scored) == len(test)
    for _, rows in scored.groupby(S.COUNSELOR_ID):
        assert rows[S.RANK].tolist() == list(range(1, len(rows) + 1))
        assert rows[S.SCORE].is_monotonic_decreasing
    assert scored[S.REASONS].map(len).max() <= 4
    shuffled = score_employers(test.sample(frac=1, random_state=2), fitted)
    pd.testing.assert_frame_equal(scored.drop(columns=[S.REASONS]), shuffled.drop(columns=[S.REASONS]))

    class Fixed:
        def predict(self, frame: pd.DataFrame) -> np.ndarray:
            return np.array([4.2, 0.5, 1.0])

    frame = test.head(3).copy()
    frame[S.COUNSELOR_ID] = [1, 1, 2]
    frame[S.AGEING_OFFERS] = [2.0, 0.0, 1.0]
    frame[S.EMPLOYER_DAYS_SINCE_CONTACT] = [120.0, np.nan, 12.0]
    frame[S.HIRES_6M] = [5.0, 0.0, 1.0]
    reasons = score_employers(frame, Fixed()).set_index(S.EMPLOYER_ID)[S.REASONS]
    ids = frame[S.EMPLOYER_ID].tolist()
    assert [r.text for r in reasons[ids[0]]] == [
        "Potentiel d'embauche élevé : environ 4 recrutements attendus sur 6 mois",
        "2 offres non pourvues depuis plus de 30 jours",
        "Aucun contact depuis 120 jours",
        "5 recrutements sur les 6 derniers mois",
    ]
    assert [r.text for r in reasons[ids[1]]] == ["Aucun contact enregistré avec cet employeur"]
    assert [r.text for r in reasons[ids[2]]] == ["1 offre non pourvue depuis plus de 30 jours",
                                                 "1 recrutement sur les 6 derniers mois"]
    assert list(score_employers(frame.iloc[:0], Fixed()).columns) == list(OUTPUT_COLUMNS)
