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


def list_report(model: tuple[float, float], rule: tuple[float, float], **more: Any) -> dict[str, Any]:
    """A list model's evaluation (``recommender.proposal_training``): NDCG@10 and recall@10, and
    the model's lift over the best baseline on each."""
    def figures(ndcg: float, recall: float) -> dict[str, Any]:
        return {"ndcg@10": iv(ndcg, ndcg - 0.05, ndcg + 0.05), "recall@10": iv(recall, recall - 0.05, recall + 0.05),
                "coverage": 0.48, "gini": 0.59}

    report = {"k": 10, "window": {"train_from": "2025-05-29", "train_to": "2026-07-23", "evaluate_on": "2026-09-21",
                                  "window_days": "60"},
              "model": figures(*model), "baselines": {"same_rome_nearest": figures(*rule), **more},
              "rows": {"groups_with_relevant": 124}}
    for metric, key in (("ndcg@10", "lift_vs_best_baseline"), ("recall@10", "recall_lift_vs_best_baseline")):
        values = {name: data[metric]["value"] for name, data in report["baselines"].items()}
        best = max(values, key=values.get)
        report[key] = {"baseline": best, "relative": report["model"][metric]["value"] / values[best] - 1}
    return report


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
    assert html.count("flask --app crm recommender train") == 4
    for kind in ("job_seeker_priority", "employer_priority", "recommendations", "candidates"):
        assert f'id="{kind}-none"' in html
    # Each says what its lists follow meanwhile.
    assert "le plus long sans contact d'abord" in text(html.split('id="recommendations-none"', 1)[0])
    assert "« même métier dans le rayon de mobilité, le plus proche d'abord »" in text(
        html.split('id="recommendations-none"', 1)[1].split("</p>", 1)[0])
    assert "« même métier, le plus proche d'abord »" in text(html.split('id="candidates-none"', 1)[1].split("</p>", 1)[0])
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


# --------------------------------------------------------------------------- what to propose, candidates


def test_list_models_against_their_baselines(client: FlaskClient) -> None:
    recommendations = list_report((0.356, 0.530), (0.178, 0.370), item_knn={
        "ndcg@10": iv(0.219, 0.208, 0.233), "recall@10": iv(0.352, 0.334, 0.372), "coverage": 0.94, "gini": 0.87})
    candidates = {**list_report((0.636, 0.871), (0.513, 0.783)),
                  "larger_pools": {**list_report((0.533, 0.790), (0.355, 0.642)), "min_pool": 11,
                                   "rows": {"groups_with_relevant": 74}}}
    f.make_model_version(kind=ModelKind.RECOMMENDATIONS, version="rec-2026-12", row_count=52000,
                         metrics={"evaluation": {"recommendations": recommendations}})
    f.make_model_version(kind=ModelKind.CANDIDATES, version="cand-old", status=ModelStatus.RETIRED,
                         trained_at=datetime(2026, 9, 1), metrics={"evaluation": {"candidates": list_report(
                             (0.600, 0.834), (0.513, 0.783))}})
    f.make_model_version(kind=ModelKind.CANDIDATES, version="cand-2026-12", trained_at=datetime(2026, 12, 1),
                         metrics={"evaluation": {"candidates": candidates}})
    html = page(client, f.make_user(role=Role.ADMIN, agency=None))

    proposals = html.split('id="recommendations-evaluation"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-ranking="(\w+)">', proposals)
    assert rows == ["model", "same_rome_nearest", "item_knn"]
    assert "0,3560 [0,3060 ; 0,4060]" in text(proposals) and "Propositions voisines (item-kNN)" in proposals
    assert proposals.count("<meter") == 6  # a bar per figure, to compare at a glance
    lift = text(html.split('data-lift="recommendations-evaluation"', 1)[1].split("</p>", 1)[0])
    assert "+62,6 % en NDCG@10" in lift and "+43,2 % en rappel@10" in lift  # over item-kNN, over the rule
    assert "Évalué sur 124 demandeurs d'emploi" in text(html)
    window = text(html.split('id="recommendations-current"', 1)[1].split("</dl>", 1)[0])
    assert "évaluation 21/09/2026 → 19/11/2026" in window  # [D, D + 60 days)

    section = html.split('id="model-candidates"', 1)[1].split("</section>", 1)[0]
    assert "cand-2026-12" in section.split('id="candidates-current"', 1)[1].split("</dl>", 1)[0]
    assert "Même métier, le plus proche d'abord" in section
    lifts = text(section.split('data-lift="candidates-evaluation"', 1)[1].split("</p>", 1)[0])
    assert "+24,0 % en NDCG@10" in lifts and "+11,2 % en rappel@10" in lifts
    larger = text(section.split('id="candidates-larger-pools"', 1)[1].split("</table>", 1)[0])
    assert "74 offres d'au moins 11 candidats possibles" in larger and "0,7900" in larger
    assert "+23,1 % en rappel@10" in text(section.split('data-lift="candidates-larger-pools"', 1)[1].split("</p>", 1)[0])
    history = section.split('id="candidates-history"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'data-version="([\w-]+)"', history) == ["cand-2026-12", "cand-old"]
    assert "0,834" in history and "0,871" in history  # recall@10 of each version
    # The priority models' drift does not apply to these lists.
    assert "Dérive des données" not in section and "Dérive des données" not in html.split(
        'id="model-recommendations"', 1)[1].split("</section>", 1)[0]


@pytest.fixture()
def proposed(db_session: Any) -> dict[str, Any]:
    """The published recommendations model stored 3 rows for a person of agency A and 1 for one of
    agency B; its candidates model 2 rows for an offer. Feedback in the last 30 days: A: « Pas
    pertinent » twice on the version (too_far, not_now), once on no version (the rules); B: once
    (too_far); one discard of a candidate. Left out: a « Pas pertinent » 40 days old."""
    from crm.extensions import db
    from crm.modelregistry.models import StoredCandidate, StoredRecommendation

    agency_a, agency_b = f.make_agency(name="Agence A"), f.make_agency(name="Agence B")
    a = f.make_user(role=Role.COUNSELOR, agency=agency_a)
    b = f.make_user(role=Role.COUNSELOR, agency=agency_b)
    version = f.make_model_version(kind=ModelKind.RECOMMENDATIONS, version="rec",
                                   metrics={"evaluation": {"recommendations": list_report((0.3, 0.5), (0.2, 0.4))}})
    candidates = f.make_model_version(kind=ModelKind.CANDIDATES, version="cand", metrics={})
    person_a, person_b = f.make_job_seeker(referent=a), f.make_job_seeker(referent=b)
    offer = f.make_offer()
    stored = [StoredRecommendation(model_version_id=version.id, computed_on=date(2026, 11, 20), job_seeker_id=person.id,
                                   rank=rank, item_kind="offer", offer_id=offer.id, score=0.5)
              for person, rank in ((person_a, 1), (person_a, 2), (person_a, 3), (person_b, 1))]
    stored += [StoredCandidate(model_version_id=candidates.id, computed_on=date(2026, 11, 20), offer_id=offer.id,
                               job_seeker_id=person.id, rank=rank, score=0.5)
               for person, rank in ((person_a, 1), (person_b, 2))]
    db.session.add_all(stored)
    db.session.flush()
    says = dict(context=FeedbackContext.RECOMMENDATION, action=FeedbackAction.NOT_RELEVANT)
    feedback(a, version=version, reason="too_far", **says)
    feedback(a, version=version, reason="not_now", **says)
    feedback(a, reason="too_far", **says)
    feedback(b, version=version, reason="too_far", **says)
    feedback(a, version=version, reason="too_far", days_ago=40, **says)
    feedback(a, version=candidates, reason="unavailable", context=FeedbackContext.CANDIDATE,
             action=FeedbackAction.DISCARD)
    return {"agency_a": agency_a, "version": version, "candidates": candidates}


def test_list_feedback_counted_by_hand(proposed: dict[str, Any]) -> None:
    since = utcnow() - timedelta(days=30)
    rate = queries.list_feedback(proposed["version"], since=since)
    assert (rate.count, rate.rows) == (3, 4) and rate.by_reason == [("too_far", 2), ("not_now", 1)]
    mine = queries.list_feedback(proposed["version"], since=since, agency_id=proposed["agency_a"].id, restrict=True)
    assert (mine.count, mine.rows) == (2, 3)
    discards = queries.list_feedback(proposed["candidates"], since=since)
    assert (discards.count, discards.rows) == (1, 2) and discards.by_reason == [("unavailable", 1)]


def test_list_feedback_on_the_page(client: FlaskClient, proposed: dict[str, Any]) -> None:
    html = page(client, f.make_user(role=Role.DIRECTOR, agency=proposed["agency_a"]))
    section = html.split('id="model-recommendations"', 1)[1].split("</section>", 1)[0]
    assert "Propositions jugées non pertinentes par les conseillers" in section
    overrides = text(section.split('id="recommendations-overrides"', 1)[1].split("</p>", 1)[0])
    assert "2 retours pour 3 lignes" in overrides and "66,7 %" in overrides
    assert "Trop loin ou pas accessible" in section and "Pas le bon moment" in section
    candidates = html.split('id="model-candidates"', 1)[1].split("</section>", 1)[0]
    assert "Candidats écartés par les conseillers" in candidates and "Pas disponible" in candidates
    # Every version's « Pas pertinent » of the agency, the rules' included, with the reasons' labels.
    rest = text(html.split('id="not-relevant"', 1)[1])
    assert "3 recommandations marquées" in rest and "Trop loin ou pas accessible" in rest


@pytest.mark.parametrize("metrics", [
    {},
    None,
    {"evaluation": {"recommendations": "?", "candidates": []}},
    {"evaluation": {"recommendations": {"model": {"ndcg@10": 3, "recall@10": {"value": "a"}}, "baselines": [],
                                        "window": {"evaluate_on": "x", "window_days": "soixante"}},
                    "candidates": {"model": {"coverage": "a"}, "baselines": {"same_rome_nearest": None},
                                   "larger_pools": {"model": None, "min_pool": "11"}, "rows": 5}}},
    {"evaluation": {"candidates": {"model": {"ndcg@10": {"value": "0,5"}},
                                   "baselines": {"same_rome_nearest": {"ndcg@10": {"value": 0.0}}},
                                   "larger_pools": {"model": {}, "baselines": {}, "rows": {"groups_with_relevant": 3}}}}},
])
def test_malformed_list_metrics_never_break_the_page(client: FlaskClient, metrics: Any) -> None:
    for kind in (ModelKind.RECOMMENDATIONS, ModelKind.CANDIDATES):
        f.make_model_version(kind=kind, version=kind.value, metrics=metrics if metrics is None else dict(metrics))
    html = page(client, f.make_user(role=Role.ADMIN, agency=None))
    assert 'data-version="recommendations"' in html and 'data-version="candidates"' in html


def test_list_readers_ignore_non_finite_numbers() -> None:
    # As for the priority models: NaN and infinity (SQLite's JSON) are unknown.
    evaluation = queries.read_list_evaluation({
        "model": {"ndcg@10": {"value": float("nan")}, "recall@10": {"value": 0.9}, "gini": float("inf")},
        "baselines": {"same_rome_nearest": {"ndcg@10": {"value": 0.5}, "recall@10": {"value": 0.0}}},
        "lift_vs_best_baseline": {"relative": float("nan")}, "recall_lift_vs_best_baseline": {"relative": float("inf")}})
    assert evaluation is not None and evaluation.rows[0].metrics["ndcg@10"] is None and evaluation.rows[0].gini is None
    assert evaluation.lifts["ndcg@10"] is None and evaluation.lifts["recall@10"] is None
    assert evaluation.larger_pools is None
