"""The gate compares a candidate with the published model only on outcomes that model never saw."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from crm.extensions import db
from crm.modelregistry.models import ModelKind, ModelStatus, ModelVersion
from crm.scoring.pipeline import current_model
from recommender import artifacts


def test_a_published_model_that_learnt_from_the_evaluation_outcomes_is_not_compared(db_session: Any,
                                                                                    tmp_path: Path) -> None:
    """Trained as of 1 May, the model learnt outcomes up to 30 April: a candidate evaluated on
    outcomes from 1 May on may be compared with it; from 30 April on, it saw that day's, so the
    comparison would flatter it (and a retrain the same day would always be refused)."""
    folder = artifacts.save({"fitted": True}, tmp_path / "model", {"kind": "recommendations"})
    db.session.add(ModelVersion(kind=ModelKind.RECOMMENDATIONS, version="20260501-000000", as_of=date(2026, 5, 1),
                                status=ModelStatus.PUBLISHED, published_at=datetime(2026, 5, 1, 3),
                                artifact_path=str(folder)))
    db.session.flush()
    assert current_model(db.session, ModelKind.RECOMMENDATIONS) == {"fitted": True}
    assert current_model(db.session, ModelKind.RECOMMENDATIONS, evaluated_from=date(2026, 5, 1)) == {"fitted": True}
    assert current_model(db.session, ModelKind.RECOMMENDATIONS, evaluated_from=date(2026, 4, 30)) is None


def test_both_trainings_leave_out_a_published_model_trained_after_their_evaluation_day(db_session: Any,
                                                                                       tmp_path: Path) -> None:
    """Retrained the same day (or within the outcome window), the candidate is gated by the
    baselines alone: its evaluation rows were part of the published model's training data."""
    from types import SimpleNamespace

    from crm.recommendations.pipeline import _current as current_recommendations
    from crm.scoring.pipeline import Split, _current_report

    for number, kind in enumerate(ModelKind):
        folder = artifacts.save({"fitted": True}, tmp_path / kind.value, {"kind": kind.value})
        db.session.add(ModelVersion(kind=kind, version=f"v{number}", as_of=date(2026, 11, 20),
                                    status=ModelStatus.PUBLISHED, published_at=datetime(2026, 11, 20, 3),
                                    artifact_path=str(folder)))
    db.session.flush()
    # Were they compared, evaluating the stand-in models would fail: nothing is evaluated.
    assert current_recommendations(db.session, SimpleNamespace(test_day=date(2026, 9, 21))) == {}
    evaluation = SimpleNamespace(split=Split([date(2025, 1, 1)], [date(2026, 5, 1), date(2026, 5, 21)]))
    assert _current_report(db.session, evaluation, 10, 0) == {}  # type: ignore[arg-type]
