"""What to propose: a ranked list of items (offers, trainings, workshops, prestations, partner
services, events) for each job seeker, and of candidates for each offer, with their reasons.

Input: the candidate-pair frame of ``schema`` (section "recommendations"), one row per
(job seeker, item) as of D. Pipeline of :func:`recommend`:

1. **Eligibility** first (``recommender/eligibility.py``): excluded pairs are dropped, trainings
   toward an unrelated occupation are kept with ``OUT_OF_PROJECT`` = 1 (and its reason).
2. **Relevance**: :class:`ProposalRanker`, a histogram gradient boosting classifier over
   ``schema.RECOMMENDATION_FEATURES`` (pair features — among them ``ITEM_KNN_SCORE``, the item-kNN
   similarity to the person's proposals of the year before D —, the person columns the pair frame
   carries, the item kind) estimating P(``LABEL_RELEVANCE`` ≥ 1) — that the proposal is accepted.
   Pairs whose acceptance led further (label 2: entered, completed, hired) may weigh
   ``strong_weight`` times more in the fit (``PROPOSAL_STRONG_WEIGHT`` = 1 in ``ProposalModel``).
3. **Training gain**: for trainings the issue asks for the likely *gain* (employment with vs
   without the training), not the raw return-to-work rate, which mostly reflects who enrols.
   :class:`TrainingGainModel` is a two-model learner (T-learner, ``recommender/uplift.py``) on the
   job-seeker frame: P(``LABEL_EMPLOYMENT``) for people who entered a training in the window
   (``ENTERED_TRAINING`` = 1) minus the same for those who did not, per person. The score of a
   training pair is the relevance times a bounded factor::

       score = relevance · clip(1 + gain_weight · gain, min_factor, max_factor)
             = relevance · clip(1 + 5 · gain, 0.5, 1.5)                       (defaults)

   so a training estimated to add 10 points of employment for this person weighs up to 1.5 times
   its relevance, one estimated to cost 10 points half. Other kinds, and people without a gain
   estimate, keep their relevance. The factor is bounded because the estimate is weaker than the
   relevance: entering a training is not randomised (the model adjusts for the observed features
   only), the gain is per person and not per training (too few entries per training), and at six
   months it includes the lock-in of the training itself (people in training are not working).
4. **Lists** (:func:`select_lists`, ``serve="score"``): the pairs of the whole batch are served by
   descending score (ties by id and item key), each person's list taking them while it has room: an
   item short of capacity goes to the people most likely to accept it, not to those served first
   because something else of theirs scored high; an item appears in at most
   ``Exposure.cap(seats)`` lists of the batch — ``max(min_slots, ceil(factor · SEATS_LEFT))``,
   none when no seat is left, no limit without a known capacity — and the first ``k`` hold at
   most ``per_kind`` items of each kind (then the list is filled with the best of the rest, after
   them). Deterministic: ties are broken by id and item key.
5. **Reasons**: the pair's facts, most important first, at most ``max_reasons`` (see
   :func:`proposal_reasons`).

:func:`rank_candidates` reads the same frame from the offer's side (``ITEM_KIND`` = "offer"),
eligible as ``eligibility.eligible_candidates`` says (an offer proposed and not declined keeps its
candidate): per offer, the candidates by :class:`CandidateRanker`, those already in ``max_open_applications``
open mises en relation after the others, and each candidate in at most ``max_offers`` offers'
lists of the batch.

Baselines (a score per pair, higher = first): :func:`popularity`, :func:`same_rome_nearest`,
:class:`ItemKNN`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils.validation import check_is_fitted

from recommender import schema as S
from recommender.eligibility import eligible_candidates, eligible_pairs
from recommender.preprocessing import FrameEncoder, thread_limit
from recommender.reasons import Reason
from recommender.uplift import ContactEffectModel

GAIN_WEIGHT = 5.0
# Label-2 weight of the proposal ranker: 1 (every accepted proposal alike) ranked better than 3 on
# the last training snapshot held out (medium demo database), the lists being measured on acceptance.
PROPOSAL_STRONG_WEIGHT = 1.0
MIN_FACTOR, MAX_FACTOR = 0.5, 1.5
MAX_REASONS = 4
SHORTAGE_REASON_PCT = 60.0    # "métier en tension" from this labour-shortage rate
GAIN_REASON = 0.03            # "des profils proches ont retrouvé un emploi" from 3 points of gain
FEW_SEATS = 5                 # "plus que n places" up to this many
STARTS_SOON_DAYS = 30
FRESH_OFFER_DAYS = 7
APPOINTMENT_SOON_DAYS = 14    # a candidate's appointment booked within this many days is a reason

RECOMMENDATION_COLUMNS = (
    S.JOB_SEEKER_ID, S.EXTERNAL_ID, S.ITEM_KIND, S.ITEM_ID, S.ITEM_KEY, S.ITEM_EXTERNAL_ID, S.ITEM_CODE, S.RANK,
    S.RECOMMENDATION_SCORE, S.RELEVANCE, S.TRAINING_GAIN, S.OUT_OF_PROJECT, S.REASONS,
)
CANDIDATE_COLUMNS = (
    S.ITEM_ID, S.ITEM_KEY, S.ITEM_EXTERNAL_ID, S.JOB_SEEKER_ID, S.EXTERNAL_ID, S.RANK, S.RECOMMENDATION_SCORE,
    S.PERSON_OPEN_APPLICATIONS, S.REASONS,
)


# --------------------------------------------------------------------------- models

class ProposalRanker(BaseEstimator):
    """P(``LABEL_RELEVANCE`` ≥ 1) per pair: a histogram gradient boosting classifier.

    Parameters
    ----------
    features, categorical : sequence of str or None
        Model inputs (``None``: ``schema.RECOMMENDATION_FEATURES`` and its categorical columns).
    strong_weight : float
        Sample weight of the label-2 pairs (accepted and then entered, completed or hired); the
        others weigh 1.
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization :
        Of the ``HistGradientBoostingClassifier`` (no early stopping: deterministic).
    bags : int
        How many classifiers, averaged. With 1, one fit on every pair; with more, each is fit on
        a bootstrap draw of the groups (``bag_group``: the person's pairs, or for candidates the
        offer's whole pool, never split; a group drawn twice counts once, so about 63 % of the
        groups), the groups with a relevant pair and the others drawn apart so that every draw
        holds both labels. Averaging steadies a ranker learnt from few
        relevant pairs; predicting costs ``bags`` times as much.
    random_state : int or None
        Of the draws; classifier ``b`` gets ``random_state + b``.
    n_threads : int or None
        OpenMP threads while fitting and predicting (``None``: every core).
    """

    default_features: tuple[str, ...] = S.RECOMMENDATION_FEATURES
    default_categorical: tuple[str, ...] = S.RECOMMENDATION_CATEGORICAL
    bag_group: str = S.JOB_SEEKER_ID

    def __init__(self, *, features: tuple[str, ...] | None = None, categorical: tuple[str, ...] | None = None,
                 strong_weight: float = 3.0, max_iter: int = 200, learning_rate: float = 0.1,
                 max_leaf_nodes: int = 31, min_samples_leaf: int = 50, l2_regularization: float = 1.0,
                 bags: int = 1, random_state: int | None = None, n_threads: int | None = 1) -> None:
        self.features = features
        self.categorical = categorical
        self.strong_weight = strong_weight
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.bags = bags
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, pairs: pd.DataFrame, y: Any = None, *, sample_weight: Any = None) -> ProposalRanker:
        """Fits on graded labels (``LABEL_RELEVANCE`` unless ``y`` is given: 0, 1 or 2)."""
        labels = np.asarray(pairs[S.LABEL_RELEVANCE] if y is None else y, dtype=float)
        target = (labels >= 1).astype(int)
        if target.min(initial=1) == target.max(initial=0):
            raise ValueError("the training pairs must hold both relevant and other pairs")
        if self.bags < 1:
            raise ValueError("bags must be at least 1")
        weight = np.where(labels >= 2, self.strong_weight, 1.0)
        if sample_weight is not None:
            weight = weight * np.asarray(sample_weight, dtype=float)
        features = tuple(self.default_features if self.features is None else self.features)
        categorical = self.default_categorical if self.categorical is None else self.categorical
        self.encoder_ = FrameEncoder(features, tuple(name for name in categorical if name in features)).fit(pairs)
        booster = HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
            categorical_features=self.encoder_.categorical_mask_, early_stopping=False)
        matrix = self.encoder_.transform(pairs)
        self.boosters_ = []
        with thread_limit(self.n_threads):
            for bag, rows in enumerate(self._draws(pairs[self.bag_group], target)):
                drawn = matrix[rows]
                drawn[:, np.isnan(drawn).all(axis=0)] = 0.0  # scikit-learn cannot bin a column without any value
                seed = None if self.random_state is None else self.random_state + bag
                self.boosters_.append(clone(booster).set_params(random_state=seed).fit(
                    drawn, target[rows], sample_weight=weight[rows]))
        return self

    def _draws(self, groups: pd.Series, target: np.ndarray) -> list[Any]:
        """The rows of each classifier (see ``bags``): every row (a slice, no copy) for one."""
        if self.bags == 1:
            return [slice(None)]
        relevant = pd.Series(target).groupby(groups.to_numpy()).transform("max").to_numpy() == 1
        strata = [groups[relevant].unique(), groups[~relevant].unique()]
        rng = np.random.default_rng(self.random_state)
        return [groups.isin(np.concatenate([rng.choice(stratum, len(stratum)) for stratum in strata])).to_numpy()
                for _ in range(self.bags)]

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Rankers saved before the bagging hold one ``booster_``: they keep serving until retrained.
        if "booster_" in state:
            state["boosters_"] = [state.pop("booster_")]
        super().__setstate__(state)

    def predict_relevance(self, pairs: pd.DataFrame) -> np.ndarray:
        """P(relevant), 1-d, in the order of ``pairs``: the mean over the classifiers."""
        check_is_fitted(self, "boosters_")
        if len(pairs) == 0:
            return np.empty(0)
        matrix = self.encoder_.transform(pairs)
        with thread_limit(self.n_threads):
            return np.mean([booster.predict_proba(matrix)[:, 1] for booster in self.boosters_], axis=0)


class CandidateRanker(ProposalRanker):
    """The same classifier for candidates of an offer, fit on offer pairs only (label 1 = put
    forward, 2 = interview or hired); inputs ``schema.CANDIDATE_FEATURES`` (the kind is constant);
    bagged by offer."""

    default_features = S.CANDIDATE_FEATURES
    default_categorical = S.CANDIDATE_CATEGORICAL
    bag_group = S.ITEM_KEY


class TrainingGainModel(BaseEstimator):
    """Estimated gain of P(``LABEL_EMPLOYMENT``) from entering a training, per job seeker.

    A two-model learner (``ContactEffectModel(method="t_learner")``) on the job-seeker frame with
    ``ENTERED_TRAINING`` as the treatment: adjusted for the observed features only, since entering
    a training is not randomised (see the module docstring for how it is used).
    """

    def __init__(self, *, method: str = "t_learner", max_iter: int = 100, learning_rate: float = 0.05,
                 max_leaf_nodes: int = 8, min_samples_leaf: int = 200, l2_regularization: float = 1.0,
                 random_state: int | None = None, n_threads: int | None = 1) -> None:
        self.method = method
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, persons: pd.DataFrame, y: Any = None, treatment: Any = None) -> TrainingGainModel:
        """Fits on ``LABEL_EMPLOYMENT`` and ``ENTERED_TRAINING`` (unless ``y``/``treatment`` are given)."""
        sizes = dict(max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
                     min_samples_leaf=self.min_samples_leaf)
        effect = ContactEffectModel(
            method=self.method, **sizes, **{f"outcome_{name}": value for name, value in sizes.items()},
            l2_regularization=self.l2_regularization, random_state=self.random_state, n_threads=self.n_threads)
        self.effect_ = effect.fit(persons, persons[S.LABEL_EMPLOYMENT] if y is None else y,
                                  persons[S.ENTERED_TRAINING] if treatment is None else treatment)
        return self

    def predict_gain(self, persons: pd.DataFrame) -> np.ndarray:
        """Difference of probabilities (0.05 = 5 points), possibly negative, 1-d."""
        check_is_fitted(self, "effect_")
        return self.effect_.predict_uplift(persons)


def training_factor(kinds: pd.Series, gain: np.ndarray, *, gain_weight: float = GAIN_WEIGHT,
                    min_factor: float = MIN_FACTOR, max_factor: float = MAX_FACTOR) -> np.ndarray:
    """The multiplier of the module docstring: 1 for other kinds and for a missing gain."""
    factor = np.clip(1.0 + gain_weight * np.asarray(gain, dtype=float), min_factor, max_factor)
    return np.where((kinds == "training").to_numpy() & ~np.isnan(factor), factor, 1.0)


class ProposalModel(BaseEstimator):
    """The models behind :func:`recommend`: ``ranker_`` (ProposalRanker) and, when fitted with a
    job-seeker frame, ``gain_`` (TrainingGainModel, else ``None``).

    ``ranker`` and ``gain`` are unfitted templates (cloned at ``fit``); by default a
    ``ProposalRanker`` (``strong_weight=PROPOSAL_STRONG_WEIGHT``) and a ``TrainingGainModel`` with
    ``random_state`` and ``n_threads``.
    """

    def __init__(self, *, ranker: ProposalRanker | None = None, gain: TrainingGainModel | None = None,
                 gain_weight: float = GAIN_WEIGHT, min_factor: float = MIN_FACTOR, max_factor: float = MAX_FACTOR,
                 random_state: int | None = None, n_threads: int | None = 1) -> None:
        self.ranker = ranker
        self.gain = gain
        self.gain_weight = gain_weight
        self.min_factor = min_factor
        self.max_factor = max_factor
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, pairs: pd.DataFrame, persons: pd.DataFrame | None = None) -> ProposalModel:
        """Fits the ranker on labelled pairs and, given ``persons`` (job-seeker frame with
        ``ENTERED_TRAINING`` and ``LABEL_EMPLOYMENT``), the training-gain model."""
        defaults = {"random_state": self.random_state, "n_threads": self.n_threads}
        ranker = (ProposalRanker(strong_weight=PROPOSAL_STRONG_WEIGHT, **defaults) if self.ranker is None
                  else clone(self.ranker))
        self.ranker_ = ranker.fit(pairs)
        self.gain_ = None
        if persons is not None:
            gain = TrainingGainModel(**defaults) if self.gain is None else clone(self.gain)
            self.gain_ = gain.fit(persons)
        return self

    def predict_relevance(self, pairs: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "ranker_")
        return self.ranker_.predict_relevance(pairs)

    def predict_gain(self, persons: pd.DataFrame) -> pd.Series:
        """The training gain per ``JOB_SEEKER_ID`` (NaN without a gain model)."""
        check_is_fitted(self, "ranker_")
        ids = pd.Index(persons[S.JOB_SEEKER_ID])
        if self.gain_ is None:
            return pd.Series(np.nan, index=ids, name=S.TRAINING_GAIN)
        return pd.Series(self.gain_.predict_gain(persons), index=ids, name=S.TRAINING_GAIN)

    def score(self, pairs: pd.DataFrame, persons: pd.DataFrame | None = None) -> pd.DataFrame:
        """Per pair (same index): ``RELEVANCE``, ``TRAINING_GAIN`` (NaN without ``persons`` or a
        gain model) and ``RECOMMENDATION_SCORE``."""
        relevance = self.predict_relevance(pairs)
        if persons is None or len(pairs) == 0:
            gain = np.full(len(pairs), np.nan)
        else:
            gain = pairs[S.JOB_SEEKER_ID].map(self.predict_gain(persons)).to_numpy(dtype=float, na_value=np.nan)
        factor = training_factor(pairs[S.ITEM_KIND], gain, gain_weight=self.gain_weight,
                                 min_factor=self.min_factor, max_factor=self.max_factor)
        return pd.DataFrame({S.RELEVANCE: relevance, S.TRAINING_GAIN: gain,
                             S.RECOMMENDATION_SCORE: relevance * factor}, index=pairs.index)


# --------------------------------------------------------------------------- lists

@dataclass(frozen=True)
class Exposure:
    """How many lists of one batch an item may appear in: ``max(min_slots, ceil(factor · seats))``
    for a known capacity (``SEATS_LEFT``), none when no seat is left, no limit otherwise.

    Three times the seats: when about one proposal in three is accepted, the seats fill without
    sending many more people than there are places.
    """

    factor: float = 3.0
    min_slots: int = 5

    def cap(self, seats: Any) -> np.ndarray:
        seats = np.asarray(seats, dtype=float)
        with np.errstate(invalid="ignore"):
            cap = np.where(seats > 0, np.maximum(self.min_slots, np.ceil(self.factor * seats)), 0.0)
        return np.where(np.isnan(seats), np.inf, cap)


def _pick(targets: list[int], kinds: list[int] | None, remaining: list[float], start: int, stop: int, k: int,
          per_kind: int, n_kinds: int) -> list[int]:
    """One list: positions in ``[start, stop)`` (rows in preference order) of the first ``k``
    available rows, at most ``per_kind`` of a kind, then the best deferred ones."""
    picked: list[int] = []
    deferred: list[int] = []
    counts = [0] * n_kinds
    for position in range(start, stop):
        if remaining[targets[position]] <= 0:
            continue
        kind = kinds[position] if kinds is not None else 0
        if counts[kind] < per_kind:
            counts[kind] += 1
            picked.append(position)
            if len(picked) == k:
                break
        elif len(deferred) < k:
            deferred.append(position)
    return picked + deferred[:k - len(picked)]


def select_lists(groups: Any, targets: Any, score: Any, *, k: int, capacity: Any = None, kinds: Any = None,
                 per_kind: int | None = None, demoted: Any = None,
                 serve: str = "group") -> tuple[np.ndarray, np.ndarray]:
    """The greedy pass that builds every list of a batch: ``(rows, ranks)``, the positions of the
    chosen rows (in list order, lists one after the other) and their 1-based ranks.

    ``groups``: whose list a row belongs to (the person, or the offer); ``targets``: what it
    proposes (the item, or the candidate); ``score``: higher first (NaN last); ``capacity``: per
    row, how many lists its target may appear in (``inf``: no limit); ``kinds`` and ``per_kind``:
    at most ``per_kind`` rows of a kind in a list before it is filled with the best of the rest
    (placed after them); ``demoted``: rows placed after the others of their group. Groups are
    served by descending best score (ties: group value), a duplicated (group, target) counts once.

    ``serve="score"``: the rows are served across all groups at once, by descending score (ties:
    group, then target), so that a target short of capacity goes to the rows that score it highest
    rather than to the groups served first; each list is then in its own score order (the rows
    over ``per_kind`` after the others, as above; demoted rows are served after every other row).

    Sorting and bookkeeping are vectorised; the pass itself scans each group's rows in order and
    stops at ``k``: on such short runs a plain loop over Python lists is several times faster than
    numpy calls per group (about 1 s for 400,000 pairs).
    """
    if k < 1 or (per_kind is not None and per_kind < 1):
        raise ValueError("k and per_kind must be at least 1")
    if serve not in ("group", "score"):
        raise ValueError(f"serve must be 'group' or 'score', not {serve!r}")
    group_codes, _ = pd.factorize(pd.Series(groups), sort=True)
    target_codes, target_values = pd.factorize(pd.Series(targets), sort=True)
    score = np.nan_to_num(np.asarray(score, dtype=float), nan=-np.inf)
    demoted = np.zeros(len(score), dtype=bool) if demoted is None else np.asarray(demoted, dtype=bool)
    best = pd.Series(np.where(demoted, -np.inf, score)).groupby(group_codes).transform("max").to_numpy()
    order = np.lexsort((target_codes, -score, demoted, group_codes, -best))
    order = order[~pd.DataFrame({"g": group_codes[order], "t": target_codes[order]}).duplicated().to_numpy()]
    remaining = np.full(len(target_values), np.inf)
    if capacity is not None:
        caps = pd.Series(np.asarray(capacity, dtype=float)).groupby(target_codes).min()
        remaining[caps.index.to_numpy()] = caps.to_numpy()
    spread = kinds is not None and per_kind is not None
    kind_list, n_kinds, kind_codes = None, 1, None
    if spread:
        kind_codes, kind_values = pd.factorize(pd.Series(kinds), sort=True)
        kind_list, n_kinds = kind_codes[order].tolist(), len(kind_values)
    if serve == "score":
        # Re-sorted by group first (the best of each group first): the lists come out by group.
        by_group = order[np.lexsort((np.arange(len(order)), group_codes[order]))]
        served = by_group[np.lexsort((target_codes[by_group], group_codes[by_group], -score[by_group],
                                      demoted[by_group]))]
        codes = kind_codes if spread else np.zeros(len(score), dtype=int)
        return _pick_globally(by_group, served, group_codes, target_codes, codes, remaining, k,
                              per_kind if spread else k)
    sorted_groups = group_codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]) if len(order) else []
    stops = np.r_[starts[1:], len(order)] if len(order) else []
    target_list, left = target_codes[order].tolist(), remaining.tolist()
    chosen: list[int] = []
    ranks: list[int] = []
    for start, stop in zip(list(starts), list(stops)):
        picked = _pick(target_list, kind_list, left, int(start), int(stop), k, per_kind if spread else k, n_kinds)
        for position in picked:
            left[target_list[position]] -= 1
        chosen += picked
        ranks += range(1, len(picked) + 1)
    return order[np.array(chosen, dtype=int)], np.array(ranks, dtype=int)


def _pick_globally(by_group: np.ndarray, served: np.ndarray, group_codes: np.ndarray, target_codes: np.ndarray,
                   kind_codes: np.ndarray, remaining: np.ndarray, k: int,
                   per_kind: int) -> tuple[np.ndarray, np.ndarray]:
    """``select_lists(serve="score")``: rows taken in the order ``served`` while their list has
    room, their target capacity and their kind fewer than ``per_kind`` rows (else deferred); then
    the deferred rows, in the same order, fill the lists still short. ``by_group``: the rows in
    list order (group, then its own preference), which the chosen rows are returned in."""
    groups, targets, kinds = group_codes.tolist(), target_codes.tolist(), kind_codes.tolist()
    left = remaining.tolist()
    size: dict[int, int] = {}
    per_kind_count: dict[tuple[int, int], int] = {}
    first: set[int] = set()
    deferred: list[int] = []
    for row in served.tolist():
        group, target = groups[row], targets[row]
        if size.get(group, 0) >= k or left[target] <= 0:
            continue
        count = per_kind_count.get((group, kinds[row]), 0)
        if count < per_kind:
            per_kind_count[group, kinds[row]] = count + 1
            size[group] = size.get(group, 0) + 1
            left[target] -= 1
            first.add(row)
        else:
            deferred.append(row)
    rest: set[int] = set()
    for row in deferred:
        group, target = groups[row], targets[row]
        if size.get(group, 0) < k and left[target] > 0:
            size[group] = size.get(group, 0) + 1
            left[target] -= 1
            rest.add(row)
    rows = by_group.tolist()
    in_first = np.fromiter((row in first for row in rows), dtype=bool, count=len(rows))
    in_rest = np.fromiter((row in rest for row in rows), dtype=bool, count=len(rows))
    keep = np.flatnonzero(in_first | in_rest)
    # Within each list: the rows taken first, then the deferred ones (each in preference order).
    placed = keep[np.lexsort((keep, ~in_first[keep], group_codes[by_group[keep]]))]
    chosen = by_group[placed]
    sorted_groups = group_codes[chosen]
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]] if len(chosen) else np.zeros(0, dtype=bool)
    positions = np.arange(len(chosen))
    ranks = positions - np.maximum.accumulate(np.where(starts, positions, 0)) + 1
    return chosen, ranks.astype(int)


# --------------------------------------------------------------------------- reasons

def _number(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
    """The column as an object array of str, ``None`` where missing."""
    if column not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    values = frame[column].astype(object)
    return values.where(values.notna(), None).map(str, na_action="ignore").to_numpy(dtype=object)


def _reasons(mask: np.ndarray, code: str, **params: Any) -> np.ndarray:
    """A reason per row where ``mask`` holds, else ``None`` (object array). Each parameter takes
    the row's value of its array; one Reason per distinct set of values (reasons are frozen, so
    rows share them)."""
    out = np.full(len(mask), None, dtype=object)
    rows = np.flatnonzero(mask)
    if not params:
        out[rows] = Reason(code)
        return out
    keys = list(zip(*(np.asarray(column, dtype=object)[rows].tolist() for column in params.values())))
    made = {key: Reason(code, dict(zip(params, key))) for key in set(keys)}
    out[rows] = [made[key] for key in keys]
    return out


def _first(*columns: np.ndarray) -> np.ndarray:
    """Per row, the first non-``None`` of alternative reasons (mutually exclusive wordings)."""
    out = columns[0].copy()
    for column in columns[1:]:
        empty = out == None  # noqa: E711 (element-wise)
        out[empty] = column[empty]
    return out


def _whole(values: np.ndarray) -> np.ndarray:
    """Rounded to whole numbers as Python-int-valued objects (parameters are ints)."""
    return np.round(np.nan_to_num(values)).astype(int)


def _distance_reasons(frame: pd.DataFrame, near: str, beyond: str, same: str) -> np.ndarray:
    km = _number(frame, S.DISTANCE_KM)
    far = _number(frame, S.BEYOND_MOBILITY) == 1
    shown = ~np.isnan(km) & (km >= 1)
    return _first(_reasons(~np.isnan(km) & (km < 1), same), _reasons(shown & far, beyond, km=_whole(km)),
                  _reasons(shown & ~far, near, km=_whole(km)))


def _combine(columns: list[np.ndarray], max_reasons: int) -> list[list[Reason]]:
    return [[reason for reason in row if reason is not None][:max_reasons]
            for row in zip(*(column.tolist() for column in columns))]


def proposal_reasons(frame: pd.DataFrame, *, max_reasons: int = MAX_REASONS) -> list[list[Reason]]:
    """The reasons of each pair (job seeker's side), most important first:

    out of project (a warning, always first); the occupation — "Mène à M1607, votre métier
    cible" (trainings and other items; offers: "Sur votre métier cible"), another target, or a
    related occupation; a need of the action plan (``NEED_MATCH``); labour shortage from 60 %;
    the training gain from 3 points (``TRAINING_GAIN``); the distance (or beyond the mobility
    area); at most 5 seats left; a start within 30 days; an offer published within 7 days; the
    proposals accepted by people of the same occupation and bassin (``POPULARITY_OCC_BASSIN``).
    A pair with none of these facts gets the item's proposals accepted over the year, if any
    (``ITEM_ACCEPTED_365D`` out of ``ITEM_PROPOSALS_365D``).
    """
    if len(frame) == 0:
        return []
    kinds = frame[S.ITEM_KIND].to_numpy()
    offer, training = kinds == "offer", kinds == "training"
    match = _number(frame, S.OCCUPATION_MATCH)
    romes = _text(frame, S.ITEM_ROME)
    target = (romes != None) & (match >= 1)  # noqa: E711
    shortage, seats = _number(frame, S.ITEM_SHORTAGE_PCT), _number(frame, S.SEATS_LEFT)
    start, age = _number(frame, S.DAYS_TO_START), _number(frame, S.ITEM_AGE_DAYS)
    soon, fresh = (start >= 0) & (start <= STARTS_SOON_DAYS), offer & (age >= 0) & (age <= FRESH_OFFER_DAYS)
    peers = _number(frame, S.POPULARITY_OCC_BASSIN)
    columns = [
        _reasons(_number(frame, S.OUT_OF_PROJECT) == 1, "out_of_project"),
        _first(_reasons(target & offer, "offer_target", rome=romes),
               _reasons(target & ~offer, "leads_to_target", rome=romes),
               _reasons((romes != None) & (match >= 0.7) & (match < 1), "other_target", rome=romes),  # noqa: E711
               _reasons((match > 0) & (match < 0.7), "related_occupation")),
        _reasons(_number(frame, S.NEED_MATCH) == 1, "need_match"),
        _reasons(shortage >= SHORTAGE_REASON_PCT, "shortage", pct=_whole(shortage)),
        _reasons(training & (_number(frame, S.TRAINING_GAIN) >= GAIN_REASON), "training_gain"),
        _distance_reasons(frame, "distance", "beyond_mobility", "same_commune"),
        _reasons((seats >= 1) & (seats <= FEW_SEATS), "seats_left", count=_whole(seats)),
        _first(_reasons(soon & (start < 1), "starts_today"), _reasons(soon, "starts_in", days=_whole(start))),
        _first(_reasons(fresh & (age < 1), "offer_published_today"),
               _reasons(fresh, "offer_published", days=_whole(age))),
        _reasons(peers >= 1, "peers_accepted", count=_whole(peers)),
    ]
    accepted = _number(frame, S.ITEM_ACCEPTED_365D)
    no_fact = np.all([column == None for column in columns], axis=0)  # noqa: E711 (element-wise)
    columns.append(_reasons(no_fact & (accepted >= 1), "item_accepted", accepted=_whole(accepted),
                            proposed=_whole(_number(frame, S.ITEM_PROPOSALS_365D))))
    return _combine(columns, max_reasons)


def candidate_reasons(frame: pd.DataFrame, *, max_reasons: int = MAX_REASONS) -> list[list[Reason]]:
    """The reasons of each candidate for an offer, most important first: the offer already proposed
    to the person and not declined (on the way to a mise en relation), the occupation sought
    ("Recherche le métier M1607": the offer's ROME is one of the person's targets) or a related one
    ("Métier proche (K2204)": the person's first target), the distance, an appointment booked
    within ``APPOINTMENT_SOON_DAYS`` (the moment to present the offer), the mises en relation
    already in progress."""
    if len(frame) == 0:
        return []
    match = _number(frame, S.OCCUPATION_MATCH)
    item_romes, person_romes = _text(frame, S.ITEM_ROME), _text(frame, S.PERSON_ROME)
    applications, appointment = _number(frame, S.PERSON_OPEN_APPLICATIONS), _number(frame, S.DAYS_TO_APPOINTMENT)
    soon = (appointment >= 0) & (appointment <= APPOINTMENT_SOON_DAYS)
    proposed = _number(frame, S.DAYS_SINCE_IN_PROGRESS)
    columns = [
        _first(_reasons(proposed == 0, "offer_in_progress_today"),
               _reasons(proposed >= 1, "offer_in_progress", days=_whole(proposed))),
        _first(_reasons((item_romes != None) & (match >= 0.7), "seeks_occupation", rome=item_romes),  # noqa: E711
               _reasons((person_romes != None) & (match > 0) & (match < 0.7), "related_candidate",  # noqa: E711
                        rome=person_romes)),
        _distance_reasons(frame, "candidate_distance", "candidate_beyond_mobility", "candidate_same_commune"),
        _first(_reasons(soon & (appointment < 1), "appointment_today"),
               _reasons(soon, "appointment_in", days=_whole(appointment))),
        _reasons(applications >= 1, "open_applications", count=_whole(applications)),
    ]
    return _combine(columns, max_reasons)


# --------------------------------------------------------------------------- recommend

def _identity(frame: pd.DataFrame, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: frame[name].to_numpy() if name in frame.columns else np.full(len(frame), None, dtype=object)
            for name in names}


def recommend(pairs: pd.DataFrame, model: ProposalModel, *, persons: pd.DataFrame | None = None, k: int = 10,
              per_kind: int | None = 3, exposure: Exposure = Exposure(), max_reasons: int = MAX_REASONS,
              rules: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The lists of every job seeker in ``pairs``: at most ``k`` rows per person, columns
    ``RECOMMENDATION_COLUMNS``, sorted by ``JOB_SEEKER_ID`` then ``RANK`` (module docstring).

    ``model``: a fitted :class:`ProposalModel`; ``persons``: the job-seeker frame
    (``JOB_SEEKER_FEATURES``, one row per ``JOB_SEEKER_ID``) the training gain is computed from
    (no gain without it); ``per_kind``: ``None`` for no spread; ``rules``: keyword arguments of
    ``eligibility``. ``RECOMMENDATION_SCORE`` is the ranking score, ``RELEVANCE`` the estimated
    P(accepted), ``TRAINING_GAIN`` the person's estimated gain (trainings are scored with it).
    """
    eligible = eligible_pairs(pairs, **(rules or {}))
    scores = model.score(eligible, persons)
    scored = eligible.assign(**{name: scores[name].to_numpy() for name in scores.columns})
    rows, ranks = select_lists(
        scored[S.JOB_SEEKER_ID], scored[S.ITEM_KEY], scored[S.RECOMMENDATION_SCORE], k=k,
        capacity=exposure.cap(_number(scored, S.SEATS_LEFT)), kinds=scored[S.ITEM_KIND], per_kind=per_kind,
        serve="score")
    chosen = scored.iloc[rows]
    out = pd.DataFrame({**_identity(chosen, RECOMMENDATION_COLUMNS[:-1]), S.RANK: ranks,
                        S.REASONS: proposal_reasons(chosen, max_reasons=max_reasons)},
                       columns=list(RECOMMENDATION_COLUMNS))
    out[S.OUT_OF_PROJECT] = out[S.OUT_OF_PROJECT].astype(int)
    return out.sort_values([S.JOB_SEEKER_ID, S.RANK], kind="stable").reset_index(drop=True)


def rank_candidates(pairs: pd.DataFrame, model: Any, *, k: int = 20, max_open_applications: int = 3,
                    max_offers: int = 3, max_reasons: int = MAX_REASONS,
                    rules: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Candidates for each offer of ``pairs`` (its ``ITEM_KIND`` = "offer" rows): at most ``k``
    per offer, columns ``CANDIDATE_COLUMNS``, sorted by ``ITEM_ID`` then ``RANK``.

    ``model``: anything with ``predict_relevance(pairs)`` (a fitted :class:`CandidateRanker`).
    Candidates already in ``max_open_applications`` open mises en relation
    (``PERSON_OPEN_APPLICATIONS``) come after the others; a candidate is in at most
    ``max_offers`` offers' lists of the batch (offers served by descending best score).
    """
    offers = eligible_candidates(pairs, **(rules or {}))
    score = model.predict_relevance(offers)
    busy = _number(offers, S.PERSON_OPEN_APPLICATIONS) >= max_open_applications
    rows, ranks = select_lists(offers[S.ITEM_KEY], offers[S.JOB_SEEKER_ID], score, k=k,
                               capacity=np.full(len(offers), float(max_offers)), demoted=busy)
    chosen = offers.iloc[rows]
    out = pd.DataFrame({**_identity(chosen, CANDIDATE_COLUMNS[:-1]), S.RANK: ranks,
                        S.RECOMMENDATION_SCORE: score[rows],
                        S.REASONS: candidate_reasons(chosen, max_reasons=max_reasons)},
                       columns=list(CANDIDATE_COLUMNS))
    return out.sort_values([S.ITEM_ID, S.RANK], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- baselines

def lexicographic_score(keys: Mapping[str, Any]) -> np.ndarray:
    """A score ordering rows by the keys in turn (each: higher first; NaN lowest); equal keys tie."""
    frame = pd.DataFrame({name: np.nan_to_num(np.asarray(values, dtype=float), nan=-np.inf)
                          for name, values in keys.items()})
    return frame.groupby(list(frame.columns), sort=True).ngroup().to_numpy(dtype=float)


def popularity(pairs: pd.DataFrame) -> np.ndarray:
    """Most accepted by people with the same target and bassin (``POPULARITY_OCC_BASSIN``) first,
    then most proposed in the year (``ITEM_PROPOSALS_365D``)."""
    return lexicographic_score({"occ_bassin": _number(pairs, S.POPULARITY_OCC_BASSIN),
                                "proposals": _number(pairs, S.ITEM_PROPOSALS_365D)})


def same_rome_nearest(pairs: pd.DataFrame) -> np.ndarray:
    """The first target occupation (``OCCUPATION_MATCH`` = 1) within the mobility radius first,
    then the closest occupations; nearest first within each (unknown distance last). Read from an
    offer's side, the same score ranks its candidates."""
    match = _number(pairs, S.OCCUPATION_MATCH)
    within = (match == 1) & (_number(pairs, S.BEYOND_MOBILITY) == 0)
    return lexicographic_score({"same_rome": within.astype(float), "match": match,
                                "nearness": -_number(pairs, S.DISTANCE_KM)})


class ItemKNN(BaseEstimator):
    """Item-based nearest neighbours on past proposals.

    ``fit(history)``: a frame of (``JOB_SEEKER_ID``, ``ITEM_KEY``) pairs proposed or accepted
    before D. Items are similar when the same people had both (cosine of their person vectors);
    ``n_neighbors`` keeps each item's most similar ones (``None``: all). A pair's score is the sum
    of the candidate item's similarities to the items of the person's history (0 for new people
    or items). Pure numpy / scipy sparse, in chunks of ``chunk_size`` pairs.
    """

    def __init__(self, *, n_neighbors: int | None = None, chunk_size: int = 200_000) -> None:
        self.n_neighbors = n_neighbors
        self.chunk_size = chunk_size

    def fit(self, history: pd.DataFrame) -> ItemKNN:
        seen = history[[S.JOB_SEEKER_ID, S.ITEM_KEY]].drop_duplicates()
        person_codes, persons = pd.factorize(seen[S.JOB_SEEKER_ID], sort=True)
        item_codes, items = pd.factorize(seen[S.ITEM_KEY], sort=True)
        matrix = sparse.csr_matrix((np.ones(len(seen)), (person_codes, item_codes)),
                                   shape=(len(persons), len(items)))
        together = (matrix.T @ matrix).tocsr()
        norms = np.sqrt(together.diagonal())
        inverse = sparse.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0))
        similarity = (inverse @ together @ inverse).tocsr()
        similarity = (similarity - sparse.diags(similarity.diagonal())).tocsr()  # not similar to itself
        similarity.eliminate_zeros()
        self.persons_, self.items_ = pd.Index(persons), pd.Index(items)
        self.history_ = matrix
        self.similarity_ = self._keep_neighbours(similarity)
        return self

    def _keep_neighbours(self, similarity: sparse.csr_matrix) -> sparse.csr_matrix:
        if self.n_neighbors is None:
            return similarity
        for row in range(similarity.shape[0]):
            start, stop = similarity.indptr[row], similarity.indptr[row + 1]
            if stop - start > self.n_neighbors:
                values = similarity.data[start:stop]
                values[np.argsort(-values, kind="stable")[self.n_neighbors:]] = 0.0
        similarity.eliminate_zeros()
        return similarity

    def score(self, pairs: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "similarity_")
        person = self.persons_.get_indexer(pairs[S.JOB_SEEKER_ID])
        item = self.items_.get_indexer(pairs[S.ITEM_KEY])
        known = np.flatnonzero((person >= 0) & (item >= 0))
        scores = np.zeros(len(pairs))
        for start in range(0, len(known), self.chunk_size):
            rows = known[start:start + self.chunk_size]
            products = self.history_[person[rows]].multiply(self.similarity_[item[rows]])
            scores[rows] = np.asarray(products.sum(axis=1)).ravel()
        return scores
