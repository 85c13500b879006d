"""Whom to contact first: the priority list of each counselor's portfolio of job seekers.

The score
---------
One score, higher = contact first::

    score = urgency_weight · urgency_points + gain_weight · clip(uplift, min_gain, max_gain)
          = urgency_points                  + 300 · clip(uplift, −0.05, 0.05)       (defaults)

- ``urgency_points`` come from the rules of ``recommender/urgency.py``. The deadlines (rights
  ending, missed appointment, partner no-show) are worth 35 to 50 points and the gain term is
  bounded by ±15, so **these urgent cases always come first**; the overdue follow-up (entretien
  de situation, 6–9 month review, contact beyond the modality's interval) is worth 1 or 2 points:
  flagged on the row, it puts the overdue person first between nearly equal gains (a third or
  two thirds of a probability point), and the gain orders the rest.
- ``uplift`` is the estimated gain of P(return to employment within 6 months) from a contact now
  (``recommender/uplift.py``, learned from randomised contacts), worth 3 points per probability
  point (0.04 → 12). Negative estimates count as they are: on the demo data the randomised
  contacts lower the 6-month return on average (about −1.5 points), about half the estimates
  are negative, and flooring them at 0 threw away how they order people. The bounds (±5
  probability points) only limit the estimation noise: on the demo data 1 % of the estimates
  reach them.

How the two combine was chosen on the training snapshots only (the evaluation snapshots
unseen): Qini of the list on the randomised rows, 95 % bootstrap interval, with the default
contact-effect model, in 4-fold cross-fitting grouped by person | first 9 snapshots → last 3::

    100 · clip(uplift, 0, 0.15)         (former)   0.00024 [−0.00003, 0.00060] | 0.00033 [−0.00031, 0.00091]
    100 · clip(uplift, −0.15, 0.15)                0.00048 [0.00016, 0.00083]  | 0.00063 [−0.00001, 0.00119]
    200 · clip(uplift, −0.075, 0.075)              0.00051 [0.00024, 0.00089]  | 0.00079 [0.00016, 0.00138]
    300 · clip(uplift, −0.05, 0.05)     (default)  0.00052 [0.00027, 0.00090]  | 0.00085 [0.00021, 0.00142]
    400 · clip(uplift, −0.0375, 0.0375)            0.00052 [0.00028, 0.00090]  | 0.00088 [0.00024, 0.00144]
    600 · clip(uplift, −0.025, 0.025)              0.00050 [0.00027, 0.00087]  | 0.00090 [0.00026, 0.00146]

(the gain alone, without the rules: 0.00042 | 0.00093): beyond 300 the overdue points become
mere tie-breaks for no clear gain, so 300 it is.

The list ranks by the **expected gain of contacting now, not by risk**. Ranking by the risk of
staying unemployed (low ``OUTCOME_PROBABILITY``) would send counselors first to the people a
contact helps least — those with heavy barriers, whom other services (global, partners) must
reach — and to the people already contacted anyway (the effect saturates); seed 001 warns
against that adverse selection. The probability is still computed, shown and evaluated.

Exploration
-----------
In each counselor's list, ``ceil(exploration_share · n)`` people (5 % by default) are drawn
uniformly at random among those the score does not already put in the first ``1/share``
positions (the first page; the first half in lists shorter than two pages), and placed every
``1/share``-th position (20th, 40th, … by default; the last slots are pulled back inside short
lists; a list of one has none). They are marked ``EXPLORATION = 1`` with the reason
"Sélection aléatoire (exploration)": they keep the lists from only ever showing the model's own
choices. (Contacts they lead to are random only among the people off the first page: to train on
them as randomised contacts, pass that probability as ``propensity`` to ``ContactEffectModel``.)
The draw uses a generator seeded by ``(seed, counselor id)``: the same seed gives the same list,
and one portfolio's draw does not depend on the others.

Reasons (at most ``max_reasons``, most important first): exploration, the urgency reasons (most
urgent first), the contact gain — "augmente nettement ses chances" from ``strong_uplift``
(4 points), "peut l'aider" from ``moderate_uplift`` (2 points) — and new offers in a target
occupation within reach. On the synthetic data mirroring the demo, about 10 % of people get the
first and a quarter the second (the true effect averages 2 points, its top decile 4 to 5).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from recommender import schema as S
from recommender.outcome import OutcomeModel
from recommender.reasons import Reason
from recommender.uplift import ContactEffectModel
from recommender.urgency import RULES, Rule, evaluate, urgency_points

URGENCY_WEIGHT = 1.0
GAIN_WEIGHT = 300.0
MAX_GAIN = 0.05
MIN_GAIN = -0.05
STRONG_UPLIFT = 0.04
MODERATE_UPLIFT = 0.02
MAX_REASONS = 4

OUTPUT_COLUMNS = (S.JOB_SEEKER_ID, S.EXTERNAL_ID, S.COUNSELOR_ID, S.COUNSELOR_EXTERNAL_ID, S.SCORE, S.RANK,
                  S.OUTCOME_PROBABILITY, S.UPLIFT, S.URGENCY, S.EXPLORATION, S.REASONS)
EXPLORATION_REASON = Reason("exploration")


def randomised_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows where ``TREATED_RANDOM`` is a fair coin: ``REGULAR_CONTACT = 0`` (every row without it)."""
    if S.REGULAR_CONTACT not in frame.columns:
        return pd.Series(True, index=frame.index)
    return frame[S.REGULAR_CONTACT] == 0


class PriorityModel(BaseEstimator):
    """The two models behind the list: ``outcome_`` (OutcomeModel) and ``effect_`` (ContactEffectModel).

    ``outcome`` and ``effect`` are unfitted templates (cloned at ``fit``); by default an
    ``OutcomeModel`` and a ``ContactEffectModel`` with ``random_state`` and ``n_threads``.
    """

    def __init__(self, *, outcome: OutcomeModel | None = None, effect: ContactEffectModel | None = None,
                 random_state: int | None = None, n_threads: int | None = 1) -> None:
        self.outcome = outcome
        self.effect = effect
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, frame: pd.DataFrame, y: Any = None) -> PriorityModel:
        """Fits both models on a labelled frame (``LABEL_EMPLOYMENT`` unless ``y`` is given).

        The outcome model learns from every row. The effect model learns from the rows where
        the contact was randomised — ``REGULAR_CONTACT = 0`` when the frame has it: a random pick
        only counts when no regular contact happened, so there ``TREATED_RANDOM`` is a fair coin —
        with ``TREATED_RANDOM`` as the treatment.
        """
        labels = pd.Series(np.asarray(frame[S.LABEL_EMPLOYMENT] if y is None else y), index=frame.index)
        defaults = {"random_state": self.random_state, "n_threads": self.n_threads}
        outcome = OutcomeModel(**defaults) if self.outcome is None else clone(self.outcome)
        effect = ContactEffectModel(**defaults) if self.effect is None else clone(self.effect)
        self.outcome_ = outcome.fit(frame, labels)
        rows = randomised_rows(frame)
        self.effect_ = effect.fit(frame[rows], labels[rows], frame.loc[rows, S.TREATED_RANDOM])
        return self

    def predict_probability(self, frame: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "outcome_")
        return self.outcome_.predict_probability(frame)

    def predict_uplift(self, frame: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "effect_")
        return self.effect_.predict_uplift(frame)


def priority_score(urgency: Any, uplift: Any, *, urgency_weight: float = URGENCY_WEIGHT,
                   gain_weight: float = GAIN_WEIGHT, max_gain: float = MAX_GAIN,
                   min_gain: float = MIN_GAIN) -> np.ndarray:
    """The score of the module docstring, vectorised."""
    gain = np.clip(np.asarray(uplift, dtype=float), min_gain, max_gain)
    return urgency_weight * np.asarray(urgency, dtype=float) + gain_weight * gain


def score_parts(frame: pd.DataFrame, model: PriorityModel, *, rules: Sequence[Rule] = RULES,
                **weights: float) -> pd.DataFrame:
    """Per row (same index as ``frame``): ``OUTCOME_PROBABILITY``, ``UPLIFT``, ``URGENCY`` and the
    pure ranking ``SCORE`` (no exploration, no reasons) — what the evaluation needs."""
    uplift = model.predict_uplift(frame)
    urgency = urgency_points(frame, rules).to_numpy()
    return pd.DataFrame({
        S.OUTCOME_PROBABILITY: model.predict_probability(frame),
        S.UPLIFT: uplift,
        S.URGENCY: urgency,
        S.SCORE: priority_score(urgency, uplift, **weights),
    }, index=frame.index)


def counselor_codes(counselors: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """A code per row for its counselor's list, in counselor order; no counselor is the last list."""
    codes, uniques = pd.factorize(counselors, sort=True)
    codes = np.where(codes < 0, len(uniques), codes)
    return codes, [*uniques, None]


def identity_columns(frame: pd.DataFrame, order: np.ndarray, id_column: str) -> dict[str, Any]:
    """The id, external id and counselor columns of an output frame, in ``order``."""
    def column(name: str) -> Any:
        if name in frame.columns:
            return frame[name].to_numpy()[order]
        return np.full(len(order), None, dtype=object)

    return {id_column: frame[id_column].to_numpy()[order], S.EXTERNAL_ID: column(S.EXTERNAL_ID),
            S.COUNSELOR_ID: column(S.COUNSELOR_ID), S.COUNSELOR_EXTERNAL_ID: column(S.COUNSELOR_EXTERNAL_ID)}


def _counselor_seed(counselor: Any) -> int:
    if counselor is None or pd.isna(counselor):
        return 2 ** 32
    try:
        value = int(counselor)
        if value == counselor and value >= 0:
            return value
    except (TypeError, ValueError):
        pass
    return 2 ** 33 + zlib.crc32(str(counselor).encode())


def _place_exploration(order: np.ndarray, share: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One portfolio: ``order`` (rows by score) → (rows in list order, exploration flags)."""
    n = len(order)
    if share <= 0 or n < 2:
        return order, np.zeros(n, dtype=bool)
    step = max(1, round(1 / share))
    top = min(step, n // 2)  # never drawn: already on the first page
    k = min(math.ceil(share * n - 1e-9), n - top)
    if k <= 0:
        return order, np.zeros(n, dtype=bool)
    chosen = rng.choice(np.arange(top, n), size=k, replace=False)  # indices into ``order``
    slots = np.minimum(np.arange(1, k + 1) * step, n - k + np.arange(1, k + 1)) - 1  # 0-based, distinct
    placed = np.empty(n, dtype=order.dtype)
    flags = np.zeros(n, dtype=bool)
    placed[slots] = order[chosen]
    flags[slots] = True
    rest = np.ones(n, dtype=bool)
    rest[chosen] = False
    placed[~flags] = order[rest]
    return placed, flags


def _uplift_reasons(uplift: np.ndarray, strong: float, moderate: float) -> list[Reason | None]:
    strong_reason, moderate_reason = Reason("contact_gain_strong"), Reason("contact_gain")
    return [strong_reason if u >= strong else moderate_reason if u >= moderate else None for u in uplift.tolist()]


def _offer_reasons(frame: pd.DataFrame) -> list[Reason | None]:
    if S.NEW_OFFERS_COUNT not in frame.columns:
        return [None] * len(frame)
    counts = pd.to_numeric(frame[S.NEW_OFFERS_COUNT], errors="coerce").fillna(0).astype(int).tolist()
    romes = frame[S.NEW_OFFERS_ROME].tolist()
    radius = pd.to_numeric(frame[S.NEW_OFFERS_RADIUS_KM], errors="coerce").tolist()
    reasons: list[Reason | None] = []
    for count, rome, km in zip(counts, romes, radius):
        if count < 1 or rome is None or (isinstance(rome, float) and math.isnan(rome)):
            reasons.append(None)
        elif math.isnan(km):
            reasons.append(Reason("new_offers_nearby", {"count": count, "rome": str(rome)}))
        else:
            reasons.append(Reason("new_offers", {"count": count, "rome": str(rome), "km": int(round(km))}))
    return reasons


def score_job_seekers(frame: pd.DataFrame, model: PriorityModel, *, exploration_share: float = 0.05,
                      seed: int = 0, strong_uplift: float = STRONG_UPLIFT, moderate_uplift: float = MODERATE_UPLIFT,
                      max_reasons: int = MAX_REASONS, rules: Sequence[Rule] = RULES,
                      **weights: float) -> pd.DataFrame:
    """The priority lists of every counselor in ``frame`` (one row per job seeker).

    Columns ``OUTPUT_COLUMNS``, sorted by counselor then ``RANK`` (1-based within each counselor's
    portfolio; people without a counselor form one more list). ``weights``: ``urgency_weight``,
    ``gain_weight``, ``max_gain``, ``min_gain`` of ``priority_score``.
    """
    if not 0 <= exploration_share < 1:
        raise ValueError("exploration_share must be in [0, 1)")
    frame = frame.reset_index(drop=True)
    n = len(frame)
    if n == 0:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in OUTPUT_COLUMNS})
    urgency = evaluate(frame, rules)
    uplift = model.predict_uplift(frame)
    probability = model.predict_probability(frame)
    score = priority_score(urgency[S.URGENCY].to_numpy(), uplift, **weights)

    counselors = frame[S.COUNSELOR_ID]
    codes, uniques = counselor_codes(counselors)
    ids = frame[S.JOB_SEEKER_ID].to_numpy()
    by_list = np.lexsort((ids, -score, codes))  # counselor, then score descending, then id
    bounds = np.flatnonzero(np.diff(codes[by_list])) + 1
    order_parts, flag_parts = [], []
    for rows in np.split(by_list, bounds):
        key = _counselor_seed(uniques[codes[rows[0]]])
        rng = np.random.default_rng([int(seed), key])
        placed, flags = _place_exploration(rows, exploration_share, rng)
        order_parts.append(placed)
        flag_parts.append(flags)
    order = np.concatenate(order_parts)
    explored = np.concatenate(flag_parts)
    ranks = np.concatenate([np.arange(1, len(part) + 1) for part in order_parts])

    urgency_reasons = urgency[S.REASONS].tolist()
    gain_reasons = _uplift_reasons(uplift, strong_uplift, moderate_uplift)
    offer_reasons = _offer_reasons(frame)
    reasons = []
    for row, is_explored in zip(order.tolist(), explored.tolist()):
        found = [EXPLORATION_REASON] if is_explored else []
        found += urgency_reasons[row]
        if gain_reasons[row] is not None:
            found.append(gain_reasons[row])
        if offer_reasons[row] is not None:
            found.append(offer_reasons[row])
        reasons.append(found[:max_reasons])

    return pd.DataFrame({
        **identity_columns(frame, order, S.JOB_SEEKER_ID),
        S.SCORE: score[order],
        S.RANK: ranks,
        S.OUTCOME_PROBABILITY: probability[order],
        S.UPLIFT: uplift[order],
        S.URGENCY: urgency[S.URGENCY].to_numpy()[order],
        S.EXPLORATION: explored.astype(int),
        S.REASONS: reasons,
    })
