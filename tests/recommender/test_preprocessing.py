import numpy as np
import pandas as pd
import pytest

from recommender import schema as S
from recommender.outcome import OutcomeModel
from recommender.preprocessing import FrameEncoder, employer_encoder, job_seeker_encoder
from tests.recommender.synthetic import make_employers, make_job_seekers


def test_feature_lists_hold_no_protected_attribute() -> None:
    for features in (S.JOB_SEEKER_FEATURES, S.EMPLOYER_FEATURES):
        assert not set(features) & set(S.PROTECTED)
    assert set(S.JOB_SEEKER_CATEGORICAL) <= set(S.JOB_SEEKER_FEATURES)
    assert set(S.EMPLOYER_CATEGORICAL) <= set(S.EMPLOYER_FEATURES)


@pytest.mark.parametrize("protected", S.PROTECTED)
def test_the_encoder_refuses_a_protected_feature(protected: str) -> None:
    frame = make_job_seekers(50, 0)
    with pytest.raises(ValueError, match="protected"):
        FrameEncoder(features=(*S.JOB_SEEKER_FEATURES, protected)).fit(frame)


def test_protected_columns_change_nothing() -> None:
    frame = make_job_seekers(300, 1)
    without = frame.drop(columns=list(S.PROTECTED))
    scrambled = frame.copy()
    rng = np.random.default_rng(0)
    for column in S.PROTECTED:
        scrambled[column] = rng.permutation(scrambled[column].to_numpy())
    encoder = job_seeker_encoder().fit(frame)
    matrix = encoder.transform(frame)
    assert list(encoder.get_feature_names_out()) == list(S.JOB_SEEKER_FEATURES)
    np.testing.assert_array_equal(matrix, job_seeker_encoder().fit(without).transform(without))
    np.testing.assert_array_equal(matrix, encoder.transform(scrambled))


def test_a_fitted_model_ignores_protected_columns() -> None:
    frame = make_job_seekers(1500, 2)
    model = OutcomeModel(max_iter=15, min_samples_leaf=40, cv=2, random_state=0)
    model.fit(frame, frame[S.LABEL_EMPLOYMENT])
    scrambled = frame.copy()
    scrambled[S.GENDER] = np.where(frame[S.GENDER] == "female", "male", "female")
    scrambled[S.NATIONALITY_GROUP] = "non_eu"
    scrambled[S.AGE_BAND] = "50+"
    scrambled[S.DISABILITY] = 1 - frame[S.DISABILITY]
    scrambled[S.QPV] = 1 - frame[S.QPV]
    np.testing.assert_array_equal(model.predict_probability(frame), model.predict_probability(scrambled))
    np.testing.assert_array_equal(model.predict_probability(frame),
                                  model.predict_probability(frame.drop(columns=list(S.PROTECTED))))


def test_categories_are_codes_unknown_and_missing_are_nan() -> None:
    frame = make_job_seekers(200, 3)
    encoder = job_seeker_encoder().fit(frame)
    position = list(S.JOB_SEEKER_FEATURES).index(S.MODALITY)
    assert encoder.categorical_mask_[position] and encoder.categorical_mask_.sum() == 1
    other = frame.head(3).copy()
    other[S.MODALITY] = ["suivi", "nouvelle", None]
    codes = encoder.transform(other)[:, position]
    assert codes[0] == encoder.categories_[S.MODALITY].index("suivi")
    assert np.isnan(codes[1]) and np.isnan(codes[2])


def test_extra_columns_are_ignored_and_missing_features_are_an_error() -> None:
    frame = make_job_seekers(100, 4)
    encoder = job_seeker_encoder().fit(frame)
    shuffled = frame[list(reversed(frame.columns))].assign(anything_else=1)
    np.testing.assert_array_equal(encoder.transform(frame), encoder.transform(shuffled))
    with pytest.raises(KeyError, match=S.MOBILITY_KM):
        encoder.transform(frame.drop(columns=[S.MOBILITY_KM]))


def test_employer_encoder_selects_the_employer_features() -> None:
    frame = make_employers(100, 0).assign(**{S.GENDER: "female"})
    matrix = employer_encoder().fit(frame).transform(frame)
    assert matrix.shape == (100, len(S.EMPLOYER_FEATURES))
    assert pd.notna(matrix[:, list(S.EMPLOYER_FEATURES).index(S.NAF_SECTION)]).all()
