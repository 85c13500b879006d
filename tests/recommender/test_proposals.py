import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from recommender import schema as S
from recommender.eligibility import eligibility
from recommender.proposals import (
    PROPOSAL_STRONG_WEIGHT, RECOMMENDATION_COLUMNS, CandidateRanker, Exposure, ItemKNN, ProposalModel, ProposalRanker,
    TrainingGainModel, candidate_reasons, popularity, proposal_reasons, rank_candidates, recommend,
    same_rome_nearest, select_lists, training_factor,
)
from recommender.reasons import Reason
from tests.recommender.synthetic import make_job_seekers
from tests.recommender.synthetic_pairs import make_pairs

SMALL = dict(max_iter=30, min_samples_leaf=20, random_state=0)


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return make_pairs(250, seed=0)


@pytest.fixture(scope="module")
def model(train: pd.DataFrame) -> ProposalModel:
    return ProposalModel(ranker=ProposalRanker(**SMALL)).fit(train)


@pytest.fixture(scope="module")
def ranker(model: ProposalModel) -> ProposalRanker:
    return model.ranker_


def pair(**values) -> dict:
    """A pair row that passes eligibility and says nothing, unless ``values`` say otherwise."""
    base = {
        S.JOB_SEEKER_ID: 1, S.EXTERNAL_ID: "DE1", S.ITEM_KIND: "workshop", S.ITEM_ID: 1, S.ITEM_KEY: "workshop:1",
        S.ITEM_EXTERNAL_ID: "X1", S.ITEM_CODE: "ATL", S.ITEM_ROME: None, S.PERSON_ROME: "M1607",
        S.ITEM_REQUIRES: (), S.ITEM_MAX_AGE: np.nan, S.AGE_YEARS: 40.0, S.DISABILITY: 0, S.RSA: 0,
        S.BLOCKING_PRESCRIPTION: 0, S.DAYS_SINCE_DONE: np.nan, S.DAYS_SINCE_IN_PROGRESS: np.nan,
        S.DAYS_SINCE_DECLINED: np.nan, S.OCCUPATION_MATCH: np.nan, S.DISTANCE_KM: np.nan, S.BEYOND_MOBILITY: 0,
        S.SEATS_LEFT: np.nan,
        S.DAYS_TO_START: np.nan, S.ITEM_AGE_DAYS: np.nan, S.ITEM_SHORTAGE_PCT: np.nan, S.NEED_MATCH: 0,
        S.PERSON_OPEN_APPLICATIONS: 0.0, "truth": 0.5,
    }
    return {**base, **values}


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


class FixedScores:
    """A model whose relevance is the frame's ``truth`` column."""

    def predict_relevance(self, pairs: pd.DataFrame) -> np.ndarray:
        return pairs["truth"].to_numpy(dtype=float)

    def score(self, pairs: pd.DataFrame, persons: pd.DataFrame | None = None) -> pd.DataFrame:
        relevance = self.predict_relevance(pairs)
        return pd.DataFrame({S.RELEVANCE: relevance, S.TRAINING_GAIN: np.nan, S.RECOMMENDATION_SCORE: relevance},
                            index=pairs.index)


class FixedGain:
    def __init__(self, gains: dict) -> None:
        self.gains = gains

    def predict_gain(self, persons: pd.DataFrame) -> np.ndarray:
        return persons[S.JOB_SEEKER_ID].map(self.gains).to_numpy(dtype=float)


def texts(reasons: list) -> list[list[str]]:
    return [[reason.text for reason in row] for row in reasons]


# --------------------------------------------------------------------------- reasons

@pytest.mark.parametrize(("reason", "text"), [
    (Reason("out_of_project"), "Hors projet : à vérifier avec la personne"),
    (Reason("leads_to_target", {"rome": "M1607"}), "Mène à M1607, votre métier cible"),
    (Reason("offer_target", {"rome": "M1607"}), "Sur votre métier cible (M1607)"),
    (Reason("other_target", {"rome": "K2204"}), "Sur un de vos métiers cibles (K2204)"),
    (Reason("related_occupation"), "Métier proche de votre projet"),
    (Reason("need_match"), "Répond à un besoin de votre plan d'action"),
    (Reason("shortage", {"pct": 68}), "Métier en tension dans votre région (68 %)"),
    (Reason("training_gain"), "Des profils proches ont retrouvé un emploi après cette formation"),
    (Reason("distance", {"km": 12}), "12 km de chez vous"),
    (Reason("same_commune"), "Dans votre commune"),
    (Reason("beyond_mobility", {"km": 40}), "40 km de chez vous, au-delà de votre zone de mobilité"),
    (Reason("seats_left", {"count": 3}), "Plus que 3 places"),
    (Reason("seats_left", {"count": 1}), "Plus qu'une place"),
    (Reason("starts_in", {"days": 12}), "Démarre dans 12 jours"),
    (Reason("starts_in", {"days": 1}), "Démarre dans 1 jour"),
    (Reason("starts_today"), "Démarre aujourd'hui"),
    (Reason("offer_published", {"days": 3}), "Offre publiée il y a 3 jours"),
    (Reason("offer_published", {"days": 1}), "Offre publiée il y a 1 jour"),
    (Reason("offer_published_today"), "Offre publiée aujourd'hui"),
    (Reason("peers_accepted", {"count": 4}),
     "Proposition acceptée par 4 personnes de votre métier et bassin (12 mois)"),
    (Reason("peers_accepted", {"count": 1}),
     "Proposition acceptée par 1 personne de votre métier et bassin (12 mois)"),
    (Reason("item_accepted", {"accepted": 9, "proposed": 18}), "Proposition acceptée par 9 personnes sur 18 (12 mois)"),
    (Reason("item_accepted", {"accepted": 1, "proposed": 3}), "Proposition acceptée par 1 personne sur 3 (12 mois)"),
    (Reason("seeks_occupation", {"rome": "M1607"}), "Recherche le métier M1607"),
    (Reason("related_candidate", {"rome": "K2204"}), "Métier proche (K2204)"),
    (Reason("candidate_distance", {"km": 8}), "À 8 km"),
    (Reason("candidate_same_commune"), "Dans la même commune"),
    (Reason("candidate_beyond_mobility", {"km": 45}), "À 45 km, au-delà de sa zone de mobilité"),
    (Reason("open_applications", {"count": 2}), "Déjà 2 mises en relation en cours"),
    (Reason("open_applications", {"count": 1}), "Déjà 1 mise en relation en cours"),
    (Reason("appointment_in", {"days": 3}), "Rendez-vous prévu dans 3 jours"),
    (Reason("appointment_in", {"days": 1}), "Rendez-vous prévu dans 1 jour"),
    (Reason("appointment_today"), "Rendez-vous prévu aujourd'hui"),
])
def test_reason_texts(reason: Reason, text: str) -> None:
    assert reason.text == text


def test_proposal_reasons_are_the_facts_most_important_first() -> None:
    pairs = frame(
        pair(**{S.ITEM_KIND: "training", S.OUT_OF_PROJECT: 1, S.OCCUPATION_MATCH: 0.0, S.ITEM_ROME: "K2204",
                S.ITEM_SHORTAGE_PCT: 67.6, S.TRAINING_GAIN: 0.05, S.DISTANCE_KM: 12.3, S.SEATS_LEFT: 3.0,
                S.DAYS_TO_START: 12.0}),
        pair(**{S.ITEM_KIND: "offer", S.OCCUPATION_MATCH: 1.0, S.ITEM_ROME: "M1607", S.ITEM_AGE_DAYS: 3.0,
                S.DISTANCE_KM: 0.4, S.ITEM_SHORTAGE_PCT: 20.0, S.OUT_OF_PROJECT: 0, S.TRAINING_GAIN: 0.2}),
        pair(**{S.NEED_MATCH: 1, S.DAYS_TO_START: 0.0, S.DISTANCE_KM: 35.0, S.BEYOND_MOBILITY: 1,
                S.OUT_OF_PROJECT: 0, S.TRAINING_GAIN: np.nan}),
        pair(**{S.ITEM_KIND: "training", S.OCCUPATION_MATCH: 0.5, S.ITEM_ROME: "K2204", S.OUT_OF_PROJECT: 0,
                S.TRAINING_GAIN: 0.01, S.SEATS_LEFT: 0.0, S.DAYS_TO_START: 45.0}),
    )
    assert texts(proposal_reasons(pairs)) == [
        ["Hors projet : à vérifier avec la personne", "Métier en tension dans votre région (68 %)",
         "Des profils proches ont retrouvé un emploi après cette formation", "12 km de chez vous"],
        ["Sur votre métier cible (M1607)", "Dans votre commune", "Offre publiée il y a 3 jours"],
        ["Répond à un besoin de votre plan d'action", "35 km de chez vous, au-delà de votre zone de mobilité",
         "Démarre aujourd'hui"],
        ["Métier proche de votre projet"],
    ]
    assert texts(proposal_reasons(pairs.iloc[:1], max_reasons=2)) == [
        ["Hors projet : à vérifier avec la personne", "Métier en tension dans votre région (68 %)"]]
    stored = json.loads(json.dumps([reason.to_dict() for reason in proposal_reasons(pairs)[0]]))
    assert stored[1] == {"code": "shortage", "params": {"pct": 68},
                         "text": "Métier en tension dans votre région (68 %)"}


def test_a_pair_without_other_facts_is_argued_from_the_acceptance_of_the_item() -> None:
    """A partner service open to all (no occupation, need, distance or seats) still carries a
    reason: the people of the same occupation and bassin who accepted it, else how many accepted
    it over the year — if any did, and never in place of a real fact."""
    service = {S.ITEM_KIND: "partner_service", S.ITEM_PROPOSALS_365D: 40.0, S.ITEM_ACCEPTED_365D: 18.0}
    pairs = frame(
        pair(**service, **{S.POPULARITY_OCC_BASSIN: 3.0}),
        pair(**service, **{S.POPULARITY_OCC_BASSIN: 0.0}),
        pair(**{**service, S.ITEM_ACCEPTED_365D: 0.0}),  # nobody accepted it: no argument
        pair(**service, **{S.NEED_MATCH: 1}),
        pair(**{S.ITEM_KIND: "offer", S.OCCUPATION_MATCH: 1.0, S.ITEM_ROME: "M1607", S.DISTANCE_KM: 5.0,
                S.SEATS_LEFT: 2.0, S.ITEM_AGE_DAYS: 2.0, S.POPULARITY_OCC_BASSIN: 1.0}),
    )
    assert texts(proposal_reasons(pairs)) == [
        ["Proposition acceptée par 3 personnes de votre métier et bassin (12 mois)"],
        ["Proposition acceptée par 18 personnes sur 40 (12 mois)"],
        [],
        ["Répond à un besoin de votre plan d'action"],
        ["Sur votre métier cible (M1607)", "5 km de chez vous", "Plus que 2 places", "Offre publiée il y a 2 jours"],
    ]
    assert texts(proposal_reasons(pairs.iloc[[4]], max_reasons=5))[0][-1] == \
        "Proposition acceptée par 1 personne de votre métier et bassin (12 mois)"


def test_candidate_reasons() -> None:
    pairs = frame(
        pair(**{S.ITEM_KIND: "offer", S.OCCUPATION_MATCH: 1.0, S.ITEM_ROME: "M1607", S.DISTANCE_KM: 8.2,
                S.PERSON_OPEN_APPLICATIONS: 2.0}),
        pair(**{S.ITEM_KIND: "offer", S.OCCUPATION_MATCH: 0.5, S.ITEM_ROME: "M1607", S.PERSON_ROME: "K2204",
                S.DISTANCE_KM: 45.0, S.BEYOND_MOBILITY: 1, S.PERSON_OPEN_APPLICATIONS: 1.0,
                S.DAYS_TO_APPOINTMENT: 4.0}),
        pair(**{S.ITEM_KIND: "offer", S.OCCUPATION_MATCH: 1.0, S.ITEM_ROME: "M1607", S.DISTANCE_KM: 0.3,
                S.DAYS_TO_APPOINTMENT: 0.0}),
        pair(**{S.ITEM_KIND: "offer", S.OCCUPATION_MATCH: 1.0, S.ITEM_ROME: "M1607", S.DISTANCE_KM: 0.3,
                S.DAYS_TO_APPOINTMENT: 40.0}),  # too far off to be the moment
    )
    assert texts(candidate_reasons(pairs)) == [
        ["Recherche le métier M1607", "À 8 km", "Déjà 2 mises en relation en cours"],
        ["Métier proche (K2204)", "À 45 km, au-delà de sa zone de mobilité", "Rendez-vous prévu dans 4 jours",
         "Déjà 1 mise en relation en cours"],
        ["Recherche le métier M1607", "Dans la même commune", "Rendez-vous prévu aujourd'hui"],
        ["Recherche le métier M1607", "Dans la même commune"],
    ]


# --------------------------------------------------------------------------- lists

def test_lists_need_a_length() -> None:
    with pytest.raises(ValueError):
        select_lists([1], ["a"], [0.5], k=0)


def test_exposure_cap() -> None:
    cap = Exposure(factor=3.0, min_slots=5).cap([np.nan, 0, -1, 1, 2, 10])
    assert cap.tolist() == [np.inf, 0, 0, 5, 6, 30]


def test_items_go_first_to_the_people_with_the_best_scores_within_capacity() -> None:
    groups = [1, 1, 2, 2, 3, 3]
    targets = ["x", "y", "x", "y", "x", "z"]
    score = [0.9, 0.1, 0.8, 0.7, 0.95, 0.2]
    rows, ranks = select_lists(groups, targets, score, k=2, capacity=[1, 1, 1, 1, 1, np.inf])
    # Served in order 3 (0.95), 1 (0.9), 2 (0.8): 3 takes x, 1 then only gets y, 2 gets nothing left.
    assert rows.tolist() == [4, 5, 1]
    assert ranks.tolist() == [1, 2, 1]


def test_at_most_per_kind_of_a_kind_first_then_the_best_of_the_rest() -> None:
    kinds = ["offer"] * 5 + ["training"] * 2
    score = [0.9, 0.8, 0.7, 0.6, 0.5, 0.3, 0.2]
    targets = list("abcdefg")
    rows, _ = select_lists([1] * 7, targets, score, k=4, kinds=kinds, per_kind=2)
    assert rows.tolist() == [0, 1, 5, 6]
    rows, ranks = select_lists([1] * 7, targets, score, k=5, kinds=kinds, per_kind=2)
    assert rows.tolist() == [0, 1, 5, 6, 2]
    assert ranks.tolist() == [1, 2, 3, 4, 5]
    rows, _ = select_lists([1] * 7, targets, score, k=5)  # no spread: by score
    assert rows.tolist() == [0, 1, 2, 3, 4]


def test_demoted_rows_come_last_nan_before_them_ties_by_target() -> None:
    rows, _ = select_lists([1] * 4, ["b", "a", "c", "d"], [0.5, 0.5, 0.99, np.nan], k=10,
                           demoted=[False, False, True, False])
    assert rows.tolist() == [1, 0, 3, 2]  # a and b tie (a first), unknown score d, then demoted c


def test_served_by_score_a_scarce_item_goes_to_the_rows_that_score_it_highest() -> None:
    groups = [1, 1, 2, 2, 3, 3]
    targets = ["x", "y", "x", "y", "x", "z"]
    score = [0.9, 0.1, 0.8, 0.7, 0.95, 0.2]
    capacity = [1, 1, 1, 1, 1, np.inf]
    # Served 0.95 (3: x), 0.9 (1: x full), 0.8 (2: x full), 0.7 (2: y), 0.2 (3: z), 0.1 (1: y full).
    rows, ranks = select_lists(groups, targets, score, k=2, capacity=capacity, serve="score")
    assert rows.tolist() == [3, 4, 5]  # lists by group, each in its own score order
    assert ranks.tolist() == [1, 1, 2]
    # A group's low-scoring rows no longer take an item another group scores higher: served by
    # group, 1 (best 0.9) takes x and then y (0.1) before 2 is served.
    by_group, _ = select_lists([1, 1, 2], ["x", "y", "y"], [0.9, 0.1, 0.5], k=2, capacity=[1, 1, 1])
    by_score, _ = select_lists([1, 1, 2], ["x", "y", "y"], [0.9, 0.1, 0.5], k=2, capacity=[1, 1, 1], serve="score")
    assert by_group.tolist() == [0, 1] and by_score.tolist() == [0, 2]
    with pytest.raises(ValueError):
        select_lists([1], ["a"], [0.5], k=1, serve="best")


def test_served_by_score_keeps_the_spread_the_demotion_and_the_duplicates() -> None:
    kinds = ["offer"] * 5 + ["training"] * 2
    score = [0.9, 0.8, 0.7, 0.6, 0.5, 0.3, 0.2]
    targets = list("abcdefg")
    rows, ranks = select_lists([1] * 7, targets, score, k=5, kinds=kinds, per_kind=2, serve="score")
    assert rows.tolist() == [0, 1, 5, 6, 2] and ranks.tolist() == [1, 2, 3, 4, 5]
    rows, _ = select_lists([1] * 4, ["b", "a", "c", "d"], [0.5, 0.5, 0.99, np.nan], k=10,
                           demoted=[False, False, True, False], serve="score")
    assert rows.tolist() == [1, 0, 3, 2]
    rows, ranks = select_lists([1, 1, 1], ["a", "a", "b"], [0.2, 0.9, 0.5], k=10, serve="score")
    assert rows.tolist() == [1, 2] and ranks.tolist() == [1, 2]
    # The deferred rows fill a list only with what capacity is left once every list had its first pass.
    rows, _ = select_lists([1, 1, 2], ["a", "b", "b"], [0.9, 0.8, 0.1], k=2, capacity=[1, 1, 1],
                           kinds=["offer", "offer", "offer"], per_kind=1, serve="score")
    assert rows.tolist() == [0, 2]


def test_without_capacity_both_ways_of_serving_give_the_same_lists(model: ProposalModel) -> None:
    pairs = make_pairs(60, seed=5)
    score = model.score(pairs)[S.RECOMMENDATION_SCORE].to_numpy()
    options = dict(k=6, kinds=pairs[S.ITEM_KIND], per_kind=2)
    by_group = select_lists(pairs[S.JOB_SEEKER_ID], pairs[S.ITEM_KEY], score, **options)
    by_score = select_lists(pairs[S.JOB_SEEKER_ID], pairs[S.ITEM_KEY], score, serve="score", **options)
    lists = [set(zip(pairs[S.JOB_SEEKER_ID].to_numpy()[rows], pairs[S.ITEM_KEY].to_numpy()[rows], ranks))
             for rows, ranks in (by_group, by_score)]
    assert lists[0] == lists[1]


def test_a_duplicated_pair_counts_once_at_its_best_score() -> None:
    rows, ranks = select_lists([1, 1, 1], ["a", "a", "b"], [0.2, 0.9, 0.5], k=10)
    assert rows.tolist() == [1, 2]
    assert ranks.tolist() == [1, 2]


def test_recommend_applies_eligibility_capacity_and_reasons() -> None:
    pairs = frame(
        pair(**{S.JOB_SEEKER_ID: 1, S.ITEM_KIND: "offer", S.ITEM_KEY: "offer:1", S.SEATS_LEFT: 1.0, "truth": 0.9}),
        pair(**{S.JOB_SEEKER_ID: 2, S.ITEM_KIND: "offer", S.ITEM_KEY: "offer:1", S.SEATS_LEFT: 1.0, "truth": 0.95}),
        pair(**{S.JOB_SEEKER_ID: 1, S.ITEM_KIND: "training", S.ITEM_KEY: "training:2", S.OCCUPATION_MATCH: 0.0,
                S.ITEM_ROME: "K2204", "truth": 0.5}),
        pair(**{S.JOB_SEEKER_ID: 1, S.ITEM_KIND: "prestation", S.ITEM_KEY: "prestation:3", S.ITEM_CODE: "POPS-MDPH",
                "truth": 0.99}),
        pair(**{S.JOB_SEEKER_ID: 1, S.ITEM_KEY: "workshop:4", "truth": 0.3}),
        pair(**{S.JOB_SEEKER_ID: 2, S.ITEM_KEY: "workshop:4", "truth": 0.2}),
    )
    out = recommend(pairs, FixedScores(), exposure=Exposure(factor=1, min_slots=1))
    assert list(out.columns) == list(RECOMMENDATION_COLUMNS)
    assert out[[S.JOB_SEEKER_ID, S.ITEM_KEY, S.RANK]].values.tolist() == [
        [1, "training:2", 1], [1, "workshop:4", 2], [2, "offer:1", 1], [2, "workshop:4", 2]]
    assert out[S.OUT_OF_PROJECT].tolist() == [1, 0, 0, 0]
    assert out[S.REASONS][0][0].text == "Hors projet : à vérifier avec la personne"
    assert out[S.RECOMMENDATION_SCORE].tolist() == [0.5, 0.3, 0.95, 0.2]


def test_recommend_spreads_kinds() -> None:
    pairs = frame(pair(**{S.ITEM_KIND: "offer", S.ITEM_KEY: "offer:1", "truth": 0.9}),
                  pair(**{S.ITEM_KIND: "offer", S.ITEM_KEY: "offer:2", "truth": 0.8}),
                  pair(**{S.ITEM_KEY: "workshop:3", "truth": 0.1}))
    out = recommend(pairs, FixedScores(), k=3, per_kind=1)
    assert out[S.ITEM_KEY].tolist() == ["offer:1", "workshop:3", "offer:2"]
    assert recommend(pairs, FixedScores(), k=2, per_kind=None)[S.ITEM_KEY].tolist() == ["offer:1", "offer:2"]


def test_recommend_on_an_empty_or_fully_excluded_frame() -> None:
    pairs = frame(pair(**{S.DAYS_SINCE_DONE: 3.0}))
    out = recommend(pairs, FixedScores())
    assert out.empty and list(out.columns) == list(RECOMMENDATION_COLUMNS)


def test_training_gain_adjusts_training_scores() -> None:
    assert training_factor(pd.Series(["training", "training", "training", "offer", "training"]),
                           np.array([0.04, 0.5, -0.5, 0.5, np.nan])).tolist() == pytest.approx([1.2, 1.5, 0.5, 1, 1])
    model = ProposalModel()
    model.ranker_, model.gain_ = FixedScores(), FixedGain({1: 0.1, 2: -0.02})
    pairs = frame(pair(**{S.JOB_SEEKER_ID: 1, S.ITEM_KIND: "training", S.ITEM_KEY: "training:1", "truth": 0.4}),
                  pair(**{S.JOB_SEEKER_ID: 1, S.ITEM_KIND: "offer", S.ITEM_KEY: "offer:2", "truth": 0.5}),
                  pair(**{S.JOB_SEEKER_ID: 2, S.ITEM_KIND: "training", S.ITEM_KEY: "training:1", "truth": 0.4}))
    persons = pd.DataFrame({S.JOB_SEEKER_ID: [1, 2]})
    scores = model.score(pairs, persons)
    assert scores[S.RECOMMENDATION_SCORE].tolist() == pytest.approx([0.6, 0.5, 0.36])
    assert scores[S.TRAINING_GAIN].tolist()[:2] == pytest.approx([0.1, 0.1])
    assert model.score(pairs)[S.RECOMMENDATION_SCORE].tolist() == pytest.approx([0.4, 0.5, 0.4])
    out = recommend(pairs, model, persons=persons)
    assert out[S.ITEM_KEY].tolist() == ["training:1", "offer:2", "training:1"]
    assert out[S.REASONS][0] == [Reason("training_gain")]


def test_recommend_with_a_fitted_model_keeps_every_rule(model: ProposalModel) -> None:
    pairs = make_pairs(150, seed=4)
    pairs.loc[pairs.index % 7 == 0, S.DAYS_SINCE_DECLINED] = 10.0
    exposure = Exposure(factor=3.0, min_slots=5)
    out = recommend(pairs, model, k=6, per_kind=2, exposure=exposure)
    assert out.equals(recommend(pairs, model, k=6, per_kind=2, exposure=exposure))
    assert out.groupby(S.JOB_SEEKER_ID).size().max() <= 6
    assert out.groupby(S.JOB_SEEKER_ID)[S.RANK].apply(lambda r: r.tolist() == list(range(1, len(r) + 1))).all()
    shown = out.merge(pairs, on=[S.JOB_SEEKER_ID, S.ITEM_KEY])
    assert (shown[S.DAYS_SINCE_DECLINED].isna()).all()
    seats = pairs.groupby(S.ITEM_KEY)[S.SEATS_LEFT].first()
    appearances = out[S.ITEM_KEY].value_counts()
    assert (appearances <= exposure.cap(seats.reindex(appearances.index))).all()
    assert (appearances == exposure.cap(seats.reindex(appearances.index))).any()  # capacity binds here
    # Spread: nobody has three items of a kind unless the other kinds ran out (only then is the list filled).
    per_kind = out.groupby([S.JOB_SEEKER_ID, S.ITEM_KIND]).size()
    assert (per_kind <= 2).mean() > 0.9


# --------------------------------------------------------------------------- candidates

def test_rank_candidates_demotes_busy_people_and_spreads_them_over_offers() -> None:
    def offer_pair(person: int, offer: int, truth: float, open_applications: float = 0.0) -> dict:
        return pair(**{S.JOB_SEEKER_ID: person, S.ITEM_KIND: "offer", S.ITEM_ID: offer, S.ITEM_KEY: f"offer:{offer}",
                       S.PERSON_OPEN_APPLICATIONS: open_applications, "truth": truth})

    pairs = frame(offer_pair(1, 1, 0.99, 3.0), offer_pair(2, 1, 0.9), offer_pair(3, 1, 0.7), offer_pair(4, 1, 0.2),
                  offer_pair(2, 2, 0.8), offer_pair(3, 2, 0.85), offer_pair(4, 2, 0.6),
                  pair(**{S.JOB_SEEKER_ID: 5, S.ITEM_KEY: "workshop:1", "truth": 1.0}))
    out = rank_candidates(pairs, FixedScores(), k=2, max_offers=1)
    assert out[[S.ITEM_ID, S.JOB_SEEKER_ID, S.RANK]].values.tolist() == [[1, 2, 1], [1, 3, 2], [2, 4, 1]]
    out = rank_candidates(pairs, FixedScores(), k=4, max_offers=3)
    assert out.loc[out[S.ITEM_ID] == 1, S.JOB_SEEKER_ID].tolist() == [2, 3, 4, 1]
    assert out[S.REASONS][3][-1].text == "Déjà 3 mises en relation en cours"
    assert rank_candidates(pairs, FixedScores(), k=4, max_open_applications=4).loc[0, S.JOB_SEEKER_ID] == 1


# --------------------------------------------------------------------------- models

def test_ranker_learns_relevance(train: pd.DataFrame, ranker: ProposalRanker) -> None:
    test = make_pairs(200, seed=1)
    relevant = test[S.LABEL_RELEVANCE] >= 1
    assert roc_auc_score(relevant, ranker.predict_relevance(test)) > 0.75
    assert list(ranker.encoder_.feature_names_in_) == list(S.RECOMMENDATION_FEATURES)


def test_ranker_follows_scikit_learn_conventions(train: pd.DataFrame, ranker: ProposalRanker) -> None:
    with pytest.raises(NotFittedError):
        ProposalRanker().predict_relevance(train)
    params = ProposalRanker(**SMALL).get_params()
    assert params["features"] is None and params["max_iter"] == 30
    again = clone(ranker).fit(train)
    assert np.array_equal(again.predict_relevance(train), ranker.predict_relevance(train))
    assert np.array_equal(pickle.loads(pickle.dumps(ranker)).predict_relevance(train), ranker.predict_relevance(train))


def test_label_two_weighs_more(train: pd.DataFrame, ranker: ProposalRanker) -> None:
    plain = ProposalRanker(**SMALL, strong_weight=1.0).fit(train)
    strong = train[S.LABEL_RELEVANCE] == 2
    assert ranker.predict_relevance(train)[strong].mean() > plain.predict_relevance(train)[strong].mean()


def test_the_proposal_model_weighs_every_accepted_proposal_alike_by_default(train: pd.DataFrame) -> None:
    fitted = ProposalModel(random_state=0).set_params(ranker=None).fit(train.head(2000))
    assert fitted.ranker_.strong_weight == PROPOSAL_STRONG_WEIGHT == 1.0


def test_protected_attributes_are_never_inputs(train: pd.DataFrame, ranker: ProposalRanker) -> None:
    with pytest.raises(ValueError, match="protected"):
        ProposalRanker(features=S.RECOMMENDATION_FEATURES + (S.GENDER,), **SMALL).fit(train)
    changed = train.assign(**{S.GENDER: "female", S.DISABILITY: 1, S.AGE_BAND: "50+"})
    assert np.array_equal(ranker.predict_relevance(changed), ranker.predict_relevance(train))


def test_ranker_needs_both_labels(train: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="both"):
        ProposalRanker(**SMALL).fit(train.assign(**{S.LABEL_RELEVANCE: 0}))


def test_candidate_ranker_reads_offer_features(train: pd.DataFrame) -> None:
    offers = train.loc[train[S.ITEM_KIND] == "offer"]
    model = CandidateRanker(**SMALL).fit(offers)  # DAYS_TO_START is all missing on offers: not an input
    assert list(model.encoder_.feature_names_in_) == list(S.CANDIDATE_FEATURES)
    assert S.DAYS_TO_START not in S.CANDIDATE_FEATURES and S.ITEM_KIND not in S.CANDIDATE_FEATURES
    assert roc_auc_score(offers[S.LABEL_RELEVANCE] >= 1, model.predict_relevance(offers)) > 0.75


def test_bagged_candidate_ranker_draws_whole_offers_with_both_labels(train: pd.DataFrame) -> None:
    offers = train.loc[train[S.ITEM_KIND] == "offer"]
    keys, target = offers[S.ITEM_KEY], (offers[S.LABEL_RELEVANCE] >= 1).to_numpy()
    draws = CandidateRanker(bags=4, random_state=7)._draws(keys, target)
    for rows in draws:
        # An offer's pool is never split, each draw holds relevant and other pairs.
        assert keys[rows].value_counts().equals(keys[keys.isin(keys[rows])].value_counts())
        assert set(target[rows]) == {True, False}
    assert len({frozenset(keys[rows]) for rows in draws}) == 4
    assert all(set(keys[rows]) < set(keys) for rows in draws)
    again = CandidateRanker(bags=4, random_state=7)._draws(keys, target)
    assert all(np.array_equal(a, b) for a, b in zip(draws, again))
    assert keys[CandidateRanker(bags=1)._draws(keys, target)[0]].equals(keys)
    with pytest.raises(ValueError, match="bags"):
        CandidateRanker(**{**SMALL, "bags": 0}).fit(offers)


def test_bagged_candidate_ranker_averages_its_classifiers(train: pd.DataFrame) -> None:
    offers = train.loc[train[S.ITEM_KIND] == "offer"]
    bagged = CandidateRanker(**{**SMALL, "bags": 3}).fit(offers)
    assert [booster.random_state for booster in bagged.boosters_] == [0, 1, 2]
    matrix = bagged.encoder_.transform(offers)
    members = [booster.predict_proba(matrix)[:, 1] for booster in bagged.boosters_]
    assert not np.array_equal(members[0], members[1])
    assert np.allclose(bagged.predict_relevance(offers), np.mean(members, axis=0))
    assert roc_auc_score(offers[S.LABEL_RELEVANCE] >= 1, bagged.predict_relevance(offers)) > 0.75
    assert np.array_equal(pickle.loads(pickle.dumps(bagged)).predict_relevance(offers),
                          bagged.predict_relevance(offers))
    # One classifier: fit on every pair with the ranker's own seed, as before the bagging.
    single = CandidateRanker(**SMALL).fit(offers)
    assert len(single.boosters_) == 1 and single.boosters_[0].random_state == 0


def test_a_ranker_saved_before_the_bagging_still_predicts(train: pd.DataFrame, ranker: ProposalRanker) -> None:
    state = dict(ranker.__getstate__())
    state["booster_"] = state.pop("boosters_")[0]
    old = ProposalRanker.__new__(ProposalRanker)
    old.__setstate__(state)
    assert np.array_equal(old.predict_relevance(train), ranker.predict_relevance(train))


def test_training_gain_model_finds_who_gains() -> None:
    persons = make_job_seekers(3000, seed=0)
    rng = np.random.default_rng(1)
    entered = (rng.random(len(persons)) < 0.4).astype(int)
    gains = persons[S.EDUCATION_RANK].to_numpy() <= 1
    employed = (rng.random(len(persons)) < 0.3 + 0.3 * gains * entered).astype(int)
    persons = persons.assign(**{S.ENTERED_TRAINING: entered, S.LABEL_EMPLOYMENT: employed})
    options = dict(max_iter=50, learning_rate=0.1, min_samples_leaf=50, random_state=0)
    bundle = ProposalModel(ranker=ProposalRanker(**SMALL), gain=TrainingGainModel(**options))
    bundle.fit(make_pairs(60, seed=2), persons)
    estimate = bundle.predict_gain(persons)
    assert estimate.index.tolist() == persons[S.JOB_SEEKER_ID].tolist()
    assert estimate[gains].mean() > estimate[~gains].mean() + 0.15
    assert abs(estimate[~gains].mean()) < 0.08
    assert np.array_equal(estimate, TrainingGainModel(**options).fit(persons).predict_gain(persons))


# --------------------------------------------------------------------------- baselines

def test_popularity_orders_by_bassin_popularity_then_proposals() -> None:
    pairs = pd.DataFrame({S.POPULARITY_OCC_BASSIN: [2, 2, 5, np.nan, 2],
                          S.ITEM_PROPOSALS_365D: [5, 10, 0, 100, 5]})
    score = popularity(pairs)
    assert list(np.argsort(-score, kind="stable")) == [2, 1, 0, 4, 3]
    assert score[0] == score[4]


def test_same_rome_nearest() -> None:
    pairs = pd.DataFrame({S.OCCUPATION_MATCH: [1.0, 1.0, 1.0, 0.5, np.nan, 0.5],
                          S.BEYOND_MOBILITY: [0, 0, 1, 0, 0, 0],
                          S.DISTANCE_KM: [10.0, 3.0, 1.0, 2.0, 0.5, np.nan]})
    assert list(np.argsort(-same_rome_nearest(pairs), kind="stable")) == [1, 0, 2, 3, 5, 4]


def test_item_knn_sums_cosine_similarities_to_the_history() -> None:
    history = pd.DataFrame({S.JOB_SEEKER_ID: [1, 1, 2, 2, 2, 3, 3],
                            S.ITEM_KEY: ["a", "b", "a", "b", "c", "c", "c"]})
    # Item vectors over people 1, 2, 3: a = b = (1, 1, 0), c = (0, 1, 1): cos(a, b) = 1, cos(a, c) = 0.5.
    pairs = pd.DataFrame({S.JOB_SEEKER_ID: [3, 1, 1, 4, 1],
                          S.ITEM_KEY: ["a", "c", "a", "a", "z"]})
    assert ItemKNN().fit(history).score(pairs).tolist() == pytest.approx([0.5, 1.0, 1.0, 0.0, 0.0])
    # One neighbour per candidate item: a keeps b (so a scores 0 for person 3, who only had c); c keeps
    # a (tie with b broken by item order), so person 1 scores c 0.5.
    assert ItemKNN(n_neighbors=1).fit(history).score(pairs).tolist() == pytest.approx([0.0, 0.5, 1.0, 0.0, 0.0])
    assert ItemKNN(chunk_size=2).fit(history).score(pairs).tolist() == pytest.approx([0.5, 1.0, 1.0, 0.0, 0.0])


def test_eligibility_is_applied_to_candidates_too() -> None:
    pairs = frame(pair(**{S.ITEM_KIND: "offer", S.ITEM_KEY: "offer:1", S.DAYS_SINCE_DECLINED: 30.0}),
                  pair(**{S.JOB_SEEKER_ID: 2, S.ITEM_KIND: "offer", S.ITEM_KEY: "offer:1"}))
    assert eligibility(pairs)[S.EXCLUSION].tolist() == ["declined_recently", None]
    assert rank_candidates(pairs, FixedScores())[S.JOB_SEEKER_ID].tolist() == [2]
