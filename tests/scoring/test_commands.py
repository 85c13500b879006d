"""``flask --app crm recommender train | evaluate | score`` on the small demo (its own database)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from crm.extensions import db
from crm.modelregistry.models import ModelKind, ModelStatus, ModelVersion, PriorityScore
from recommender import schema
from recommender.training import gate
from tests.seeds.test_demo import TODAY, fresh_database, seeded_app


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("scoring")
    for url in fresh_database(tmp, "scoring"):
        app = seeded_app(url, tmp / "instance")
        app.config["MODEL_DIR"] = str(tmp / "models")
        yield app
        with app.app_context():
            db.engine.dispose()


def run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["recommender", *args, "--as-of", TODAY])


def versions(app: Flask, kind: ModelKind) -> list[ModelVersion]:
    with app.app_context():
        rows = db.session.execute(sa.select(ModelVersion).where(ModelVersion.kind == kind)
                                  .order_by(ModelVersion.id)).scalars().all()
        db.session.expunge_all()
        return list(rows)


@pytest.fixture(scope="module")
def trained(demo: Flask) -> Any:
    result = run(demo, "train", "--quiet", "--bootstrap", "20")
    assert result.exit_code in (0, 1), result.output + repr(result.exception)
    return result


def test_train_saves_the_models_with_their_sidecar_and_registers_them(demo: Flask, trained: Any) -> None:
    assert "Qini" in trained.output and "AUC" in trained.output
    for kind in (ModelKind.JOB_SEEKER_PRIORITY, ModelKind.EMPLOYER_PRIORITY):
        (version,) = versions(demo, kind)
        folder = Path(version.artifact_path)
        sidecar = json.loads((folder / "model.json").read_text())
        assert (folder / "model.joblib").stat().st_size > 0
        assert sidecar["libraries"]["scikit-learn"] and sidecar["rows"] == version.row_count > 0
        assert sidecar["data_window"]["snapshots"][-1] <= "2026-05-21"  # outcome known before the as-of day
        assert version.status in (ModelStatus.PUBLISHED, ModelStatus.REJECTED)
        if version.status == ModelStatus.REJECTED:
            assert version.status_reason and "not published" in trained.output
            assert trained.exit_code == 1


def test_evaluate_prints_one_json_document_with_the_documented_keys(demo: Flask) -> None:
    result = run(demo, "evaluate", "--json", "--bootstrap", "20")

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["priority"]["baselines"]) == {"random", "longest_without_contact", "risk_first"}
    for figures in (report["priority"]["model"], *report["priority"]["baselines"].values()):
        for metric in ("qini", "auuc", "uplift_at_10", "uplift_at_20"):
            assert set(figures[metric]) == {"value", "low", "high"}
    assert 0.5 < report["priority"]["model"]["outcome"]["auc"] <= 1
    assert set(report["priority"]["fairness"]["groups"]) == {"gender", "age_band", "nationality_group",
                                                             "disability", "qpv"}
    assert "top_10_share" in report["employers"]["model"]
    assert set(report["employers"]["baselines"]) == {"last_period_hires", "linear_regression"}
    assert report["window"]["train_to"] < report["window"]["evaluate_from"]
    for part, baselines in (("recommendations", {"popularity", "same_rome_nearest", "item_knn"}),
                            ("candidates", {"same_rome_nearest"})):
        assert set(report[part]["baselines"]) == baselines
        for figures in (report[part]["model"], *report[part]["baselines"].values()):
            assert set(figures["ndcg@10"]) == {"value", "low", "high"} and 0 <= figures["ndcg@10"]["value"] <= 1
            assert 0 <= figures["recall@10"]["value"] <= 1 and 0 <= figures["coverage"] <= 1
            assert 0 <= figures["gini"] <= 1
        assert report[part]["window"]["train_to"] < report[part]["window"]["evaluate_on"]
    larger = report["candidates"]["larger_pools"]
    assert larger["min_pool"] == 11 and set(larger["baselines"]) == {"same_rome_nearest"}
    assert larger["rows"]["groups"] <= report["candidates"]["rows"]["groups"]
    assert report["candidates"]["window"]["train_from"] < report["recommendations"]["window"]["train_from"]


def test_train_registers_the_recommendation_models_too(demo: Flask, trained: Any) -> None:
    from crm.recommendations.pipeline import CANDIDATE_SNAPSHOTS, CANDIDATE_STEP_DAYS, TRAINING_SNAPSHOTS

    # The candidate ranker reads more snapshots (small ones), closer together, than the proposal
    # model; the last training window of each ends on the evaluation day, whose 60-day window
    # ends on as-of.
    snapshots = {ModelKind.RECOMMENDATIONS: (TRAINING_SNAPSHOTS, 60),
                 ModelKind.CANDIDATES: (CANDIDATE_SNAPSHOTS, CANDIDATE_STEP_DAYS)}
    for kind in (ModelKind.RECOMMENDATIONS, ModelKind.CANDIDATES):
        (version,) = versions(demo, kind)
        sidecar = json.loads((Path(version.artifact_path) / "model.json").read_text())
        days = [date.fromisoformat(day) for day in sidecar["data_window"]["snapshots"]]
        count, step = snapshots[kind]
        assert len(days) == count + 1 and days[-1] == date(2026, 9, 21)
        assert {(later - earlier).days for earlier, later in zip(days[:-2], days[1:-1])} == {step}
        assert (days[-1] - days[-2]).days == 60
        assert version.status in (ModelStatus.PUBLISHED, ModelStatus.REJECTED)
        if version.status == ModelStatus.REJECTED:
            assert version.status_reason.startswith(kind.value if kind == ModelKind.CANDIDATES else "recommendations")
    assert "NDCG@10" in trained.output
    # Both lifts, and the candidates read again where a top 10 can leave someone out.
    assert "Recall@10 (same_rome_nearest)" in trained.output
    assert "The offers whose pool has 11 people or more" in trained.output


def test_recommend_stores_the_lists_and_writes_the_csv(demo: Flask, trained: Any, tmp_path: Path) -> None:
    from crm.employers.models import Employer
    from crm.jobseekers.models import JobSeeker
    from crm.modelregistry.models import StoredCandidate, StoredRecommendation
    from crm.offers.models import JobOffer

    out = tmp_path / "recommendations.csv"
    result = demo.test_cli_runner().invoke(args=["recommender", "recommend", "--as-of", TODAY, "--k", "5",
                                                 "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0]) == ["job_seeker_id", "rank", "item_kind", "item_id", "score", "reasons"]
    per_person: dict[str, list[int]] = {}
    for row in rows:
        per_person.setdefault(row["job_seeker_id"], []).append(int(row["rank"]))
        assert row["item_kind"] in schema.ITEM_KINDS and row["item_id"]
    assert all(ranks == list(range(1, len(ranks) + 1)) and len(ranks) <= 5 for ranks in per_person.values())
    with demo.app_context():
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(StoredRecommendation))
        candidates = db.session.execute(sa.select(StoredCandidate.offer_id, StoredCandidate.rank,
                                                  StoredCandidate.job_seeker_id, JobSeeker.agency_id,
                                                  Employer.agency_id)
                                        .join(JobSeeker, JobSeeker.id == StoredCandidate.job_seeker_id)
                                        .join(JobOffer, JobOffer.id == StoredCandidate.offer_id)
                                        .join(Employer, Employer.id == JobOffer.employer_id)).all()
    assert stored == len(rows)
    # Every open offer's best candidates, of its agency, ranked; nobody in more than 3 lists.
    ranks: dict[int, list[int]] = {}
    lists: dict[int, int] = {}
    for offer_id, rank, person_id, person_agency, offer_agency in candidates:
        assert person_agency == offer_agency
        ranks.setdefault(offer_id, []).append(rank)
        lists[person_id] = lists.get(person_id, 0) + 1
    assert ranks and all(sorted(r) == list(range(1, len(r) + 1)) and len(r) <= 30 for r in ranks.values())
    assert max(lists.values()) <= 3


def test_score_stores_the_lists_and_writes_the_csv(demo: Flask, trained: Any, tmp_path: Path) -> None:
    with demo.app_context():
        version = db.session.execute(sa.select(ModelVersion).where(
            ModelVersion.kind == ModelKind.JOB_SEEKER_PRIORITY)).scalar_one()
        if version.status != ModelStatus.PUBLISHED:  # the gate's verdict on this small sample is not the point here
            version.status = ModelStatus.PUBLISHED
            db.session.commit()

    out = tmp_path / "scores.csv"
    result = run(demo, "score", "--out", str(out), "--quiet")

    assert result.exit_code == 0, result.output + repr(result.exception)
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["job_seeker_id", "counselor_id", "priority_score", "rank", "reasons"]
    with demo.app_context():
        stored = db.session.execute(sa.select(PriorityScore.counselor_id, PriorityScore.rank,
                                              PriorityScore.exploration, PriorityScore.reasons)
                                    .where(PriorityScore.job_seeker_id.is_not(None))).all()
        active = db.session.execute(sa.text(
            "SELECT COUNT(*) FROM job_seeker WHERE registration_date < :day "
            "AND (exit_date IS NULL OR exit_date >= :day)"), {"day": TODAY}).scalar_one()
    assert len(rows) == len(stored) == active
    assert all(row["job_seeker_id"].startswith("DE") and row["counselor_id"] for row in rows)
    by_counselor: dict[int, list[int]] = {}
    for counselor_id, rank, _exploration, _reasons in stored:
        by_counselor.setdefault(counselor_id, []).append(rank)
    assert all(sorted(ranks) == list(range(1, len(ranks) + 1)) for ranks in by_counselor.values())
    explored = sum(1 for row in stored if row.exploration)
    assert 0.03 * len(stored) <= explored <= 0.08 * len(stored)
    assert any("Fin de droits dans" in row["reasons"] for row in rows)
    assert all(reason["text"] for row in stored for reason in row.reasons)
    with demo.app_context():
        drift = db.session.execute(sa.select(ModelVersion).where(
            ModelVersion.kind == ModelKind.JOB_SEEKER_PRIORITY)).scalar_one().metrics["drift"]
    assert drift["scored_on"] == TODAY and drift["rows"] == active
    assert set(drift["features"]) == set(schema.JOB_SEEKER_FEATURES)
    assert all(figures["psi"] >= 0 for figures in drift["features"].values())


def test_score_without_a_published_model_says_what_to_do(tmp_path_factory: pytest.TempPathFactory,
                                                         tmp_path: Path) -> None:
    from flask_migrate import upgrade

    from tests.conftest import make_app

    for url in fresh_database(tmp_path, "empty_scoring"):
        app = make_app(url, tmp_path / "instance")
        with app.app_context():
            upgrade()
        result = run(app, "score", "--out", str(tmp_path / "s.csv"))
        with app.app_context():
            db.engine.dispose()
    assert result.exit_code != 0
    assert "no published job_seeker_priority model" in result.output
    assert "recommender train" in result.output


def report(qini: tuple[float, float, float], baselines: dict[str, float], auc: float = 0.8) -> dict[str, Any]:
    value, low, high = qini
    return {"priority": {
        "model": {"qini": {"value": value, "low": low, "high": high}, "outcome": {"auc": auc}},
        "baselines": {name: {"qini": {"value": v, "low": v, "high": v}} for name, v in baselines.items()},
    }}


def test_the_gate_refuses_a_model_clearly_below_a_baseline_or_the_current_one() -> None:
    baselines = {"random": 0.0, "longest_without_contact": 0.004}

    assert gate(report((0.003, 0.001, 0.005), baselines), None) == []  # within the noise: published
    (reason,) = gate(report((0.001, -0.001, 0.003), baselines), None)
    assert "longest_without_contact" in reason
    current = report((0.006, 0.005, 0.007), {}, auc=0.85)
    reasons = gate(report((0.003, 0.001, 0.005), baselines, auc=0.80), current)
    assert any("current model" in r and "Qini" in r for r in reasons)
    assert any("AUC" in r for r in reasons)


def test_the_gate_compares_the_employer_model_with_its_baselines() -> None:
    candidate = {"employers": {"model": {"top_10_share": 0.30},
                               "baselines": {"last_period_hires": {"top_10_share": 0.27},
                                             "linear_regression": {"top_10_share": 0.31}}}}

    (reason,) = gate(candidate, None)

    assert "linear_regression" in reason


def test_the_csv_gives_rows_without_an_external_id_the_one_the_export_would(tmp_path: Path) -> None:
    import pandas as pd

    from crm.scoring.pipeline import write_csv
    from recommender.reasons import Reason

    scores = pd.DataFrame({schema.JOB_SEEKER_ID: [7, 8], schema.EXTERNAL_ID: ["DE1", None],
                           schema.COUNSELOR_ID: [3, None], schema.COUNSELOR_EXTERNAL_ID: [None, None],
                           schema.SCORE: [51.5, 2.0], schema.RANK: [1, 1],
                           schema.REASONS: [[Reason("rights_ending", {"days": 12})], []]})

    write_csv(scores, tmp_path / "s.csv")

    assert (tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "DE1,px-staff-3,51.5000,1,Fin de droits dans 12 jours", "px-job_seekers-8,,2.0000,1,"]


def test_the_commands_default_day_is_the_paris_day(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # At 22:30 UTC on 30 June it is already 1 July in Paris (summer time): a nightly batch run
    # then computes the lists of 1 July, the day the pages read.
    from datetime import datetime, timezone

    from crm import clock
    from crm.scoring.cli import _day

    class LateEvening(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return datetime(2030, 6, 30, 22, 30, tzinfo=timezone.utc).astimezone(tz)

    monkeypatch.setattr(clock, "datetime", LateEvening)
    with app.app_context():
        assert _day(None) == date(2030, 7, 1)
        assert _day(datetime(2026, 3, 1)) == date(2026, 3, 1)
