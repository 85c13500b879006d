import numpy as np
import pandas as pd
import pytest

from recommender import schema as S
from recommender.eligibility import eligibility, eligible_pairs, requires


def pairs(*rows: dict) -> pd.DataFrame:
    """Pairs that pass every rule unless a row says otherwise."""
    base = {
        S.JOB_SEEKER_ID: 1, S.ITEM_KIND: "workshop", S.ITEM_KEY: "workshop:1", S.ITEM_CODE: "ATL-KITS",
        S.ITEM_REQUIRES: (), S.ITEM_MAX_AGE: np.nan, S.AGE_YEARS: 40.0, S.DISABILITY: 0, S.RSA: 0,
        S.BLOCKING_PRESCRIPTION: 0, S.DAYS_SINCE_DONE: np.nan, S.DAYS_SINCE_IN_PROGRESS: np.nan,
        S.DAYS_SINCE_DECLINED: np.nan, S.OCCUPATION_MATCH: np.nan,
    }
    return pd.DataFrame([{**base, **row} for row in rows])


def verdict(*rows: dict, **rules) -> list:
    return eligibility(pairs(*rows), **rules)[S.EXCLUSION].tolist()


def test_a_neutral_pair_is_eligible() -> None:
    result = eligibility(pairs({}))
    assert result.to_dict("records") == [{S.ELIGIBLE: 1, S.EXCLUSION: None, S.OUT_OF_PROJECT: 0}]


def test_pops_mdph_and_rqth_requirements_need_disabled_worker_status() -> None:
    assert verdict(
        {S.ITEM_CODE: "POPS-MDPH"},                                   # by code, even without "requires"
        {S.ITEM_CODE: "POPS-MDPH", S.DISABILITY: 1},
        {S.ITEM_CODE: "CAP-EMPLOI", S.ITEM_REQUIRES: ("rqth",)},
        {S.ITEM_CODE: "CAP-EMPLOI", S.ITEM_REQUIRES: ("rqth",), S.DISABILITY: 1},
    ) == ["requires_rqth", None, "requires_rqth", None]


def test_rsa_requirement_needs_rsa() -> None:
    assert verdict(
        {S.ITEM_CODE: "CD-RSA", S.ITEM_REQUIRES: ("rsa",)},
        {S.ITEM_CODE: "CD-RSA", S.ITEM_REQUIRES: ("rsa",), S.RSA: 1},
        {S.ITEM_CODE: "CAF", S.ITEM_REQUIRES: ()},
    ) == ["requires_rsa", None, None]


def test_mission_locale_and_aij_are_for_under_26s() -> None:
    assert verdict(
        {S.ITEM_CODE: "ML", S.AGE_YEARS: 25.9},                       # "at most 25": still 25
        {S.ITEM_CODE: "ML", S.AGE_YEARS: 26.0},
        {S.ITEM_CODE: "AIJ", S.AGE_YEARS: 19.0},
        {S.ITEM_CODE: "AIJ", S.AGE_YEARS: 31.0},
        {S.ITEM_CODE: "ML", S.AGE_YEARS: np.nan},                     # cannot be checked
        {S.ITEM_CODE: "X", S.ITEM_MAX_AGE: 30.0, S.AGE_YEARS: 30.5},  # the catalogue's own limit
        {S.ITEM_CODE: "X", S.ITEM_MAX_AGE: 30.0, S.AGE_YEARS: 31.0},
        {S.ITEM_CODE: "ML", S.ITEM_MAX_AGE: 29.0, S.AGE_YEARS: 28.0},  # the catalogue's limit wins
        {S.ITEM_CODE: "X", S.AGE_YEARS: np.nan},                      # no limit, no check
    ) == [None, "age_limit", None, "age_limit", "age_limit", None, "age_limit", None, None]
    assert verdict({S.ITEM_CODE: "ML", S.AGE_YEARS: 27.0}, youth_max_age=29) == [None]


def test_nothing_done_within_a_year() -> None:
    assert verdict({S.DAYS_SINCE_DONE: 364.0}, {S.DAYS_SINCE_DONE: 365.0}, {S.DAYS_SINCE_DONE: np.nan},
                   {S.DAYS_SINCE_DONE: 0.0}) == ["done_recently", None, None, "done_recently"]
    assert verdict({S.DAYS_SINCE_DONE: 364.0}, done_days=90) == [None]


def test_nothing_in_progress_is_proposed_again_but_it_stays_a_candidate_of_the_offer() -> None:
    from recommender.eligibility import eligible_candidates

    in_progress = ({S.DAYS_SINCE_IN_PROGRESS: 364.0}, {S.DAYS_SINCE_IN_PROGRESS: 365.0},
                   {S.DAYS_SINCE_IN_PROGRESS: np.nan}, {S.DAYS_SINCE_IN_PROGRESS: 0.0})
    assert verdict(*in_progress) == ["in_progress", None, None, "in_progress"]
    assert verdict(*in_progress, in_progress_days=None) == [None] * 4
    # From the offer's side: offer rows only, in progress kept, the other rules as ever.
    offers = pairs(*({**row, S.ITEM_KIND: "offer", S.ITEM_KEY: f"offer:{n}"} for n, row in enumerate(in_progress)),
                   {S.ITEM_KIND: "offer", S.ITEM_KEY: "offer:9", S.DAYS_SINCE_DONE: 3.0},
                   {S.ITEM_KIND: "offer", S.ITEM_KEY: "offer:8", S.DAYS_SINCE_DECLINED: 3.0}, {})
    assert eligible_candidates(offers)[S.ITEM_KEY].tolist() == ["offer:0", "offer:1", "offer:2", "offer:3"]
    assert eligible_candidates(offers, in_progress_days=365)[S.ITEM_KEY].tolist() == ["offer:1", "offer:2"]


def test_nothing_declined_within_six_months() -> None:
    assert verdict({S.DAYS_SINCE_DECLINED: 179.0}, {S.DAYS_SINCE_DECLINED: 180.0},
                   {S.DAYS_SINCE_DECLINED: np.nan}) == ["declined_recently", None, None]
    assert verdict({S.DAYS_SINCE_DECLINED: 200.0}, declined_days=365) == ["declined_recently"]


def test_no_second_prescription_of_the_same_training() -> None:
    assert verdict({S.ITEM_KIND: "training", S.BLOCKING_PRESCRIPTION: 1},
                   {S.ITEM_KIND: "training", S.BLOCKING_PRESCRIPTION: 0}) == ["already_prescribed", None]


def test_training_unrelated_to_the_project_is_kept_but_flagged() -> None:
    result = eligibility(pairs(
        {S.ITEM_KIND: "training", S.OCCUPATION_MATCH: 0.0},
        {S.ITEM_KIND: "training", S.OCCUPATION_MATCH: 0.25},
        {S.ITEM_KIND: "training", S.OCCUPATION_MATCH: np.nan},       # no occupation: nothing to compare
        {S.ITEM_KIND: "offer", S.OCCUPATION_MATCH: 0.0},
        {S.ITEM_KIND: "training", S.OCCUPATION_MATCH: 0.0, S.BLOCKING_PRESCRIPTION: 1},
    ))
    assert result[S.ELIGIBLE].tolist() == [1, 1, 1, 1, 0]
    assert result[S.OUT_OF_PROJECT].tolist() == [1, 0, 0, 0, 0]


def test_the_first_failing_rule_names_the_exclusion() -> None:
    assert verdict({S.ITEM_CODE: "POPS-MDPH", S.DAYS_SINCE_DECLINED: 10.0, S.BLOCKING_PRESCRIPTION: 1},
                   {S.DAYS_SINCE_DONE: 10.0, S.DAYS_SINCE_DECLINED: 10.0}) == ["requires_rqth", "done_recently"]


def test_eligible_pairs_keeps_the_index_and_adds_the_flag() -> None:
    frame = pairs({S.ITEM_KIND: "training", S.OCCUPATION_MATCH: 0.0}, {S.DAYS_SINCE_DONE: 3.0}, {})
    frame.index = [10, 20, 30]
    kept = eligible_pairs(frame)
    assert kept.index.tolist() == [10, 30]
    assert kept[S.OUT_OF_PROJECT].tolist() == [1, 0]
    assert S.OUT_OF_PROJECT not in frame.columns


@pytest.mark.parametrize("values", [
    [("rqth",), (), ("rsa", "rqth"), None],
    [["rqth"], [], ["rsa", "rqth"], None],        # lists, as read from JSON
])
def test_requirements_accept_tuples_lists_and_missing(values: list) -> None:
    assert requires(pd.Series(values, dtype=object), "rqth").tolist() == [True, False, True, False]
    assert requires(pd.Series(values, dtype=object), "rsa").tolist() == [False, False, True, False]
