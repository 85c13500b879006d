"""Synthetic candidate-pair frames (``schema`` section "recommendations") for the tests.

``make_pairs`` draws people, a catalogue of every kind and, per person, ``items_per_person``
candidate items, with every column of the pair frame. Relevance follows a known model: the log
odds of acceptance are ``-3.2 + 2.5·match + 1.5·need_match − 0.04·km + 1.5·(person accept rate
− 0.3) + kind effect``, and an accepted pair goes further (label 2) with probability 0.4.
Popularity counts are only loosely related to it, so a model reading the features should beat
the baselines. ``make_history`` gives each person past proposals of items of their target
occupation (what ``ItemKNN`` learns from).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import schema as S

ROMES = ("M1607", "K2204", "N1103", "G1602", "J1501", "H2102")
KINDS = {"offer": 14, "training": 10, "workshop": 4, "prestation": 4, "partner_service": 3, "event": 3}
KIND_EFFECT = {"offer": 0.3, "training": 0.0, "workshop": -0.3, "prestation": -0.2, "partner_service": -0.5,
               "event": -0.4}
WITH_ROME = ("offer", "training")


def make_catalogue(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kinds = np.array([kind for kind, count in KINDS.items() for _ in range(count)], dtype=object)
    n = len(kinds)
    ids = np.arange(1, n + 1)
    offer, with_rome = kinds == "offer", np.isin(kinds, WITH_ROME)
    session = np.isin(kinds, ("training", "event", "workshop"))
    return pd.DataFrame({
        S.ITEM_KIND: kinds,
        S.ITEM_ID: ids,
        S.ITEM_KEY: [f"{kind}:{i}" for kind, i in zip(kinds, ids)],
        S.ITEM_EXTERNAL_ID: [f"IT{i:05d}" for i in ids],
        S.ITEM_CODE: np.where(offer, None, np.array([f"C{i}" for i in ids], dtype=object)),
        S.ITEM_ROME: np.where(with_rome, rng.choice(np.array(ROMES, dtype=object), n), None),
        S.SEATS_LEFT: np.where(offer, rng.integers(1, 4, n), np.where(session, rng.integers(2, 15, n), np.nan)),
        S.DAYS_TO_START: np.where(session, rng.integers(3, 90, n), np.nan).astype(float),
        S.ITEM_AGE_DAYS: np.where(offer, rng.integers(0, 40, n), np.nan).astype(float),
        S.ITEM_SHORTAGE_PCT: np.where(with_rome, rng.uniform(10, 90, n), np.nan),
        S.ITEM_PROPOSALS_365D: rng.poisson(20, n).astype(float),
        S.ITEM_ACCEPT_RATE: rng.uniform(0.2, 0.6, n),
        S.ITEM_SUCCESS_RATE: rng.uniform(0.1, 0.5, n),
        S.ITEM_MAX_AGE: np.nan,
        S.ITEM_REQUIRES: [()] * n,
    })


def make_persons(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1)
    ids = np.arange(1, n + 1)
    return pd.DataFrame({
        S.JOB_SEEKER_ID: ids,
        S.EXTERNAL_ID: [f"DE{i:07d}" for i in ids],
        S.PERSON_ROME: rng.choice(np.array(ROMES, dtype=object), n),
        S.PERSON_BASSIN: rng.choice(np.array(["B1", "B2"], dtype=object), n),
        S.GENDER: rng.choice(np.array(["female", "male"], dtype=object), n),
        S.AGE_BAND: "26-49",
        S.NATIONALITY_GROUP: "french",
        S.DISABILITY: 0,
        S.QPV: 0,
        S.RSA: 0,
        S.AGE_YEARS: rng.integers(26, 60, n).astype(float),
        S.MODALITY: rng.choice(np.array(["suivi", "guide", "renforce"], dtype=object), n),
        S.EDUCATION_RANK: rng.integers(0, 6, n).astype(float),
        S.DIGITAL_AUTONOMY_RANK: rng.integers(0, 3, n).astype(float),
        S.MOBILITY_KM: rng.choice([10.0, 20.0, 30.0], n),
        S.MONTHS_REGISTERED: rng.uniform(0, 24, n),
        S.PERSON_ACCEPT_RATE: rng.uniform(0, 0.6, n),
        S.PERSON_OPEN_APPLICATIONS: rng.poisson(0.8, n).astype(float),
        S.ONLINE_30D: rng.poisson(3, n).astype(float),
        S.CONTACTS_90D: rng.poisson(2, n).astype(float),
        S.DAYS_SINCE_CONTACT: rng.integers(0, 120, n).astype(float),
        S.DAYS_TO_APPOINTMENT: np.where(rng.random(n) < 0.2, rng.integers(0, 20, n), np.nan),
        S.TARGET_OFFERS: rng.poisson(3, n).astype(float),
    })


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def make_pairs(n_persons: int = 200, *, items_per_person: int = 20, seed: int = 0) -> pd.DataFrame:
    """Every person × ``items_per_person`` distinct items, all columns, with ``LABEL_RELEVANCE``."""
    rng = np.random.default_rng(seed + 2)
    catalogue, persons = make_catalogue(seed), make_persons(n_persons, seed)
    picks = np.argsort(rng.random((n_persons, len(catalogue))), axis=1)[:, :items_per_person].ravel()
    person_rows = np.repeat(np.arange(n_persons), items_per_person)
    pairs = pd.concat([persons.iloc[person_rows].reset_index(drop=True),
                       catalogue.iloc[picks].reset_index(drop=True)], axis=1)
    n = len(pairs)
    has_rome = pairs[S.ITEM_ROME].notna().to_numpy()
    same = (pairs[S.ITEM_ROME] == pairs[S.PERSON_ROME]).to_numpy()
    other = rng.choice([0.7, 0.5, 0.25, 0.0], n, p=[0.15, 0.25, 0.25, 0.35])
    match = np.where(~has_rome, np.nan, np.where(same, 1.0, other))
    km = np.round(rng.gamma(2.0, 8.0, n), 1)
    need = (~has_rome & (rng.random(n) < 0.3)).astype(int)
    kind_effect = pairs[S.ITEM_KIND].map(KIND_EFFECT).to_numpy(dtype=float)
    accept = pairs[S.PERSON_ACCEPT_RATE].to_numpy()
    logit = -3.2 + 2.5 * np.nan_to_num(match, nan=0.4) + 1.5 * need - 0.04 * km + 1.5 * (accept - 0.3) + kind_effect
    accepted = rng.random(n) < _sigmoid(logit)
    label = accepted * (1 + (rng.random(n) < 0.4))
    pairs[S.OCCUPATION_MATCH] = match
    pairs[S.ROME_DISTANCE] = np.select([np.isnan(match), match == 1, match >= 0.5, match > 0], [np.nan, 0, 1, 2], 4)
    pairs[S.RELATED_SCORE] = np.where(match == 0.5, rng.uniform(0.2, 1, n), 0.0)
    pairs[S.DISTANCE_KM] = km
    pairs[S.BEYOND_MOBILITY] = (km > pairs[S.MOBILITY_KM].to_numpy()).astype(int)
    pairs[S.POPULARITY_OCC_BASSIN] = rng.poisson(1 + 1.0 * accepted).astype(float)
    pairs[S.ITEM_PREVIOUSLY_PROPOSED] = (rng.random(n) < 0.1).astype(int)
    pairs[S.NEED_MATCH] = need
    pairs[S.KIND_CANDIDATES] = pairs.groupby([S.JOB_SEEKER_ID, S.ITEM_KIND])[S.ITEM_KIND].transform("size").astype(float)
    pairs[S.DAYS_SINCE_DONE] = np.nan
    pairs[S.DAYS_SINCE_IN_PROGRESS] = np.nan
    pairs[S.DAYS_SINCE_DECLINED] = np.nan
    pairs[S.BLOCKING_PRESCRIPTION] = 0
    pairs[S.LABEL_RELEVANCE] = label.astype(int)
    # Item-kNN similarity to the person's history: weakly higher where it is the target occupation
    # (its own generator, so that the other columns stay as they were).
    pairs[S.ITEM_KNN_SCORE] = np.round(np.random.default_rng(seed + 5).gamma(1.0, 0.2, n) * (1 + same), 3)
    return pairs


def make_history(pairs: pd.DataFrame, *, per_person: int = 3, seed: int = 0) -> pd.DataFrame:
    """Past proposals: for each person, ``per_person`` items of their target occupation."""
    rng = np.random.default_rng(seed + 3)
    catalogue = make_catalogue(seed)
    persons = pairs[[S.JOB_SEEKER_ID, S.PERSON_ROME]].drop_duplicates(S.JOB_SEEKER_ID)
    rows = []
    for person, rome in zip(persons[S.JOB_SEEKER_ID].tolist(), persons[S.PERSON_ROME].tolist()):
        keys = catalogue.loc[catalogue[S.ITEM_ROME] == rome, S.ITEM_KEY].to_numpy()
        for key in rng.choice(keys, min(per_person, len(keys)), replace=False).tolist():
            rows.append((person, key))
    return pd.DataFrame(rows, columns=[S.JOB_SEEKER_ID, S.ITEM_KEY])
