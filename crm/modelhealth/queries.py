"""The health of the published models, read from the registry (``ModelVersion``) and the
counselors' feedback: the current versions, their evaluation against the baselines, the
fairness table, the drift of the input features since training, override rates and the
publishing history — for the priority lists, and for what to propose and the candidates of
offers (NDCG@10 and Recall@10 against their baselines, the feedback on their lists).

``ModelVersion.metrics`` is a JSON document written by ``recommender train`` (and its
``drift`` key by the nightly scoring). Older versions may lack keys or hold other shapes:
every reader here goes through ``_get``/``_number`` and gives ``None`` rather than failing,
so the page shows « — » and never a 500.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from crm.extensions import db
from crm.interactions.models import Feedback, FeedbackAction, FeedbackContext
from crm.jobseekers.models import JobSeeker
from crm.modelregistry.models import (
    ModelKind, ModelStatus, ModelVersion, PriorityScore, StoredCandidate, StoredRecommendation,
)
from crm.organisation.models import User

LIST_KINDS = (ModelKind.RECOMMENDATIONS, ModelKind.CANDIDATES)
KINDS = (ModelKind.JOB_SEEKER_PRIORITY, ModelKind.EMPLOYER_PRIORITY, *LIST_KINDS)
RANKING_METRICS = ("qini", "auuc", "uplift_at_10", "uplift_at_20")
LIST_METRICS = ("ndcg@10", "recall@10")
# Where a list model's report keeps its lift over the best baseline, per metric.
LIST_LIFTS = {"ndcg@10": "lift_vs_best_baseline", "recall@10": "recall_lift_vs_best_baseline"}
# What the counselors say of a list model's rows, and where its rows are stored.
LIST_FEEDBACK = {
    ModelKind.RECOMMENDATIONS: (FeedbackContext.RECOMMENDATION, FeedbackAction.NOT_RELEVANT, StoredRecommendation),
    ModelKind.CANDIDATES: (FeedbackContext.CANDIDATE, FeedbackAction.DISCARD, StoredCandidate),
}
FEEDBACK_DAYS = 30
# Population stability index: the usual reading.
PSI_MODERATE = 0.1
PSI_SIGNIFICANT = 0.25
DEFAULT_TOLERANCE = 1.5  # recommender/fairness.py: flagged above 1.5×


# --------------------------------------------------------------------------- safe readers


def _get(data: Any, *keys: str) -> Any:
    """``data[k1][k2]…``, or None as soon as a level is missing or not a dict."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _count(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


@dataclass(frozen=True)
class Interval:
    value: float | None
    low: float | None = None
    high: float | None = None

    @classmethod
    def read(cls, data: Any) -> Interval | None:
        if isinstance(data, dict):
            value = _number(data.get("value"))
            return cls(value, _number(data.get("low")), _number(data.get("high"))) if value is not None else None
        value = _number(data)  # a bare number (no interval)
        return cls(value) if value is not None else None


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class RankingRow:
    """One ranking (the model or a baseline) and its uplift figures with their intervals."""

    code: str
    metrics: dict[str, Interval | None]

    @classmethod
    def read(cls, code: str, data: Any) -> RankingRow:
        return cls(code, {name: Interval.read(_get(data, name)) for name in RANKING_METRICS})


@dataclass(frozen=True)
class ListRow:
    """One list ranking (the model or a baseline): NDCG@10 and Recall@10 with their intervals,
    catalogue coverage and exposure Gini."""

    code: str
    metrics: dict[str, Interval | None]
    coverage: float | None
    gini: float | None

    @classmethod
    def read(cls, code: str, data: Any) -> ListRow:
        return cls(code, {name: Interval.read(_get(data, name)) for name in LIST_METRICS},
                   _number(_get(data, "coverage")), _number(_get(data, "gini")))


@dataclass(frozen=True)
class ListEvaluation:
    rows: list[ListRow]  # the model, then the baselines
    groups: int | None  # people (or offers) with something accepted in the window
    lifts: dict[str, float | None]  # per metric, the model's relative lift over the best baseline
    larger_pools: ListEvaluation | None = None  # candidates: the offers whose pool exceeds 10
    min_pool: int | None = None


@dataclass(frozen=True)
class CalibrationBin:
    low: float
    high: float
    count: int | None
    mean_predicted: float
    observed_rate: float


@dataclass(frozen=True)
class Outcome:
    auc: float | None
    brier: float | None
    ece: float | None
    calibration: list[CalibrationBin]


@dataclass(frozen=True)
class FairnessValue:
    value: str
    count: int | None
    used_in_ratios: bool
    selection_rate: float | None
    false_negative_rate: float | None
    mean_predicted: float | None
    observed_rate: float | None
    calibration_gap: float | None


@dataclass(frozen=True)
class FairnessGroup:
    column: str
    values: list[FairnessValue]
    selection_ratio: float | None
    fnr_ratio: float | None
    selection_flagged: bool
    fnr_flagged: bool
    messages: list[str]

    @property
    def flagged(self) -> bool:
        return self.selection_flagged or self.fnr_flagged


@dataclass(frozen=True)
class Fairness:
    top: float | None
    tolerance: float
    groups: list[FairnessGroup]

    @property
    def flagged(self) -> bool:
        return any(g.flagged for g in self.groups)


@dataclass(frozen=True)
class Window:
    train_from: date | str | None
    train_to: date | str | None
    evaluate_from: date | str | None
    evaluate_to: date | str | None

    @property
    def known(self) -> bool:
        return any((self.train_from, self.train_to, self.evaluate_from, self.evaluate_to))


@dataclass(frozen=True)
class JobSeekerEvaluation:
    rankings: list[RankingRow]  # the model, the model's gain only, then the baselines
    outcome: Outcome | None
    fairness: Fairness | None
    rows: int | None


@dataclass(frozen=True)
class EmployerEvaluation:
    shares: list[tuple[str, float | None]]  # (code, share of next-period hires in the top 10 %)
    rows: int | None
    hires: int | None


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None


def _day(value: Any) -> date | str | None:
    """An ISO day as a date (shown in the user's format); anything else as text."""
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return text


def read_window(metrics: Any) -> Window:
    window = _get(metrics, "evaluation", "window")
    return Window(*(_day(_get(window, key)) for key in ("train_from", "train_to", "evaluate_from", "evaluate_to")))


def read_list_window(section: Any) -> Window:
    """A list model's window: ``train_from``, ``train_to``, ``evaluate_on`` and ``window_days``."""
    window = _get(section, "window")
    start, days = _day(_get(window, "evaluate_on")), str(_get(window, "window_days") or "")
    # The window is [D, D + days): its last day is D + days - 1.
    end = start + timedelta(days=int(days) - 1) if isinstance(start, date) and days.isdigit() else None
    return Window(_day(_get(window, "train_from")), _day(_get(window, "train_to")), start, end)


def read_list_evaluation(section: Any) -> ListEvaluation | None:
    """``metrics["evaluation"][part]`` of a list model (``recommender.proposal_training``)."""
    if not isinstance(_get(section, "model"), dict):
        return None
    baselines = _get(section, "baselines")
    rows = [ListRow.read("model", section["model"]), *(
        ListRow.read(str(code), data) for code, data in (baselines.items() if isinstance(baselines, dict) else ()))]
    larger = _get(section, "larger_pools")
    return ListEvaluation(rows=rows, groups=_count(_get(section, "rows", "groups_with_relevant")),
                          lifts={metric: _number(_get(section, key, "relative")) for metric, key in LIST_LIFTS.items()},
                          larger_pools=read_list_evaluation(larger), min_pool=_count(_get(larger, "min_pool")))


def _calibration(data: Any) -> list[CalibrationBin]:
    bins = []
    for item in data if isinstance(data, list) else []:
        low, high = _number(_get(item, "low")), _number(_get(item, "high"))
        predicted, observed = _number(_get(item, "mean_predicted")), _number(_get(item, "observed_rate"))
        if None in (low, high, predicted, observed):
            continue
        bins.append(CalibrationBin(low, high, _count(_get(item, "count")), predicted, observed))
    return bins


def _flag_of(ratio: float | None, group_flagged: bool, tolerance: float, other_ratio_flagged: bool) -> bool:
    if ratio is not None:
        return ratio > tolerance
    # No ratio but the group flagged: one group at 0 % (recommender.fairness._ratio).
    return group_flagged and not other_ratio_flagged


def read_fairness(data: Any) -> Fairness | None:
    groups_data = _get(data, "groups")
    if not isinstance(groups_data, dict):
        return None
    tolerance = _number(_get(data, "tolerance")) or DEFAULT_TOLERANCE
    groups = []
    for column, group in groups_data.items():
        values_data = _get(group, "values")
        values = []
        for value, d in (values_data.items() if isinstance(values_data, dict) else ()):
            values.append(FairnessValue(
                value=str(value), count=_count(_get(d, "count")),
                used_in_ratios=_get(d, "used_in_ratios") is not False,
                selection_rate=_number(_get(d, "selection_rate")),
                false_negative_rate=_number(_get(d, "false_negative_rate")),
                mean_predicted=_number(_get(d, "mean_predicted")), observed_rate=_number(_get(d, "observed_rate")),
                calibration_gap=_number(_get(d, "calibration_gap"))))
        selection_ratio, fnr_ratio = _number(_get(group, "selection_ratio")), _number(_get(group, "fnr_ratio"))
        group_flagged = _get(group, "flagged") is True
        selection_numeric = selection_ratio is not None and selection_ratio > tolerance
        fnr_numeric = fnr_ratio is not None and fnr_ratio > tolerance
        messages = _get(group, "messages")
        groups.append(FairnessGroup(
            column=str(column), values=values, selection_ratio=selection_ratio, fnr_ratio=fnr_ratio,
            selection_flagged=_flag_of(selection_ratio, group_flagged, tolerance, fnr_numeric),
            fnr_flagged=_flag_of(fnr_ratio, group_flagged, tolerance, selection_numeric),
            messages=[str(m) for m in messages] if isinstance(messages, list) else []))
    return Fairness(top=_number(_get(data, "top")), tolerance=tolerance, groups=groups)


def read_job_seeker_evaluation(metrics: Any) -> JobSeekerEvaluation | None:
    priority = _get(metrics, "evaluation", "priority")
    if not isinstance(priority, dict):
        return None
    rankings = [RankingRow.read("model", _get(priority, "model"))]
    if isinstance(_get(priority, "model_gain_only"), dict):
        rankings.append(RankingRow.read("model_gain_only", priority["model_gain_only"]))
    baselines = _get(priority, "baselines")
    for code, data in (baselines.items() if isinstance(baselines, dict) else ()):
        rankings.append(RankingRow.read(str(code), data))
    outcome_data = _get(priority, "model", "outcome")
    outcome = None
    if isinstance(outcome_data, dict):
        outcome = Outcome(auc=_number(outcome_data.get("auc")), brier=_number(outcome_data.get("brier")),
                          ece=_number(outcome_data.get("ece")), calibration=_calibration(outcome_data.get("calibration")))
    return JobSeekerEvaluation(rankings=rankings, outcome=outcome, fairness=read_fairness(_get(priority, "fairness")),
                               rows=_count(_get(priority, "rows")))


def read_employer_evaluation(metrics: Any) -> EmployerEvaluation | None:
    employers = _get(metrics, "evaluation", "employers")
    if not isinstance(employers, dict):
        return None
    shares = [("model", _number(_get(employers, "model", "top_10_share")))]
    baselines = _get(employers, "baselines")
    for code, data in (baselines.items() if isinstance(baselines, dict) else ()):
        shares.append((str(code), _number(_get(data, "top_10_share"))))
    return EmployerEvaluation(shares=shares, rows=_count(_get(employers, "model", "rows")),
                              hires=_count(_get(employers, "model", "hires")))


# --------------------------------------------------------------------------- drift


@dataclass(frozen=True)
class FeatureDrift:
    name: str
    psi: float | None
    missing_train: float | None
    missing_now: float | None

    @property
    def level(self) -> str:
        """``stable`` (< 0.1), ``moderate`` (0.1–0.25), ``significant`` (> 0.25) or ``unknown``."""
        if self.psi is None:
            return "unknown"
        if self.psi > PSI_SIGNIFICANT:
            return "significant"
        if self.psi >= PSI_MODERATE:
            return "moderate"
        return "stable"


@dataclass(frozen=True)
class Drift:
    scored_on: date | str | None
    rows: int | None
    features: list[FeatureDrift]  # highest PSI first

    def count(self, level: str) -> int:
        return sum(1 for f in self.features if f.level == level)


def read_drift(metrics: Any) -> Drift | None:
    """``metrics["drift"]`` (the nightly scoring's), or None when not computed yet."""
    drift = _get(metrics, "drift")
    if not isinstance(drift, dict):
        return None
    features_data = drift.get("features")
    features = [
        FeatureDrift(str(name), _number(_get(d, "psi")), _number(_get(d, "missing_train")),
                     _number(_get(d, "missing_now")))
        for name, d in (features_data.items() if isinstance(features_data, dict) else ())]
    features.sort(key=lambda f: (f.psi is None, -(f.psi or 0.0), f.name))
    return Drift(scored_on=_day(drift.get("scored_on")), rows=_count(drift.get("rows")), features=features)


# --------------------------------------------------------------------------- feedback


@dataclass(frozen=True)
class FeedbackRate:
    """Feedback of the last ``FEEDBACK_DAYS`` days, over the rows it could apply to."""

    count: int
    rows: int | None  # the version's scored rows (None: no denominator)
    by_reason: list[tuple[str, int]]  # most frequent first

    @property
    def rate(self) -> float | None:
        return self.count / self.rows if self.rows else None


def _scoped(query: sa.Select, user_column: Any, agency_id: int | None, restrict: bool) -> sa.Select:
    if not restrict:
        return query
    if agency_id is None:  # a director without an agency sees no one's feedback
        return query.where(sa.false())
    return query.where(user_column.in_(sa.select(User.id).where(User.agency_id == agency_id)))


def _by_reason(query: sa.Select) -> list[tuple[str, int]]:
    rows = db.session.execute(query.with_only_columns(Feedback.reason, sa.func.count()).group_by(Feedback.reason))
    return sorted(((r[0], int(r[1])) for r in rows), key=lambda item: (-item[1], item[0]))


def priority_feedback(version: ModelVersion, *, since: datetime, agency_id: int | None = None,
                      restrict: bool = False) -> FeedbackRate:
    """Dismissals and snoozes on this version's lists since ``since``, over its scored rows.

    ``restrict``: only the feedback of the agency's users and the rows of its counselors.
    """
    query = _scoped(sa.select(Feedback.id).where(
        Feedback.context == FeedbackContext.PRIORITY_LIST,
        Feedback.action.in_((FeedbackAction.DISMISS, FeedbackAction.SNOOZE)),
        Feedback.model_version_id == version.id, Feedback.at >= since), Feedback.user_id, agency_id, restrict)
    by_reason = _by_reason(query)
    rows = db.session.scalar(_scoped(
        sa.select(sa.func.count(PriorityScore.id)).where(PriorityScore.model_version_id == version.id),
        PriorityScore.counselor_id, agency_id, restrict))
    return FeedbackRate(count=sum(n for _, n in by_reason), rows=int(rows or 0), by_reason=by_reason)


def list_feedback(version: ModelVersion, *, since: datetime, agency_id: int | None = None,
                  restrict: bool = False) -> FeedbackRate:
    """« Pas pertinent » (recommendations) or « Écarter » (candidates) on this version's stored
    rows since ``since``, over those rows (``restrict``: the agency's users and job seekers)."""
    context, action, stored = LIST_FEEDBACK[version.kind]
    by_reason = _by_reason(_scoped(sa.select(Feedback.id).where(
        Feedback.context == context, Feedback.action == action, Feedback.model_version_id == version.id,
        Feedback.at >= since), Feedback.user_id, agency_id, restrict))
    rows = sa.select(sa.func.count(stored.id)).where(stored.model_version_id == version.id)
    if restrict:
        rows = rows.where(stored.job_seeker_id.in_(sa.select(JobSeeker.id).where(JobSeeker.agency_id == agency_id)))
    return FeedbackRate(count=sum(n for _, n in by_reason), rows=int(db.session.scalar(rows) or 0), by_reason=by_reason)


def not_relevant_feedback(*, since: datetime, agency_id: int | None = None, restrict: bool = False) -> FeedbackRate:
    """Recommendations marked « non pertinent » since ``since`` (no stored denominator)."""
    query = _scoped(sa.select(Feedback.id).where(
        Feedback.context == FeedbackContext.RECOMMENDATION, Feedback.action == FeedbackAction.NOT_RELEVANT,
        Feedback.at >= since), Feedback.user_id, agency_id, restrict)
    by_reason = _by_reason(query)
    return FeedbackRate(count=sum(n for _, n in by_reason), rows=None, by_reason=by_reason)


# --------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class HistoryRow:
    version: ModelVersion
    qini: float | None = None
    auc: float | None = None
    top_10_share: float | None = None
    ndcg: float | None = None
    recall: float | None = None


@dataclass
class KindHealth:
    kind: ModelKind
    current: ModelVersion | None
    window: Window | None = None
    job_seekers: JobSeekerEvaluation | None = None
    employers: EmployerEvaluation | None = None
    lists: ListEvaluation | None = None
    drift: Drift | None = None
    feedback: FeedbackRate | None = None
    history: list[HistoryRow] = field(default_factory=list)


@dataclass(frozen=True)
class ModelHealth:
    kinds: list[KindHealth]
    not_relevant: FeedbackRate
    since: datetime
    restricted: bool


def _history_row(version: ModelVersion) -> HistoryRow:
    metrics = version.metrics
    if version.kind == ModelKind.EMPLOYER_PRIORITY:
        return HistoryRow(version, top_10_share=_number(_get(metrics, "evaluation", "employers", "model", "top_10_share")))
    if version.kind in LIST_KINDS:
        model = _get(metrics, "evaluation", version.kind.value, "model")
        return HistoryRow(version, ndcg=_number(_get(model, "ndcg@10", "value")),
                          recall=_number(_get(model, "recall@10", "value")))
    return HistoryRow(version, qini=_number(_get(metrics, "evaluation", "priority", "model", "qini", "value")),
                      auc=_number(_get(metrics, "evaluation", "priority", "model", "outcome", "auc")))


def _newest_first(versions: Iterable[ModelVersion]) -> list[ModelVersion]:
    return sorted(versions, key=lambda v: (v.trained_at or datetime.min, v.id), reverse=True)


def current_version(versions: Iterable[ModelVersion]) -> ModelVersion | None:
    """The published version the lists read (as ``crm.priority.queries.published_version``)."""
    published = [v for v in versions if v.status == ModelStatus.PUBLISHED]
    return max(published, key=lambda v: (v.published_at or v.trained_at or datetime.min, v.id), default=None)


def model_health(*, now: datetime, agency_id: int | None = None, restrict: bool = False) -> ModelHealth:
    """Everything the page shows. ``restrict``: feedback of ``agency_id`` only (a director)."""
    since = now - timedelta(days=FEEDBACK_DAYS)
    versions = db.session.scalars(sa.select(ModelVersion).where(ModelVersion.kind.in_(KINDS))).all()
    kinds = []
    for kind in KINDS:
        own = _newest_first(v for v in versions if v.kind == kind)
        current = current_version(own)
        health = KindHealth(kind=kind, current=current, history=[_history_row(v) for v in own])
        if current is not None:
            metrics = current.metrics if isinstance(current.metrics, dict) else {}
            if kind in LIST_KINDS:
                section = _get(metrics, "evaluation", kind.value)
                health.window, health.lists = read_list_window(section), read_list_evaluation(section)
                health.feedback = list_feedback(current, since=since, agency_id=agency_id, restrict=restrict)
            else:
                health.window = read_window(metrics)
                if kind == ModelKind.EMPLOYER_PRIORITY:
                    health.employers = read_employer_evaluation(metrics)
                else:
                    health.job_seekers = read_job_seeker_evaluation(metrics)
                health.drift = read_drift(metrics)
                health.feedback = priority_feedback(current, since=since, agency_id=agency_id, restrict=restrict)
        kinds.append(health)
    return ModelHealth(kinds=kinds, not_relevant=not_relevant_feedback(since=since, agency_id=agency_id,
                                                                       restrict=restrict),
                       since=since, restricted=restrict)
