"""Train, evaluate and batch-recommend: what to propose, and candidates for offers.

**Temporal split.** A labelled snapshot D looks at the proposals (and mises en relation)
of [D, D + 60 days). ``evaluate --as-of A`` evaluates on the snapshot D = A − 60 days and
trains on snapshots before it, the last one ending its window on D: nothing the evaluation
measures was seen in training. The proposal model reads ``TRAINING_SNAPSHOTS`` of them, each 60
days apart. The candidate ranker reads ``CANDIDATE_SNAPSHOTS``, each ``CANDIDATE_STEP_DAYS``
apart: an offer-side snapshot is small (the offers open at D that had someone put forward: about
2,500 pairs on the medium demo), and snapshots closer together see more offers in their first
days, when most are put forward. Their windows overlap, which is harmless for training: every
label is known before D. On the medium demo, over seven rolling windows
(``benchmarks.candidate_windows``), 24 snapshots 20 days apart ranked better than 8 snapshots 60
days apart over the same 16 months: Recall@10 0.793 against 0.780, NDCG@10 0.581 against 0.559
(see ``recommender.proposal_training.CANDIDATE_PARAMS``).

The rows are the people who received a proposal in the window: what they accepted is the
relevance, every other candidate pair of theirs counts as not relevant. For the candidates of
offers, the rows are the whole pool (every active job seeker the adapter pairs with the offer)
of the offers open at D that had someone put forward in the window. The item-kNN baseline
reads the year of proposals before D.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm.db import utcnow
from crm.modelregistry.models import ModelKind, ModelVersion, StoredCandidate, StoredRecommendation
from crm.recommendations import candidates as C
from crm.scoring.pipeline import current_model, save_and_register
from recommender import schema as S

TRAINING_SNAPSHOTS = 4
CANDIDATE_SNAPSHOTS = 24
CANDIDATE_STEP_DAYS = 20
# Candidates stored per open offer by the batch: more than the panel shows, so that it still
# has a list after some are put forward, set aside or leave.
STORED_CANDIDATES = 30
_CANDIDATE_SCORE = "_candidate_score"
Progress = Callable[[Iterable[Any], str], Iterable[Any]]


def _no_progress(items: Iterable[Any], _label: str) -> Iterable[Any]:
    return items


@dataclass
class Frames:
    train: pd.DataFrame
    test: pd.DataFrame
    candidates_train: pd.DataFrame
    candidates_test: pd.DataFrame
    history: pd.DataFrame
    test_day: date
    train_days: list[date]
    candidate_days: list[date]

    def days(self, part: str) -> list[date]:
        """The training snapshots of ``part`` ("recommendations" or "candidates")."""
        return self.train_days if part == "recommendations" else self.candidate_days

    def window(self, part: str = "recommendations") -> dict[str, str]:
        days = self.days(part)
        return {"train_from": days[0].isoformat(), "train_to": days[-1].isoformat(),
                "evaluate_on": self.test_day.isoformat(),
                "window_days": str(S.RECOMMENDATION_WINDOW_DAYS)}


def snapshot_days(as_of: date, count: int = TRAINING_SNAPSHOTS,
                  step_days: int = S.RECOMMENDATION_WINDOW_DAYS) -> tuple[date, list[date]]:
    """The evaluation day (one window before ``as_of``) and ``count`` training days ``step_days``
    apart, the last one a window before the evaluation day."""
    window, step = timedelta(days=S.RECOMMENDATION_WINDOW_DAYS), timedelta(days=step_days)
    test_day = as_of - window
    return test_day, [test_day - window - step * j for j in range(count - 1, -1, -1)]


def snapshot(session: Session, day: date, *,
             recommendations: bool = True) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """The labelled pairs of one day: recommendations (people proposed something in the
    window; ``None`` unless ``recommendations``) and candidates (people put forward for an
    offer in the window)."""
    context = C.load_context(session, day)
    pairs = (C.candidate_pairs(session, day, ids=C.proposed_people(session, day), context=context, labels=True)
             if recommendations else None)
    # Candidates: every active job seeker is in an offer's pool; the offers kept are those that
    # had someone put forward in the window.
    offers = C.with_candidate_labels(session, C.candidate_pairs(session, day, context=context, kinds=("offer",)), day)
    chosen = offers.groupby(S.ITEM_ID)[S.LABEL_RELEVANCE].transform("max") > 0
    return pairs, offers[chosen].reset_index(drop=True)


def build_frames(session: Session, as_of: date, *, progress: Progress = _no_progress,
                 count: int = TRAINING_SNAPSHOTS, candidate_count: int = CANDIDATE_SNAPSHOTS) -> Frames:
    test_day, train_days = snapshot_days(as_of, count)
    candidate_days = snapshot_days(as_of, candidate_count, CANDIDATE_STEP_DAYS)[1]
    days = sorted({*train_days, *candidate_days, test_day})
    built = {day: snapshot(session, day, recommendations=day in train_days or day == test_day)
             for day in progress(days, "recommendation snapshots")}
    return Frames(
        train=pd.concat([built[d][0] for d in train_days], ignore_index=True),
        test=built[test_day][0],
        candidates_train=pd.concat([built[d][1] for d in candidate_days], ignore_index=True),
        candidates_test=built[test_day][1],
        history=C.history_pairs(session, test_day), test_day=test_day, train_days=train_days,
        candidate_days=candidate_days)


def evaluate(session: Session, as_of: date, *, progress: Progress = _no_progress, seed: int = 0,
             frames: Frames | None = None) -> tuple[dict[str, Any], Frames, dict[str, Any]]:
    """The report (``recommendations`` and ``candidates`` parts), the frames and the fitted models."""
    from recommender.proposal_training import (
        evaluate_candidates, evaluate_recommendations, fit_candidates, fit_recommendations,
    )

    frames = frames or build_frames(session, as_of, progress=progress)
    models = {"recommendations": fit_recommendations(frames.train, random_state=seed),
              "candidates": fit_candidates(frames.candidates_train, random_state=seed)}
    report = {
        "recommendations": {"window": frames.window(), "train_pairs": len(frames.train),
                            **evaluate_recommendations(models["recommendations"], frames.test, frames.history)},
        "candidates": {"window": frames.window("candidates"), "train_pairs": len(frames.candidates_train),
                       **evaluate_candidates(models["candidates"], frames.candidates_test)},
    }
    return report, frames, models


def final_fit(frames: Frames, *, seed: int = 0) -> dict[str, Any]:
    """Refit on every snapshot, the evaluation one included (the published models)."""
    from recommender.proposal_training import fit_candidates, fit_recommendations

    return {"recommendations": fit_recommendations(pd.concat([frames.train, frames.test], ignore_index=True),
                                                   random_state=seed),
            "candidates": fit_candidates(pd.concat([frames.candidates_train, frames.candidates_test],
                                                   ignore_index=True), random_state=seed)}


def recommend_all(session: Session, as_of: date, *, model: Any, k: int, path: Path,
                  progress: Progress = _no_progress, chunk_size: int = 4000,
                  version: ModelVersion | None = None, candidate_model: Any = None,
                  candidate_version: ModelVersion | None = None) -> int:
    """For every active job seeker: their top ``k`` items, written to ``path`` (CSV) and stored
    (``StoredRecommendation``, replacing the previous batch) for the file's widget. With a
    ``candidate_model``: also the best ``STORED_CANDIDATES`` candidates of every open offer
    (``StoredCandidate``, read from the same pairs) for the offer's panel."""
    from recommender.proposals import recommend

    session.execute(sa.delete(StoredRecommendation))
    session.execute(sa.delete(StoredCandidate))

    context = C.load_context(session, as_of)
    ids = C.people_frame(session, as_of, context=context)[S.JOB_SEEKER_ID].tolist()
    chunks = [ids[start:start + chunk_size] for start in range(0, len(ids), chunk_size)]
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    best: pd.DataFrame | None = None
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["job_seeker_id", "rank", "item_kind", "item_id", "score", "reasons"])
        for chunk in progress(chunks, "recommending"):
            pairs = C.candidate_pairs(session, as_of, ids=chunk, context=context, chunk_size=chunk_size)
            ranked = recommend(pairs, model, k=k)
            _store(session, ranked, pairs, as_of=as_of, version=version)
            if candidate_model is not None:
                best = _best_candidates(pairs, candidate_model, best)
            for row in ranked.itertuples(index=False):
                writer.writerow([_external(getattr(row, S.EXTERNAL_ID), "job_seekers", getattr(row, S.JOB_SEEKER_ID)),
                                 int(getattr(row, S.RANK)), getattr(row, S.ITEM_KIND),
                                 _external(getattr(row, S.ITEM_EXTERNAL_ID),
                                           "offers" if getattr(row, S.ITEM_KIND) == "offer" else "catalogue",
                                           getattr(row, S.ITEM_ID)),
                                 f"{getattr(row, S.RECOMMENDATION_SCORE):.4f}",
                                 ";".join(reason.text for reason in getattr(row, S.REASONS))])
            rows += len(ranked)
    if best is not None and len(best):
        _store_candidates(session, best, candidate_model, as_of=as_of, version=candidate_version)
    return rows


def _best_candidates(pairs: pd.DataFrame, model: Any, best: pd.DataFrame | None) -> pd.DataFrame:
    """The best ``STORED_CANDIDATES`` eligible people per offer among ``best`` (the chunks seen so
    far) and this chunk's offer pairs."""
    from recommender.eligibility import eligible_candidates

    offers = eligible_candidates(pairs)
    offers = offers.assign(**{_CANDIDATE_SCORE: model.predict_relevance(offers)})
    both = offers if best is None else pd.concat([best, offers], ignore_index=True)
    return (both.sort_values([_CANDIDATE_SCORE, S.JOB_SEEKER_ID], ascending=[False, True], kind="stable")
            .groupby(S.ITEM_KEY, sort=False).head(STORED_CANDIDATES).reset_index(drop=True))


def _store_candidates(session: Session, best: pd.DataFrame, model: Any, *, as_of: date,
                      version: ModelVersion | None) -> None:
    """Each offer's candidates ranked over the whole batch (a person in at most a few offers'
    lists, busy people last: ``rank_candidates``) and stored."""
    from recommender.proposals import rank_candidates

    ranked = rank_candidates(best.drop(columns=[_CANDIDATE_SCORE]), model, k=STORED_CANDIDATES)
    distances = dict(zip(zip(best[S.ITEM_KEY], best[S.JOB_SEEKER_ID]), best[S.DISTANCE_KM]))
    rows = []
    for row in ranked.to_dict("records"):
        distance = distances.get((row[S.ITEM_KEY], row[S.JOB_SEEKER_ID]))
        rows.append({
            "model_version_id": version.id if version is not None else None, "computed_on": as_of,
            "offer_id": int(row[S.ITEM_ID]), "job_seeker_id": int(row[S.JOB_SEEKER_ID]), "rank": int(row[S.RANK]),
            "score": float(row[S.RECOMMENDATION_SCORE]),
            "distance_km": None if distance is None or pd.isna(distance) else float(distance),
            "reasons": [reason.to_dict() for reason in row[S.REASONS]],
        })
    _insert(session, StoredCandidate, rows)


def _store(session: Session, ranked: pd.DataFrame, pairs: pd.DataFrame, *, as_of: date,
           version: ModelVersion | None) -> None:
    sessions = dict(zip(zip(pairs[S.JOB_SEEKER_ID], pairs[S.ITEM_KEY]), pairs[S.SESSION_ID]))
    rows = []
    for row in ranked.to_dict("records"):
        offer = row[S.ITEM_KIND] == "offer"
        session_id = sessions.get((row[S.JOB_SEEKER_ID], row[S.ITEM_KEY]))
        rows.append({
            "model_version_id": version.id if version is not None else None, "computed_on": as_of,
            "job_seeker_id": int(row[S.JOB_SEEKER_ID]), "rank": int(row[S.RANK]), "item_kind": row[S.ITEM_KIND],
            "offer_id": int(row[S.ITEM_ID]) if offer else None,
            "catalogue_item_id": None if offer else int(row[S.ITEM_ID]),
            "session_id": None if session_id is None or pd.isna(session_id) else int(session_id),
            "score": float(row[S.RECOMMENDATION_SCORE]), "out_of_project": bool(row[S.OUT_OF_PROJECT]),
            "reasons": [reason.to_dict() for reason in row[S.REASONS]],
        })
    _insert(session, StoredRecommendation, rows)


def _insert(session: Session, table: Any, rows: list[dict[str, Any]], *, batch: int = 5000) -> None:
    for start in range(0, len(rows), batch):
        session.execute(sa.insert(table), rows[start:start + batch])


def _external(value: Any, file: str, internal: Any) -> str:
    from crm.exchange.exporter import synthetic_prefix

    if isinstance(value, str) and value:
        return value
    return f"{synthetic_prefix(file)}{int(internal)}"


# --------------------------------------------------------------------------- train and publish
KINDS = {"recommendations": ModelKind.RECOMMENDATIONS, "candidates": ModelKind.CANDIDATES}


@dataclass
class TrainResult:
    versions: dict[str, ModelVersion]
    refusals: dict[str, list[str]]
    report: dict[str, Any]


def _current(session: Session, frames: Frames) -> dict[str, Any]:
    """The published models' figures on the candidate's evaluation rows (for the gate) unless
    they learnt from them (``current_model``)."""
    from recommender.proposal_training import evaluate_candidates, evaluate_recommendations

    current: dict[str, Any] = {}
    for part, kind in KINDS.items():
        model = current_model(session, kind, evaluated_from=frames.test_day)
        if model is None:
            continue
        current[part] = (evaluate_recommendations(model, frames.test, frames.history) if part == "recommendations"
                         else evaluate_candidates(model, frames.candidates_test))
    return current


def train(session: Session, as_of: date, *, model_dir: Path, user_id: int | None = None,
          progress: Progress = _no_progress, seed: int = 0) -> TrainResult:
    """Evaluate (temporal split), gate against the baselines and the published models, refit on
    every snapshot, save and register; publish what the gate lets through."""
    from recommender.proposal_training import gate_recommendations

    report, frames, _models = evaluate(session, as_of, progress=progress, seed=seed)
    refusals_all = gate_recommendations(report, _current(session, frames))
    fitted = final_fit(frames, seed=seed)
    rows = {"recommendations": len(frames.train) + len(frames.test),
            "candidates": len(frames.candidates_train) + len(frames.candidates_test)}
    stamp = utcnow()
    version_name = f"{as_of:%Y%m%d}-{stamp:%H%M%S}"
    result = TrainResult({}, {}, report)
    for part, kind in KINDS.items():
        refusals = [reason for reason in refusals_all if reason.startswith(f"{part}:")]
        result.versions[part] = save_and_register(
            session, kind, fitted[part], model_dir=model_dir, version_name=version_name, stamp=stamp, as_of=as_of,
            days=[*frames.days(part), frames.test_day], rows=rows[part],
            metrics={"evaluation": {part: report[part]}}, refusals=refusals, user_id=user_id,
            data_window={"window_days": S.RECOMMENDATION_WINDOW_DAYS})
        result.refusals[part] = refusals
    session.flush()
    return result
