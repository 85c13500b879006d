"""Synthetic frames mirroring the demo data's generative model (seeds/README.md), for tests.

``make_job_seekers`` returns every column of ``recommender.schema`` for job seekers (ids,
protected attributes, features, urgency inputs, labels and treatments) plus hidden truths:
``true_uplift`` (gain of P(employment within 6 months) from a contact now for someone the
regular policy does not contact this month — what the effect model estimates on the rows with
``REGULAR_CONTACT = 0``), ``true_added_uplift`` (the same averaged over the regular policy's
draw: the gain of adding one randomised contact, ``(1 − p_regular)·true_uplift``) and
``true_probability`` (P(employment) given the contact the row actually received).

Treatments are recorded as in the demo: the randomised pick only counts when the regular policy
leaves the person alone (``TREATED_RANDOM = pick and not REGULAR_CONTACT``), so among the rows
with ``REGULAR_CONTACT = 0`` it is a fair coin. ``make_employers`` does the same for employers, with ``true_rate``
(expected hires in the next 6 months).

The 6-month outcome is computed in closed form from the demo's monthly hazard:
``logit h = -3.5 + e + 0.8·shortage_z + season - 0.3·log(1 + months/6) + 0.3·m + τ·active
+ 0.25·[rights end < 60 days]``, where ``active`` = a meaningful contact this month or last,
regular contacts follow the confounded policy (modality × overdue × rights ending × low
employability) and ``τ = 1.1·exp(-e²/(2·0.55²))·{1, 0.5, 0.08}[barriers]`` (saturating).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import schema as S

ROMES = ("M1607", "K2204", "N1103", "G1602", "J1501", "H2102", "A1203", "N4101")
CONTACT_PROBABILITY = {"suivi": 0.14, "guide": 0.38, "renforce": 0.70, "global": 0.60, "aij": 0.80}
CONTACT_INTERVAL = {"suivi": 90, "guide": 60, "renforce": 30, "global": 30, "aij": 30}
ONLINE_FACTOR = {"suivi": 1.3, "guide": 1.0, "renforce": 0.75, "global": 0.6, "aij": 1.0}
HORIZON_MONTHS = 6


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def contact_effect(employability: np.ndarray, barriers: np.ndarray) -> np.ndarray:
    """τ of the demo (seeds/demo/simulate.py ``contact_effect``)."""
    return 1.1 * np.exp(-(employability ** 2) / (2 * 0.55 ** 2)) * np.select(
        [barriers == 0, barriers == 1], [1.0, 0.5], 0.08)


def _employment_probability(base: np.ndarray, tau: np.ndarray, p_regular: np.ndarray, contacted_before: np.ndarray,
                            contacted_now: np.ndarray) -> np.ndarray:
    """P(a hire within the horizon) given the contact in month 0, regular contacts afterwards.

    ``base`` (n × months) are the log-odds without contact; a contact is active in its month and the
    next. Exact over the regular-contact draws: a two-state recursion on "contacted last month".
    """
    active = np.maximum(contacted_now, contacted_before)
    hazard = _sigmoid(base[:, 0] + tau * active)
    alive_contacted = contacted_now * (1 - hazard)
    alive_not = (1 - contacted_now) * (1 - hazard)
    for month in range(1, base.shape[1]):
        h_plain, h_contact = _sigmoid(base[:, month]), _sigmoid(base[:, month] + tau)
        alive = alive_contacted + alive_not
        alive_contacted, alive_not = (
            alive * p_regular * (1 - h_contact),
            (1 - p_regular) * (alive_contacted * (1 - h_contact) + alive_not * (1 - h_plain)),
        )
    return 1 - alive_contacted - alive_not


def make_job_seekers(n: int, seed: int = 0, *, random_share: float = 0.10, n_counselors: int | None = None,
                     as_of: str = "2026-06-01") -> pd.DataFrame:
    """``n`` job seekers as of ``as_of`` with labels; ``random_share`` of them are picked for a
    randomised contact (which happens as such when the regular policy does not contact them)."""
    rng = np.random.default_rng(seed)
    age_band = rng.choice(np.array(["<26", "26-49", "50+"], dtype=object), n, p=[0.2, 0.6, 0.2])
    young, senior = age_band == "<26", age_band == "50+"
    gender = rng.choice(np.array(["female", "male"], dtype=object), n, p=[0.51, 0.49])
    nationality = rng.choice(np.array(["french", "eu", "non_eu"], dtype=object), n, p=[0.84, 0.05, 0.11])
    education = rng.choice(6, n, p=[0.12, 0.25, 0.25, 0.15, 0.12, 0.11]).astype(float)
    experience = np.round(rng.gamma(2.0, 30 + 60 * senior - 20 * young)).astype(float)
    edu_z = (education - 2.1) / 1.5
    exp_z = (np.log1p(experience) - 3.7) / 1.0
    digital_score = 0.4 + 0.7 * edu_z - 0.9 * senior + 0.3 * young + rng.normal(0, 0.8, n)
    digital = np.select([digital_score < -0.6, digital_score < 0.3], [0.0, 1.0], 2.0)
    rsa = (rng.random(n) < _sigmoid(-2.0 - 0.6 * edu_z)).astype(int)
    disability = (rng.random(n) < 0.08).astype(int)
    qpv = (rng.random(n) < 0.10 + 0.10 * rsa).astype(int)
    months_registered = np.minimum(rng.exponential(9.0, n), 36.0)
    old_stock = months_registered > 24
    barriers = rng.poisson(0.2 + 0.4 * rsa + 0.3 * qpv + 0.3 * (education == 0) + 0.4 * (digital == 0)
                           + 0.2 * disability).astype(float)
    trainings = rng.poisson(0.15, n).astype(float)
    e0 = (0.42 * edu_z + 0.35 * exp_z + np.select([digital == 2, digital == 1], [0.45, 0.0], -0.55)
          - 0.55 * senior - 0.1 * young - 0.3 * rsa - 0.25 * old_stock + rng.normal(0, 0.4, n))
    motivation = rng.normal(0, 0.5, n)
    bonus = 0.3 * trainings
    employability = e0 + bonus - 0.45 * barriers

    placement = e0 - 0.45 * barriers + rng.normal(0, 0.3, n)
    modality = np.select(
        [(rsa == 1) & (barriers >= 2), (placement > 0.2) & (digital == 2), placement < -0.5],
        ["global", "suivi", "low"], "guide").astype(object)
    low = modality == "low"
    modality[low] = np.where(young[low] & (rng.random(low.sum()) < 0.5), "aij", "renforce")
    interval = np.array([CONTACT_INTERVAL[m] for m in modality], dtype=float)
    p_modality = np.array([CONTACT_PROBABILITY[m] for m in modality])

    contacts_90d = rng.poisson(3 * p_modality).astype(float)
    contacts_30d = rng.binomial(contacts_90d.astype(int), 1 / 3).astype(float)
    registered_days = np.floor(months_registered * 30.44)
    days_since_contact = np.where(
        contacts_30d > 0, rng.integers(0, 30, n),
        np.where(contacts_90d > 0, rng.integers(30, 90, n), np.minimum(registered_days, 90 + rng.exponential(60, n))))
    days_since_contact = np.floor(np.minimum(days_since_contact, registered_days)).astype(float)
    overdue = days_since_contact > interval

    has_benefits = ((experience >= 4) & (rng.random(n) < 0.7)).astype(int)
    days_to_rights_end = np.where(has_benefits == 1, rng.integers(0, 700, n), np.nan).astype(float)
    rights_soon = days_to_rights_end < 60

    shortage_pct = rng.uniform(10, 90, n)
    shortage_z = (shortage_pct - 50) / 23
    mobility_km = rng.choice([5.0, 10.0, 20.0, 30.0, 50.0], n)
    online_30d = rng.poisson(3 * np.select([digital == 2, digital == 1], [1.0, 0.4], 0.07)
                             * np.array([ONLINE_FACTOR[m] for m in modality]) * np.exp(0.6 * motivation)).astype(float)
    days_since_online = np.where(online_30d > 0, rng.integers(0, 30, n),
                                 np.where(rng.random(n) < 0.5, np.nan, 30 + np.floor(rng.exponential(60, n))))
    proposals_90d = rng.poisson(0.8 * contacts_90d).astype(float)
    accepted_90d = rng.binomial(proposals_90d.astype(int), _sigmoid(-0.6 + 0.5 * motivation)).astype(float)
    applications_90d = rng.poisson(0.4 * np.exp(0.5 * motivation) + 0.3 * accepted_90d).astype(float)
    short_jobs = rng.poisson(0.15 + 0.3 * _sigmoid(employability)).astype(float)
    offers_nearby = rng.poisson(np.exp(0.8 + 0.7 * shortage_z + 0.02 * mobility_km)).astype(float)

    # Outcome: monthly log-odds without contact over the horizon.
    season = rng.normal(0, 0.5, n)
    months = np.arange(HORIZON_MONTHS)
    remaining = days_to_rights_end[:, None] - 30.44 * months[None, :]
    base = (-3.5 + employability + 0.8 * shortage_z + season + 0.3 * motivation)[:, None] \
        - 0.3 * np.log1p((months_registered[:, None] + months[None, :]) / 6) \
        + 0.25 * ((remaining >= 0) & (remaining < 60))
    tau = contact_effect(e0 + bonus, barriers)
    p_regular = np.minimum(0.95, p_modality * np.where(overdue, 1.6, 1.0) * np.where(rights_soon, 1.3, 1.0)
                           * np.where(e0 < -0.5, 1.2, 1.0))
    before = (contacts_30d > 0).astype(float)
    p_with = _employment_probability(base, tau, p_regular, before, np.ones(n))
    p_without = _employment_probability(base, tau, p_regular, before, np.zeros(n))
    true_uplift = p_with - p_without

    picked = rng.random(n) < random_share
    regular = rng.random(n) < p_regular
    treated_random = (picked & ~regular).astype(int)
    treated = (picked | regular).astype(int)
    true_probability = np.where(treated == 1, p_with, p_without)
    label = (rng.random(n) < true_probability).astype(int)

    n_counselors = n_counselors or max(1, n // 200)
    counselor = 100 + rng.integers(0, n_counselors, n)
    ids = np.arange(1, n + 1)
    new_offers = rng.poisson(0.6 * np.exp(0.5 * shortage_z)).astype(float)
    missed = rng.random(n) < 0.08
    no_show = rng.random(n) < 0.04
    return pd.DataFrame({
        S.JOB_SEEKER_ID: ids,
        S.EXTERNAL_ID: [f"DE{i:07d}" for i in ids],
        S.COUNSELOR_ID: counselor,
        S.COUNSELOR_EXTERNAL_ID: [f"CONS{c:04d}" for c in counselor],
        S.AS_OF: pd.Timestamp(as_of),
        S.GENDER: gender,
        S.AGE_BAND: age_band,
        S.NATIONALITY_GROUP: nationality,
        S.DISABILITY: disability,
        S.QPV: qpv,
        S.MODALITY: modality,
        S.EDUCATION_RANK: education,
        S.EXPERIENCE_MONTHS: experience,
        S.DIGITAL_AUTONOMY_RANK: digital,
        S.RSA: rsa,
        S.MOBILITY_KM: mobility_km,
        S.MONTHS_REGISTERED: months_registered,
        S.OPEN_BARRIERS: barriers,
        S.HAS_BENEFITS: has_benefits,
        S.DAYS_TO_RIGHTS_END: days_to_rights_end,
        S.TARGET_COUNT: rng.integers(1, 4, n).astype(float),
        S.TARGET_SHORTAGE_PCT: shortage_pct,
        S.CONTACTS_30D: contacts_30d,
        S.CONTACTS_90D: contacts_90d,
        S.DAYS_SINCE_CONTACT: days_since_contact,
        S.ONLINE_30D: online_30d,
        S.DAYS_SINCE_ONLINE: days_since_online.astype(float),
        S.PROPOSALS_90D: proposals_90d,
        S.PROPOSALS_ACCEPTED_90D: accepted_90d,
        S.APPLICATIONS_90D: applications_90d,
        S.TRAININGS_COMPLETED: trainings,
        S.SHORT_JOBS_365D: short_jobs,
        S.OFFERS_NEARBY_30D: offers_nearby,
        S.CONTACT_INTERVAL_DAYS: interval,
        S.SITUATION_INTERVIEW_MISSING: ((months_registered > 1) & (rng.random(n) < 0.05)).astype(int),
        S.REVIEW_OVERDUE: ((months_registered > 9) & (rng.random(n) < 0.25)).astype(int),
        S.DAYS_SINCE_MISSED_APPOINTMENT: np.where(missed, rng.integers(0, 150, n), np.nan).astype(float),
        S.DAYS_SINCE_REFERRAL_NO_SHOW: np.where(no_show, rng.integers(0, 150, n), np.nan).astype(float),
        S.NEW_OFFERS_ROME: np.where(new_offers > 0, rng.choice(np.array(ROMES, dtype=object), n), None),
        S.NEW_OFFERS_COUNT: new_offers,
        S.NEW_OFFERS_RADIUS_KM: mobility_km,
        S.LABEL_EMPLOYMENT: label,
        S.TREATED: treated,
        S.TREATED_RANDOM: treated_random,
        S.REGULAR_CONTACT: regular.astype(int),
        "true_uplift": true_uplift,
        "true_added_uplift": (1 - p_regular) * true_uplift,
        "true_probability": true_probability,
    })


NAF_SECTIONS = {"A": 1.3, "C": 0.9, "F": 1.1, "G": 1.2, "H": 1.0, "I": 1.8, "J": 0.6, "M": 0.5, "N": 2.0, "Q": 1.1}
SIZE_FACTOR = np.array([0.3, 0.6, 1.2, 2.5, 5.0, 10.0, 20.0])


def make_employers(n: int, seed: int = 0, *, n_counselors: int | None = None,
                   as_of: str = "2026-06-01") -> pd.DataFrame:
    """``n`` employers with a persistent hiring rate λ (size × sector × LogNormal(0, 0.6)):
    past hires, offers and next-period hires are Poisson draws around it."""
    rng = np.random.default_rng(seed)
    sections = np.array(list(NAF_SECTIONS), dtype=object)
    naf = rng.choice(sections, n)
    size = rng.choice(len(SIZE_FACTOR), n, p=[0.35, 0.25, 0.15, 0.1, 0.08, 0.05, 0.02])
    sector = np.array([NAF_SECTIONS[s] for s in naf])
    rate = 0.5 * SIZE_FACTOR[size] * sector * rng.lognormal(0, 0.6, n)  # hires per 6 months
    open_offers = rng.poisson(0.15 * rate).astype(float)
    ageing = rng.binomial(open_offers.astype(int), 0.4).astype(float)
    oldest = np.where(ageing > 0, rng.integers(31, 120, n), np.where(open_offers > 0, rng.integers(0, 31, n), np.nan))
    offers_6m = rng.poisson(0.8 * rate).astype(float)
    never = rng.random(n) < 0.3
    n_counselors = n_counselors or max(1, n // 100)
    counselor = 500 + rng.integers(0, n_counselors, n)
    ids = np.arange(1, n + 1)
    return pd.DataFrame({
        S.EMPLOYER_ID: ids,
        S.EXTERNAL_ID: [f"E{i:08d}" for i in ids],
        S.COUNSELOR_ID: counselor,
        S.COUNSELOR_EXTERNAL_ID: [f"CONS{c:04d}" for c in counselor],
        S.AS_OF: pd.Timestamp(as_of),
        S.NAF_SECTION: naf,
        S.SIZE_RANK: size.astype(float),
        S.HIRES_6M: rng.poisson(rate).astype(float),
        S.HIRES_PREV_6M: rng.poisson(rate).astype(float),
        S.OFFERS_6M: offers_6m,
        S.OFFERS_PREV_6M: rng.poisson(0.8 * rate).astype(float),
        S.OPEN_OFFERS: open_offers,
        S.AGEING_OFFERS: ageing,
        S.OLDEST_OPEN_OFFER_DAYS: oldest.astype(float),
        S.APPLICATIONS_6M: rng.poisson(2 * offers_6m).astype(float),
        S.SECTOR_HIRES_LOG: np.log1p(10000 * sector),
        S.EMPLOYER_DAYS_SINCE_CONTACT: np.where(never, np.nan, np.floor(rng.exponential(120, n))),
        S.EMPLOYER_CONTACTS_90D: rng.poisson(0.5, n).astype(float),
        S.LABEL_HIRES_NEXT_6M: rng.poisson(rate).astype(float),
        "true_rate": rate,
    })
