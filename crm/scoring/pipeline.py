"""Train, evaluate and score: the recommender's batch, between the database and ``recommender/``.

**Snapshots.** Frames are built as of the first day of each month (``snapshot``): the history is
monthly, and the randomised contacts are drawn per month. A labelled snapshot D needs its
outcome window [D, D + 183 days) to be over, so:

- ``evaluate --as-of A`` evaluates on the last ``EVALUATION_SNAPSHOTS`` snapshots whose outcome is
  known at A, and trains on the ``TRAINING_SNAPSHOTS`` snapshots before them whose outcome window
  ends **before the first evaluation day** (strict temporal split: nothing the evaluation
  measures was seen in training). Snapshots in the first ``WARMUP_MONTHS`` of the history are
  skipped (their contact history is truncated).
- ``train --as-of A`` runs that evaluation (the candidate's figures), evaluates the published
  models on the same rows, then fits the candidate on the latest snapshots whose outcome is known
  at A, saves it (``MODEL_DIR/<kind>/<version>/``) and publishes it unless the gate
  (``recommender.training.gate``) refuses: then it is kept as ``rejected`` with the reasons.
- ``score --as-of A`` scores everyone active at A with the published models and stores the lists
  (``PriorityScore``, replacing that version's previous rows) — the nightly batch the pages read.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm.db import utcnow
from crm.interactions.models import Interaction
from crm.jobseekers.alerts import add_months
from crm.modelregistry.models import ModelKind, ModelStatus, ModelVersion, PriorityScore
from crm.scoring.frames import employer_frame, job_seeker_frame
from recommender import artifacts
from recommender import schema as S
from recommender.drift import feature_profile, population_stability
from recommender.employers import score_employers
from recommender.priority import score_job_seekers
from recommender.training import evaluate_employers, evaluate_priority, fit_employers, fit_priority, gate

TRAINING_SNAPSHOTS = 12
EVALUATION_SNAPSHOTS = 3
WARMUP_MONTHS = 3
KINDS = {"priority": ModelKind.JOB_SEEKER_PRIORITY, "employers": ModelKind.EMPLOYER_PRIORITY}

Progress = Callable[[Iterable[Any], str], Iterable[Any]]


class ScoringError(Exception):
    """Something the operator must fix (no data, no published model…); the message says what."""


def _no_progress(items: Iterable[Any], _label: str) -> Iterable[Any]:
    return items


# --------------------------------------------------------------------------- snapshots
def first_of_month(day: date) -> date:
    return day.replace(day=1)


def history_start(session: Session) -> date | None:
    first = session.execute(sa.select(sa.func.min(Interaction.occurred_at))).scalar()
    return None if first is None else pd.Timestamp(first).date()


def labelled_snapshots(session: Session, *, outcome_known_by: date, count: int) -> list[date]:
    """The last ``count`` month starts D (oldest first) with D + 183 days ≤ ``outcome_known_by``,
    after the warm-up months of the history."""
    start = history_start(session)
    if start is None:
        return []
    earliest = add_months(first_of_month(start), WARMUP_MONTHS)
    day = first_of_month(outcome_known_by - timedelta(days=S.OUTCOME_HORIZON_DAYS))
    days = []
    while day >= earliest and len(days) < count:
        if day + timedelta(days=S.OUTCOME_HORIZON_DAYS) <= outcome_known_by:
            days.append(day)
        day = add_months(day, -1)
    return days[::-1]


@dataclass
class Split:
    train_days: list[date]
    test_days: list[date]

    def window(self) -> dict[str, str]:
        return {"train_from": self.train_days[0].isoformat(), "train_to": self.train_days[-1].isoformat(),
                "evaluate_from": self.test_days[0].isoformat(), "evaluate_to": self.test_days[-1].isoformat()}


def temporal_split(session: Session, as_of: date) -> Split:
    test_days = labelled_snapshots(session, outcome_known_by=as_of, count=EVALUATION_SNAPSHOTS)
    if not test_days:
        raise ScoringError(f"not enough history before {as_of}: a snapshot needs {S.OUTCOME_HORIZON_DAYS} days "
                           "of known outcome after it")
    train_days = labelled_snapshots(session, outcome_known_by=test_days[0], count=TRAINING_SNAPSHOTS)
    if not train_days:
        raise ScoringError(
            f"not enough history before {as_of} for a temporal split: training snapshots must end their "
            f"{S.OUTCOME_HORIZON_DAYS}-day outcome window before the first evaluation day ({test_days[0]}); "
            "the history needs about 18 months before the evaluation window (demo: --history-months 30)")
    return Split(train_days, test_days)


class Snapshots:
    """Labelled frames by (builder, day), each built once: the final fit of ``train`` reuses
    the snapshots its evaluation already built."""

    def __init__(self, session: Session, progress: Progress) -> None:
        self.session, self.progress = session, progress
        self.built: dict[tuple[str, date], pd.DataFrame] = {}

    def stacked(self, days: list[date], build: Callable[..., pd.DataFrame], label: str) -> pd.DataFrame:
        frames = []
        for day in self.progress(days, label):
            key = (build.__name__, day)
            if key not in self.built:
                self.built[key] = build(self.session, day, labels=True)
            frames.append(self.built[key])
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# --------------------------------------------------------------------------- evaluate
@dataclass
class Evaluation:
    split: Split
    report: dict[str, Any]
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # the evaluation frames, per part


def evaluate(session: Session, as_of: date, *, progress: Progress = _no_progress, n_boot: int = 200,
             seed: int = 0, snapshots: Snapshots | None = None) -> Evaluation:
    """Fit on the training snapshots, evaluate on the later ones (see the module docstring)."""
    split = temporal_split(session, as_of)
    snapshots = snapshots or Snapshots(session, progress)
    people_train = snapshots.stacked(split.train_days, job_seeker_frame, "job seekers, training")
    people_test = snapshots.stacked(split.test_days, job_seeker_frame, "job seekers, evaluation")
    employers_train = snapshots.stacked(split.train_days, employer_frame, "employers, training")
    employers_test = snapshots.stacked(split.test_days, employer_frame, "employers, evaluation")
    priority = fit_priority(people_train, random_state=seed)
    hiring = fit_employers(employers_train, random_state=seed)
    report = {
        "as_of": as_of.isoformat(),
        "window": split.window(),
        "rows": {"job_seekers_train": len(people_train), "job_seekers_evaluate": len(people_test),
                 "employers_train": len(employers_train), "employers_evaluate": len(employers_test)},
        "priority": evaluate_priority(priority, people_test, n_boot=n_boot, seed=seed),
        "employers": evaluate_employers(hiring, employers_train, employers_test),
    }
    return Evaluation(split, report, {"priority": people_test, "employers": employers_test,
                                      "employers_train": employers_train})


# --------------------------------------------------------------------------- train
@dataclass
class TrainResult:
    versions: dict[str, ModelVersion]
    refusals: dict[str, list[str]]
    report: dict[str, Any]


def published(session: Session, kind: ModelKind) -> ModelVersion | None:
    return session.execute(sa.select(ModelVersion).where(ModelVersion.kind == kind,
                                                         ModelVersion.status == ModelStatus.PUBLISHED)
                           .order_by(ModelVersion.published_at.desc(), ModelVersion.id.desc())).scalars().first()


def current_model(session: Session, kind: ModelKind, *, evaluated_from: date | None = None) -> Any | None:
    """The published model of ``kind``, loaded; None without one or when its artifact is
    unreadable (an unreadable current model does not block its replacement).

    ``evaluated_from``: the first day of the outcomes a candidate is evaluated on; a model trained
    as of a later day learnt from some of them, and is None too. Scored on rows it was fit on, it
    would look better than it is and refuse every successor until its data grew old."""
    version = published(session, kind)
    if version is None or not version.artifact_path or (evaluated_from is not None
                                                        and version.as_of > evaluated_from):
        return None
    try:
        return artifacts.load(Path(version.artifact_path))[0]
    except artifacts.ArtifactError:
        return None


def _current_report(session: Session, evaluation: Evaluation, n_boot: int, seed: int) -> dict[str, Any]:
    """The published models, evaluated on the candidate's evaluation rows (for the gate) unless
    they learnt from them (``current_model``)."""
    current: dict[str, Any] = {}
    for part, kind in KINDS.items():
        model = current_model(session, kind, evaluated_from=evaluation.split.test_days[0])
        if model is None:
            continue
        frame = evaluation.frames[part]
        if part == "priority":
            current[part] = evaluate_priority(model, frame, n_boot=n_boot, seed=seed)
        else:
            current[part] = evaluate_employers(model, evaluation.frames["employers_train"], frame)
    return current


def train(session: Session, as_of: date, *, model_dir: Path, user_id: int | None = None,
          progress: Progress = _no_progress, n_boot: int = 200, seed: int = 0) -> TrainResult:
    snapshots = Snapshots(session, progress)
    evaluation = evaluate(session, as_of, n_boot=n_boot, seed=seed, snapshots=snapshots)
    current = _current_report(session, evaluation, n_boot, seed)
    final_days = labelled_snapshots(session, outcome_known_by=as_of, count=TRAINING_SNAPSHOTS)
    people = snapshots.stacked(final_days, job_seeker_frame, "job seekers, final fit")
    employers = snapshots.stacked(final_days, employer_frame, "employers, final fit")
    fitted = {"priority": (fit_priority(people, random_state=seed), len(people)),
              "employers": (fit_employers(employers, random_state=seed), len(employers))}
    profiles = {"priority": feature_profile(people, S.JOB_SEEKER_FEATURES),
                "employers": feature_profile(employers, S.EMPLOYER_FEATURES)}
    stamp = utcnow()
    version_name = f"{as_of:%Y%m%d}-{stamp:%H%M%S}"
    result = TrainResult({}, {}, evaluation.report)
    for part, kind in KINDS.items():
        model, rows = fitted[part]
        refusals = gate({part: evaluation.report[part]}, {part: current[part]} if part in current else None)
        metrics = {"evaluation": {"window": evaluation.report["window"], "rows": evaluation.report["rows"],
                                  part: evaluation.report[part]},
                   "current": current.get(part), "features": profiles[part]}
        result.versions[part] = save_and_register(
            session, kind, model, model_dir=model_dir, version_name=version_name, stamp=stamp, as_of=as_of,
            days=final_days, rows=rows, metrics=metrics, refusals=refusals, user_id=user_id,
            data_window={"outcome_horizon_days": S.OUTCOME_HORIZON_DAYS})
        result.refusals[part] = refusals
    session.flush()
    return result


def save_and_register(session: Session, kind: ModelKind, model: Any, *, model_dir: Path, version_name: str,
                      stamp: Any, as_of: date, days: list[date], rows: int, metrics: dict[str, Any],
                      refusals: list[str], user_id: int | None, data_window: dict[str, Any]) -> ModelVersion:
    """Saves the model with its sidecar and registers the version: published (the previous one
    retired) unless the gate gave ``refusals``, then rejected with them."""
    directory = model_dir / kind.value / version_name
    artifacts.save(model, directory, {
        "kind": kind.value, "version": version_name, "as_of": as_of.isoformat(), "trained_at": stamp.isoformat(),
        "data_window": {"snapshots": [d.isoformat() for d in days], **data_window},
        "rows": rows, "metrics": metrics, "published": not refusals, "refusals": refusals,
    })
    version = ModelVersion(kind=kind, version=version_name, trained_at=stamp, as_of=as_of, data_start=days[0],
                           data_end=days[-1], row_count=rows, metrics=metrics, artifact_path=str(directory),
                           trained_by_id=user_id)
    if refusals:
        version.status, version.status_reason = ModelStatus.REJECTED, "\n".join(refusals)
    else:
        previous = published(session, kind)
        if previous is not None:
            previous.status = ModelStatus.RETIRED
        version.status, version.published_at = ModelStatus.PUBLISHED, stamp
    session.add(version)
    return version


# --------------------------------------------------------------------------- score
@dataclass
class ScoreResult:
    job_seekers: pd.DataFrame
    employers: pd.DataFrame | None
    versions: dict[str, ModelVersion]
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage


def _load_published(session: Session, kind: ModelKind) -> tuple[ModelVersion, Any]:
    version = published(session, kind)
    if version is None or not version.artifact_path:
        raise ScoringError(f"no published {kind.value} model: run `flask --app crm recommender train` first")
    try:
        model, _sidecar = artifacts.load(Path(version.artifact_path))
    except artifacts.ArtifactError as exc:
        raise ScoringError(str(exc)) from exc
    return version, model


def score(session: Session, as_of: date, *, exploration_share: float, seed: int = 0,
          progress: Progress = _no_progress) -> ScoreResult:
    """Scores everyone active at ``as_of`` with the published models and stores the lists."""
    timings: dict[str, float] = {}

    def timed(label: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = work()
        timings[label] = timings.get(label, 0.0) + time.perf_counter() - started
        return value

    version, model = _load_published(session, ModelKind.JOB_SEEKER_PRIORITY)
    versions = {"priority": version}
    employer_model = None
    if published(session, ModelKind.EMPLOYER_PRIORITY) is not None:
        versions["employers"], employer_model = _load_published(session, ModelKind.EMPLOYER_PRIORITY)
    results: dict[str, pd.DataFrame] = {}
    for part in progress(list(versions), "scoring"):
        if part == "priority":
            frame = timed("features", lambda: job_seeker_frame(session, as_of))
            scores = timed("model and reasons", lambda: score_job_seekers(
                frame, model, exploration_share=exploration_share, seed=seed + as_of.toordinal()))
            key = S.JOB_SEEKER_ID
        else:
            frame = timed("features", lambda: employer_frame(session, as_of))
            scores = timed("model and reasons", lambda: score_employers(frame, employer_model))
            key = S.EMPLOYER_ID
        timed("storing", lambda: _store(session, versions[part], as_of, scores, key, frame))
        results[part] = scores
    return ScoreResult(results["priority"], results.get("employers"), versions, timings)


def _store(session: Session, version: ModelVersion, as_of: date, scores: pd.DataFrame, key: str,
           frame: pd.DataFrame) -> None:
    """Replaces the version's lists, and records the drift of today's features since training."""
    profile = (version.metrics or {}).get("features")
    if profile:
        version.metrics = {**version.metrics, "drift": {
            "scored_on": as_of.isoformat(), "rows": len(frame), "features": population_stability(profile, frame)}}
    session.execute(sa.delete(PriorityScore).where(PriorityScore.model_version_id == version.id))
    column = "job_seeker_id" if key == S.JOB_SEEKER_ID else "employer_id"
    has = set(scores.columns)
    rows = [{
        "model_version_id": version.id, "scored_on": as_of, column: int(row[key]),
        "counselor_id": None if pd.isna(row[S.COUNSELOR_ID]) else int(row[S.COUNSELOR_ID]),
        "score": float(row[S.SCORE]), "rank": int(row[S.RANK]),
        "outcome_probability": float(row[S.OUTCOME_PROBABILITY]) if S.OUTCOME_PROBABILITY in has else None,
        "uplift": float(row[S.UPLIFT]) if S.UPLIFT in has else None,
        "exploration": bool(row[S.EXPLORATION]) if S.EXPLORATION in has else False,
        "reasons": [reason.to_dict() for reason in row[S.REASONS]],
    } for row in scores.to_dict("records")]
    for start in range(0, len(rows), 5000):
        session.execute(sa.insert(PriorityScore), rows[start:start + 5000])
    session.flush()


def write_csv(scores: pd.DataFrame, path: Path) -> int:
    """One row per job seeker: external id, counselor external id, score, rank, reasons (``;``).

    A row without an external id gets the one the export would give it (``px-job_seekers-<id>``),
    so the file joins back to an export either way."""
    from crm.exchange.exporter import synthetic_prefix

    def external(value: Any, file: str, internal: Any) -> str:
        if isinstance(value, str) and value:
            return value
        return "" if pd.isna(internal) else f"{synthetic_prefix(file)}{int(internal)}"

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["job_seeker_id", "counselor_id", "priority_score", "rank", "reasons"])
        for row in scores.to_dict("records"):
            writer.writerow([external(row[S.EXTERNAL_ID], "job_seekers", row[S.JOB_SEEKER_ID]),
                             external(row[S.COUNSELOR_EXTERNAL_ID], "staff", row[S.COUNSELOR_ID]),
                             f"{row[S.SCORE]:.4f}", int(row[S.RANK]),
                             ";".join(reason.text for reason in row[S.REASONS])])
    return len(scores)
