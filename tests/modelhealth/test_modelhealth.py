"""« Santé des modèles »: role rules, the empty state, the evaluation, fairness and drift
read from hand-built registry rows, override rates counted by hand (and restricted to a
director's agency), and metrics dicts of any shape never breaking the page."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from crm.db import utcnow
from crm.interactions.models import Feedback, FeedbackAction, FeedbackContext
from crm.modelhealth import queries
from crm.modelregistry.models import ModelKind, ModelStatus
from crm.organisation.models import Role
from tests import factories as f
from tests.web.conftest import log_in


def iv(value: float, low: float, high: float) -> dict[str, float]:
    return {"value": value, "low": low, "high": high}


def ranking(qini: float) -> dict[str, Any]:
    return {"qini": iv(qini, qini - 0.0005, qini + 0.0005), "auuc": iv(0.01, 0.0, 0.02),
            "uplift_at_10": iv(0.108, 0.006, 0.206), "uplift_at_20": iv(0.053, -0.013, 0.114)}


def job_seeker_metrics(*, qini: float = 0.0007, auc: float = 0.766, drift: dict | None = None) -> dict[str, Any]:
    calibration = [
        {"low": 0.0, "high": 0.1, "count": 100, "mean_predicted": 0.05, "observed_rate": 0.06},
        {"low": 0.5, "high": 0.6, "count": 40, "mean_predicted": 0.55, "observed_rate": 0.5},
    ]
    fairness = {
        "top": 0.2, "tolerance": 1.5, "flagged": True,
        "groups": {
            "age_band": {
                "values": {
                    "<26": {"count": 300, "used_in_ratios": True, "selection_rate": 0.32, "false_negative_rate": 0.6,
                            "mean_predicted": 0.4, "observed_rate": 0.41, "calibration_gap": -0.01},
                    "50+": {"count": 200, "used_in_ratios": True, "selection_rate": 0.14, "false_negative_rate": 0.78,
                            "mean_predicted": 0.3, "observed_rate": 0.29, "calibration_gap": 0.01},
                },
                "selection_ratio": 2.2, "fnr_ratio": 1.3, "flagged": True, "small_groups": [],
                "messages": ["Taux de sélection : écart de 2,2× entre les groupes (50+ : 14 % ; <26 : 32 %)"],
            },
            "gender": {
                "values": {
                    "female": {"count": 250, "used_in_ratios": True, "selection_rate": 0.2, "false_negative_rate": 0.7,
                               "mean_predicted": 0.35, "observed_rate": 0.35, "calibration_gap": 0.0},
                    "male": {"count": 250, "used_in_ratios": True, "selection_rate": 0.2, "false_negative_rate": 0.7,
                             "mean_predicted": 0.35, "observed_rate": 0.35, "calibration_gap": 0.0},
                },
                "selection_ratio": 1.0, "fnr_ratio": 1.0, "flagged": False, "small_groups": [], "messages": [],
            },
        },
    }
    metrics: dict[str, Any] = {"evaluation": {
        "window": {"train_from": "2024-09-01", "train_to": "2025-08-01", "evaluate_from": "2026-03-01",
                   "evaluate_to": "2026-05-01"},
        "priority": {
            "model": {**ranking(qini), "outcome": {"auc": auc, "brier": 0.153, "ece": 0.008, "calibration": calibration}},
            "model_gain_only": ranking(0.0009),
            "baselines": {"random": ranking(0.0), "longest_without_contact": ranking(0.0008),
                          "risk_first": ranking(0.0005)},
            "fairness": fairness, "rows": 26745,
        },
    }}
    if drift is not None:
        metrics["drift"] = drift
    return metrics


def employer_metrics(share: float = 0.316) -> dict[str, Any]:
    return {"evaluation": {"employers": {
        "model": {"top_10_share": share, "rows": 2000, "hires": 512},
        "baselines": {"last_period_hires": {"top_10_share": 0.268}, "linear_regression": {"top_10_share": 0.3}},
    }}}


DRIFT = {"scored_on": "2026-11-21", "rows": 1234, "features": {
    "days_since_contact": {"psi": 0.31, "missing_train": 0.0, "missing_now": 0.0},
    "shortage_rate": {"psi": 0.02, "missing_train": 0.1, "missing_now": 0.12},
    "offers_nearby_30d": {"psi": 0.17, "missing_train": 0.0, "missing_now": 0.05},
}}


def page(client: FlaskClient, user: Any) -> str:
    log_in(client, user)
    response = client.get("/modeles")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.ADMIN])
def test_directors_and_admins_see_the_page(client: FlaskClient, role: Role) -> None:
    html = page(client, f.make_user(role=role, agency=None if role == Role.ADMIN else f.DEFAULT))
    assert "Santé des modèles" in html
    nav = html.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/modeles"' in nav


@pytest.mark.parametrize("role", [Role.COUNSELOR, Role.TEAM_MANAGER, Role.EMPLOYER_COUNSELOR])
def test_other_roles_are_refused(client: FlaskClient, role: Role) -> None:
    log_in(client, f.make_user(role=role))
    assert client.get("/modeles").status_code == 403


def test_anonymous_users_go_to_the_login_page(client: FlaskClient) -> None:
    response = client.get("/modeles")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --------------------------------------------------------------------------- content


def test_empty_registry_says_how_to_train(client: FlaskClient) -> None:
    html = page(client, f.make_user(role=Role.ADMIN, agency=None))
    assert html.count("flask --app crm recommender train") == 2
    assert 'id="job_seeker_priority-none"' in html and 'id="employer_priority-none"' in html
    assert "Aucune version entraînée." in html


def test_current_version_evaluation_and_calibration(client: FlaskClient) -> None:
    f.make_model_version(version="js-2026-11", trained_at=datetime(2026, 11, 20, 2), data_start=date(2024, 9, 1),
                         data_end=date(2025, 8, 1), row_count=91190, metrics=job_seeker_metrics())
    f.make_model_version(kind=ModelKind.EMPLOYER_PRIORITY, version="emp-2026-11", metrics=employer_metrics())
    html = page(client, f.make_user(role=Role.ADMIN, agency=None))
    current = text(html.split('id="job_seeker_priority-current"', 1)[1].split("</dl>", 1)[0])
    assert "js-2026-11" in current and "20/11/2026" in current and "01/09/2024" in current
    assert "01/08/2025" in current and "Lignes 91 190" in current
    evaluation = text(html.split('id="job_seeker_priority-evaluation"', 1)[1].split("</table>", 1)[0])
    assert "Hasard" in evaluation and "Le plus long sans contact d'abord" in evaluation
    assert "0,1080 [0,0060 ; 0,2060]" in evaluation  # uplift at 10 % with its interval
    # Calibration: an accessible SVG (title, desc) and the same values in a table.
    assert re.search(r'<svg class="chart calibration-chart" role="img" aria-labelledby="[^"]+"', html)
    assert "<title id=\"job_seeker_priority-cal-title\">" in html and "<desc" in html
    calibration = text(html.split('id="job_seeker_priority-calibration"', 1)[1].split("</table>", 1)[0])
    assert "5,0 %" in calibration and "6,0 %" in calibration and "55,0 %" in calibration
    assert "<script" not in html.split("<main", 1)[1]
    # Employers: model vs baselines.
    employers = text(html.split('id="employer_priority-evaluation"', 1)[1].split("</table>", 1)[0])
    assert "31,6 %" in employers and "26,8 %" in employers and "Régression linéaire" in employers


def test_fairness_flags_are_written(client: FlaskClient) -> None:
    f.make_model_version(metrics=job_seeker_metrics())
    html = page(client, f.make_user(role=Role.ADMIN, agency=None))
    age = html.split('id="job_seeker_priority-fairness-age_band"', 1)[1].split("</table>", 1)[0]
    selection = age.split('data-ratio="selection"', 1)[1].split("</td>", 1)[0]
    fnr = age.split('data-ratio="fnr"', 1)[1].split("</td>", 1)[0]
    assert "2,2×" in selection and "signalé" in selection
    assert "1,3×" in fnr and "signalé" not in fnr
    gender = html.split('id="job_seeker_priority-fairness-gender"', 1)[1].split("</table>", 1)[0]
    assert "signalé" not in gender and "Femme" in gender
    assert 'id="job_seeker_priority-fairness-flagged"' in html


def test_drift_sorted_by_psi_with_its_reading(client: FlaskClient) -> None:
    f.make_model_version(metrics=job_seeker_metrics(drift=DRIFT))
    html = page(client, f.make_user(role=Role.ADMIN, agency=None))
    table = html.split('id="job_seeker_priority-drift"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-level="(\w+)"><th scope="row"><code>(\w+)</code>', table)
    assert rows == [("significant", "days_since_contact"), ("moderate", "offers_nearby_30d"),
                    ("stable", "shortage_rate")]
    assert "Dérive importante" in table and "Dérive modérée" in table and "Stable" in table
    assert 'id="job_seeker_priority-no-drift"' not in html


def test_drift_absent(client: FlaskClient) -> None:
    f.make_model_version(metrics=job_seeker_metrics())
    html = page(client, f.make_user(role=Role.ADMIN, agency=None))
    assert "Pas encore de calcul de dérive" in html


def test_readers_ignore_non_finite_numbers() -> None:
    # JSON written by SQLite may hold NaN (PostgreSQL refuses it): shown as unknown.
    evaluation = queries.read_job_seeker_evaluation(
        {"evaluation": {"priority": {"model": {"qini": {"value": float("nan")}, "outcome": {"auc": float("inf")}}}}})
    assert evaluation is not None and evaluation.rankings[0].metrics["qini"] is None
    assert evaluation.outcome is not None and evaluation.outcome.auc is None


def test_drift_levels() -> None:
    level = lambda psi: queries.FeatureDrift("x", psi, None, None).level  # noqa: E731
    assert [level(0.05), level(0.1), level(0.25), level(0.26), level(None)] == [
        "stable", "moderate", "moderate", "significant", "unknown"]


def test_history_newest_first_with_refusal_reasons(client: FlaskClient) -> None:
    f.make_model_version(version="js-old", status=ModelStatus.RETIRED, trained_at=datetime(2026, 9, 1),
                         metrics=job_seeker_metrics(qini=0.0004))
    f.make_model_version(version="js-cur", trained_at=datetime(2026, 10, 1), metrics=job_seeker_metrics())
    f.make_model_version(version="js-bad", status=ModelStatus.REJECTED, trained_at=datetime(2026, 11, 1),
                         status_reason="Qini du candidat sous celui de la référence « hasard »",
                         metrics=job_seeker_metrics(qini=-0.0001, auc=0.7))
    html = page(client, f.make_user(role=Role.ADMIN, agency=None))
    history = html.split('id="job_seeker_priority-history"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'data-version="([\w-]+)"', history) == ["js-bad", "js-cur", "js-old"]
    assert "Qini du candidat sous celui de la référence « hasard »" in history
    assert re.search(r'data-version="js-bad">.*?Refusé', history, re.S)
    assert "0,7000" not in history and "0,700" in history  # AUC to 3 places
    # The current version is the published one, not the newest.
    assert "js-cur" in html.split('id="job_seeker_priority-current"', 1)[1].split("</dl>", 1)[0]


# --------------------------------------------------------------------------- feedback


def feedback(user: Any, *, version: Any = None, reason: str = "other_channel", days_ago: int = 1,
             context: FeedbackContext = FeedbackContext.PRIORITY_LIST,
             action: FeedbackAction = FeedbackAction.DISMISS) -> Feedback:
    return f._add(Feedback(user_id=user.id, context=context, action=action, reason=reason,
                           model_version_id=version.id if version else None,
                           at=utcnow() - timedelta(days=days_ago)))


@pytest.fixture()
def scored(db_session: Any) -> dict[str, Any]:
    """Two agencies. The published version scores 4 people of agency A's counselor and 1 of
    agency B's. Feedback in the last 30 days on it: A: dismiss (other_channel), snooze
    (unavailable), dismiss (other_channel); B: one dismiss. Left out: one 40 days old, one on
    the older version, one not_relevant recommendation is counted apart."""
    agency_a, agency_b = f.make_agency(name="Agence A"), f.make_agency(name="Agence B")
    a = f.make_user(role=Role.COUNSELOR, agency=agency_a)
    b = f.make_user(role=Role.COUNSELOR, agency=agency_b)
    old = f.make_model_version(version="js-old", status=ModelStatus.RETIRED, metrics={})
    version = f.make_model_version(version="js-new", metrics=job_seeker_metrics())
    for rank in range(1, 5):
        f.make_priority_score(version, job_seeker=f.make_job_seeker(referent=a), rank=rank)
    f.make_priority_score(version, job_seeker=f.make_job_seeker(referent=b), rank=1)
    feedback(a, version=version)
    feedback(a, version=version, reason="unavailable", action=FeedbackAction.SNOOZE)
    feedback(a, version=version)
    feedback(b, version=version, reason="situation_known")
    feedback(a, version=version, days_ago=40)
    feedback(a, version=old)
    feedback(a, reason="wrong_level", context=FeedbackContext.RECOMMENDATION, action=FeedbackAction.NOT_RELEVANT)
    feedback(b, reason="too_far", context=FeedbackContext.RECOMMENDATION, action=FeedbackAction.NOT_RELEVANT)
    return {"agency_a": agency_a, "version": version}


def test_override_rate_counted_by_hand(scored: dict[str, Any]) -> None:
    rate = queries.priority_feedback(scored["version"], since=utcnow() - timedelta(days=30))
    assert (rate.count, rate.rows) == (4, 5) and rate.rate == pytest.approx(0.8)
    assert rate.by_reason == [("other_channel", 2), ("situation_known", 1), ("unavailable", 1)]


def test_director_sees_their_agency(client: FlaskClient, scored: dict[str, Any]) -> None:
    rate = queries.priority_feedback(scored["version"], since=utcnow() - timedelta(days=30),
                                     agency_id=scored["agency_a"].id, restrict=True)
    assert (rate.count, rate.rows) == (3, 4)  # 75 %
    director = f.make_user(role=Role.DIRECTOR, agency=scored["agency_a"])
    html = page(client, director)
    overrides = text(html.split('id="job_seeker_priority-overrides"', 1)[1].split("</p>", 1)[0])
    assert "3 retours pour 4 lignes" in overrides and "75,0 %" in overrides
    assert "1 recommandation marquée" in text(html)  # A's only
    admin_html = page(client, f.make_user(role=Role.ADMIN, agency=None))
    overrides = text(admin_html.split('id="job_seeker_priority-overrides"', 1)[1].split("</p>", 1)[0])
    assert "4 retours pour 5 lignes" in overrides and "80,0 %" in overrides
    assert "Déjà en contact par un autre canal" in admin_html
    assert "2 recommandations marquées" in text(admin_html)


def test_director_without_agency_sees_no_feedback(scored: dict[str, Any]) -> None:
    feedback(f.make_user(role=Role.COUNSELOR, agency=None), version=scored["version"])
    rate = queries.priority_feedback(scored["version"], since=utcnow() - timedelta(days=30), agency_id=None,
                                     restrict=True)
    assert (rate.count, rate.rows) == (0, 0)


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize("metrics", [
    {},
    None,
    {"evaluation": None},
    {"evaluation": {"priority": "?"}, "drift": "?"},
    {"evaluation": {"priority": {"model": {"qini": 3}, "baselines": [], "fairness": {"groups": {"x": None}}}}},
    {"evaluation": {"priority": {"model": {"qini": {"value": "a"}, "outcome": {"calibration": [{"low": 0}, 1]}},
                                 "baselines": {"random": None},
                                 "fairness": {"groups": {"age_band": {"values": {"<26": None}, "flagged": True}}}},
                    "employers": {"model": 1, "baselines": {"x": 2}}, "window": 5},
     "drift": {"features": {"a": None, "b": {"psi": "x"}}, "rows": "many"}},
    {"evaluation": {"priority": {"model": {"outcome": {"auc": "0,7"}}}}, "drift": {"features": []}},
])
def test_malformed_metrics_never_break_the_page(client: FlaskClient, metrics: Any) -> None:
    f.make_model_version(version="js", metrics=metrics if metrics is None else dict(metrics))
    f.make_model_version(kind=ModelKind.EMPLOYER_PRIORITY, version="emp", metrics=metrics)
    f.make_model_version(version="js-rej", status=ModelStatus.REJECTED, metrics=metrics)
    html = page(client, f.make_user(role=Role.ADMIN, agency=None))
    assert 'data-version="js-rej"' in html


def test_employer_overrides_use_the_employer_reasons(client: FlaskClient) -> None:
    counselor = f.make_user(role=Role.EMPLOYER_COUNSELOR)
    version = f.make_model_version(kind=ModelKind.EMPLOYER_PRIORITY, version="emp", metrics=employer_metrics())
    for rank in (1, 2):
        f.make_priority_score(version, employer=f.make_employer(counselor=counselor), rank=rank)
    feedback(counselor, version=version, reason="unavailable")
    html = page(client, f.make_user(role=Role.ADMIN, agency=None))
    section = html.split('id="model-employer_priority"', 1)[1].split("</section>", 1)[0]
    assert "1 retour pour 2 lignes" in text(section) and "50,0 %" in text(section)
    assert "Entreprise indisponible" in section
