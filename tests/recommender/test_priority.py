import math
import pickle

import numpy as np
import pandas as pd
import pytest

from recommender import schema as S
from recommender.outcome import OutcomeModel
from recommender.urgency import DEADLINE_POINTS
from recommender.priority import OUTPUT_COLUMNS, PriorityModel, priority_score, score_job_seekers, score_parts
from recommender.uplift import ContactEffectModel
from tests.recommender.synthetic import make_job_seekers


class Known:
    """A fitted-model stand-in: reads the uplift and the probability from the frame."""

    def predict_uplift(self, frame: pd.DataFrame) -> np.ndarray:
        return frame["known_uplift"].to_numpy(dtype=float)

    def predict_probability(self, frame: pd.DataFrame) -> np.ndarray:
        return frame["known_probability"].to_numpy(dtype=float)


def portfolios(n: int = 1200, seed: int = 5, counselors: int = 3) -> pd.DataFrame:
    frame = make_job_seekers(n, seed, n_counselors=counselors)
    rng = np.random.default_rng(seed)
    return frame.assign(known_uplift=rng.normal(0.01, 0.02, n), known_probability=rng.uniform(0, 1, n))


def texts(reasons: list) -> list[str]:
    return [reason.text for reason in reasons]


def test_output_columns_and_ranks_within_each_counselor() -> None:
    frame = portfolios()
    scored = score_job_seekers(frame, Known())
    assert tuple(scored.columns) == OUTPUT_COLUMNS
    assert len(scored) == len(frame) and set(scored[S.JOB_SEEKER_ID]) == set(frame[S.JOB_SEEKER_ID])
    for counselor, rows in scored.groupby(S.COUNSELOR_ID):
        assert rows[S.RANK].tolist() == list(range(1, len(rows) + 1))
        kept = rows[rows[S.EXPLORATION] == 0]
        assert kept[S.SCORE].is_monotonic_decreasing
        assert set(rows[S.COUNSELOR_EXTERNAL_ID]) == {f"CONS{counselor:04d}"}
    by_id = frame.set_index(S.JOB_SEEKER_ID)
    assert (scored[S.EXTERNAL_ID].to_numpy() == by_id.loc[scored[S.JOB_SEEKER_ID], S.EXTERNAL_ID].to_numpy()).all()


def test_the_score_formula_and_urgent_people_first() -> None:
    frame = portfolios()
    parts = score_parts(frame, Known())
    expected = parts[S.URGENCY] + 300 * np.clip(frame["known_uplift"], -0.05, 0.05)
    np.testing.assert_allclose(parts[S.SCORE], expected)
    np.testing.assert_allclose(parts[S.OUTCOME_PROBABILITY], frame["known_probability"])
    np.testing.assert_allclose(priority_score([20, 0], [-0.3, 0.5]), [5, 15])
    # A negative estimate counts, within the bound: it orders people, never above an urgent case.
    np.testing.assert_allclose(priority_score([0, 0, 0], [-0.01, -0.03, 0.0]), [-3, -9, 0])
    assert priority_score([35], [-1.0])[0] > priority_score([0], [1.0])[0]
    np.testing.assert_allclose(priority_score([20, 0], [-0.3, 0.5], gain_weight=100, max_gain=0.15, min_gain=0.0),
                               [20, 15])
    scored = score_job_seekers(frame, Known(), exploration_share=0)
    for _, rows in scored.groupby(S.COUNSELOR_ID):
        urgent = rows[S.URGENCY].to_numpy() >= DEADLINE_POINTS
        assert urgent.any() and not urgent.all()
        # Everyone with a deadline comes before everyone without.
        assert rows[S.RANK][urgent].max() < rows[S.RANK][~urgent].min()


def test_exploration_share_positions_and_marking() -> None:
    frame = portfolios()
    pure = score_job_seekers(frame, Known(), exploration_share=0)
    assert pure[S.EXPLORATION].sum() == 0
    scored = score_job_seekers(frame, Known(), exploration_share=0.05, seed=7)
    pure_rank = pure.set_index(S.JOB_SEEKER_ID)[S.RANK]
    for _, rows in scored.groupby(S.COUNSELOR_ID):
        explored = rows[rows[S.EXPLORATION] == 1]
        k = math.ceil(0.05 * len(rows))
        assert len(explored) == k
        # Every 20th position; the last slots are pulled back inside the list.
        assert explored[S.RANK].tolist() == [min(20 * j, len(rows) - k + j) for j in range(1, k + 1)]
        assert explored[S.RANK].tolist()[:3] == [20, 40, 60]
        # Drawn among people the score would not put on the first page.
        assert (pure_rank.loc[explored[S.JOB_SEEKER_ID]] > 20).all()
        for reasons in explored[S.REASONS]:
            assert texts(reasons)[0] == "Sélection aléatoire (exploration)"
        for reasons in rows.loc[rows[S.EXPLORATION] == 0, S.REASONS]:
            assert "Sélection aléatoire (exploration)" not in texts(reasons)


def test_deterministic_for_a_seed_and_independent_of_row_order() -> None:
    frame = portfolios()
    first = score_job_seekers(frame, Known(), seed=3)
    again = score_job_seekers(frame.sample(frac=1, random_state=1), Known(), seed=3)
    pd.testing.assert_frame_equal(first.drop(columns=[S.REASONS]), again.drop(columns=[S.REASONS]))
    assert first[S.REASONS].tolist() == again[S.REASONS].tolist()
    other = score_job_seekers(frame, Known(), seed=4)
    explored = set(first.loc[first[S.EXPLORATION] == 1, S.JOB_SEEKER_ID])
    assert explored != set(other.loc[other[S.EXPLORATION] == 1, S.JOB_SEEKER_ID])
    # One portfolio's draw does not depend on the others.
    alone = frame[frame[S.COUNSELOR_ID] == frame[S.COUNSELOR_ID].iloc[0]]
    part = score_job_seekers(alone, Known(), seed=3)
    same = first[first[S.COUNSELOR_ID] == frame[S.COUNSELOR_ID].iloc[0]].reset_index(drop=True)
    assert part[S.JOB_SEEKER_ID].tolist() == same[S.JOB_SEEKER_ID].tolist()


def test_small_lists_and_people_without_counselor() -> None:
    frame = portfolios(60, 6, counselors=1)
    frame[S.COUNSELOR_ID] = frame[S.COUNSELOR_ID].astype(object)
    frame.loc[:9, S.COUNSELOR_ID] = None
    frame.loc[10:12, S.COUNSELOR_ID] = 999  # a list of 3
    scored = score_job_seekers(frame, Known(), exploration_share=0.05)
    lists = scored[S.COUNSELOR_ID].astype(object).fillna("None").astype(str)
    sizes = scored.groupby(lists)[S.RANK].max().to_dict()
    assert sizes == {"None": 10, "999": 3, str(frame[S.COUNSELOR_ID].iloc[-1]): 47}
    assert scored[S.COUNSELOR_ID].iloc[-1] is None  # the list without counselor comes last
    for _, rows in scored.groupby(lists):
        assert rows[S.EXPLORATION].sum() == math.ceil(0.05 * len(rows))
        assert rows[S.RANK].tolist() == list(range(1, len(rows) + 1))
    with pytest.raises(ValueError):
        score_job_seekers(frame, Known(), exploration_share=1.0)
    assert list(score_job_seekers(frame.iloc[:0], Known()).columns) == list(OUTPUT_COLUMNS)


def test_reason_texts() -> None:
    frame = portfolios(3, 8, counselors=1).reset_index(drop=True)
    calm = {S.DAYS_TO_RIGHTS_END: np.nan, S.SITUATION_INTERVIEW_MISSING: 0, S.REVIEW_OVERDUE: 0,
            S.DAYS_SINCE_CONTACT: 5.0, S.DAYS_SINCE_MISSED_APPOINTMENT: np.nan,
            S.DAYS_SINCE_REFERRAL_NO_SHOW: np.nan, S.NEW_OFFERS_COUNT: 0.0, S.NEW_OFFERS_ROME: None}
    for column, value in calm.items():
        frame[column] = [value] * 3
    frame.loc[0, [S.DAYS_TO_RIGHTS_END, S.DAYS_SINCE_CONTACT, S.MODALITY, S.CONTACT_INTERVAL_DAYS]] = [
        12.0, 74.0, "guide", 60.0]
    frame.loc[0, [S.NEW_OFFERS_COUNT, S.NEW_OFFERS_ROME, S.NEW_OFFERS_RADIUS_KM]] = [3.0, "M1607", 20.0]
    frame.loc[1, [S.NEW_OFFERS_COUNT, S.NEW_OFFERS_ROME, S.NEW_OFFERS_RADIUS_KM]] = [1.0, "K2204", np.nan]
    frame["known_uplift"] = [0.05, 0.025, 0.001]
    scored = score_job_seekers(frame, Known(), exploration_share=0).set_index(S.JOB_SEEKER_ID)
    ids = frame[S.JOB_SEEKER_ID]
    assert texts(scored.loc[ids[0], S.REASONS]) == [
        "Fin de droits dans 12 jours",
        "Aucun contact depuis 74 jours (modalité guidé : 60 jours)",
        "Un contact maintenant augmente nettement ses chances (estimation)",
        "3 nouvelles offres M1607 à moins de 20 km",
    ]
    assert texts(scored.loc[ids[1], S.REASONS]) == [
        "Un contact maintenant peut l'aider (estimation)", "1 nouvelle offre K2204 à proximité"]
    assert texts(scored.loc[ids[2], S.REASONS]) == []
    assert scored.loc[ids[0], S.URGENCY] == 51  # rights ending (50) + no contact (1)
    assert scored.loc[ids[0], S.SCORE] == pytest.approx(66.0)  # + 300 · 0.05 of gain
    # At most four reasons, the most urgent first.
    frame.loc[0, [S.REVIEW_OVERDUE, S.SITUATION_INTERVIEW_MISSING]] = [1, 1]
    reasons = score_job_seekers(frame, Known(), exploration_share=0).set_index(S.JOB_SEEKER_ID).loc[ids[0], S.REASONS]
    assert [r.code for r in reasons] == ["rights_ending", "situation_interview_missing", "review_overdue", "no_contact"]


def test_with_fitted_models() -> None:
    train = make_job_seekers(2500, 9, random_share=0.3)
    model = PriorityModel(
        outcome=OutcomeModel(max_iter=15, min_samples_leaf=40, cv=2, random_state=0),
        effect=ContactEffectModel(max_iter=15, min_samples_leaf=60, random_state=0),
    ).fit(train)
    assert isinstance(model.outcome_, OutcomeModel) and isinstance(model.effect_, ContactEffectModel)
    # The effect model learned where the pick was a fair coin: no regular contact.
    randomised = train[train[S.REGULAR_CONTACT] == 0]
    assert model.effect_.propensity_ == pytest.approx(randomised[S.TREATED_RANDOM].mean())
    assert model.effect_.propensity_ > train[S.TREATED_RANDOM].mean()
    frame = make_job_seekers(800, 10, n_counselors=2)
    scored = score_job_seekers(frame, model, exploration_share=0.05, seed=1)
    np.testing.assert_allclose(
        scored.set_index(S.JOB_SEEKER_ID).loc[frame[S.JOB_SEEKER_ID], S.UPLIFT].to_numpy(),
        model.effect_.predict_uplift(frame))
    assert scored[S.OUTCOME_PROBABILITY].between(0, 1).all()
    restored = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(scored.drop(columns=[S.REASONS]),
                                  score_job_seekers(frame, restored, seed=1).drop(columns=[S.REASONS]))
    assert PriorityModel(random_state=4).get_params()["random_state"] == 4
