"""« Santé des modèles »: the published models, their evaluation, fairness, drift and
overrides, and the publishing history — the priority lists', and what to propose and the
candidates of offers' — for directors (feedback of their agency) and admins (everything)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, format_percent
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm.modelhealth import queries
from crm.modelregistry.models import ModelKind
from crm.organisation.models import Role
from crm.priority.services import EMPLOYER_REASONS, JOB_SEEKER_REASONS
from crm.recommendations.services import DISCARD_REASONS, NOT_RELEVANT_REASONS
from crm.web.guards import roles_required
from crm.web.rendering import render
from crm.clock import current_day

bp = Blueprint("modelhealth", __name__, url_prefix="/modeles")

KIND_TITLES = {
    ModelKind.JOB_SEEKER_PRIORITY: _l("Priorités des demandeurs d'emploi"),
    ModelKind.EMPLOYER_PRIORITY: _l("Priorités des entreprises"),
    ModelKind.RECOMMENDATIONS: _l("Propositions aux demandeurs d'emploi"),
    ModelKind.CANDIDATES: _l("Candidats pour les offres"),
}
# What the lists follow while no version of the model is published.
RULES = {
    ModelKind.JOB_SEEKER_PRIORITY: _l("les listes suivent les règles (le plus long sans contact d'abord)"),
    ModelKind.EMPLOYER_PRIORITY: _l("les listes suivent les règles (le plus long sans contact d'abord)"),
    ModelKind.RECOMMENDATIONS: _l("les propositions suivent la règle « même métier dans le rayon de mobilité, "
                                  "le plus proche d'abord »"),
    ModelKind.CANDIDATES: _l("les candidats suivent la règle « même métier, le plus proche d'abord »"),
}
FEEDBACK_TITLES = {
    ModelKind.JOB_SEEKER_PRIORITY: _l("Priorités écartées ou reportées par les conseillers"),
    ModelKind.EMPLOYER_PRIORITY: _l("Priorités écartées ou reportées par les conseillers"),
    ModelKind.RECOMMENDATIONS: _l("Propositions jugées non pertinentes par les conseillers"),
    ModelKind.CANDIDATES: _l("Candidats écartés par les conseillers"),
}
RANKING_NAMES = {
    "model": _l("Modèle (la liste : échéances d'abord, puis le gain)"),
    "model_gain_only": _l("Modèle, gain seul"),
    "random": _l("Hasard"),
    "longest_without_contact": _l("Le plus long sans contact d'abord"),
    "risk_first": _l("Risque le plus élevé d'abord"),
    "last_period_hires": _l("Embauches de la période précédente"),
    "linear_regression": _l("Régression linéaire"),
    "popularity": _l("Popularité par métier et bassin"),
    "same_rome_nearest": _l("Même métier, le plus proche d'abord"),
    "item_knn": _l("Propositions voisines (item-kNN)"),
}
METRIC_NAMES = {
    "qini": _l("Qini"),
    "auuc": _l("AUUC"),
    "uplift_at_10": _l("Gain à 10 %"),
    "uplift_at_20": _l("Gain à 20 %"),
}
FAIRNESS_COLUMNS = {
    "gender": _l("Genre"),
    "age_band": _l("Tranche d'âge"),
    "nationality_group": _l("Nationalité"),
    "disability": _l("Handicap (RQTH)"),
    "qpv": _l("Quartier prioritaire (QPV)"),
}
DRIFT_LEVELS = {
    "stable": _l("Stable"),
    "moderate": _l("Dérive modérée"),
    "significant": _l("Dérive importante"),
    "unknown": _l("Non calculé"),
}
FAIRNESS_VALUES = {
    "female": _l("Femme"), "male": _l("Homme"), "french": _l("Française"), "eu": _l("Union européenne"),
    "non_eu": _l("Hors Union européenne"), "oui": _l("oui"), "non": _l("non"), "inconnu": _l("inconnu"),
}
# The reasons offered per list (None: « Pas pertinent » on the recommendations, every version alike).
REASON_LABELS: dict[ModelKind | None, dict[str, Any]] = {
    ModelKind.JOB_SEEKER_PRIORITY: JOB_SEEKER_REASONS, ModelKind.EMPLOYER_PRIORITY: EMPLOYER_REASONS,
    ModelKind.RECOMMENDATIONS: NOT_RELEVANT_REASONS, ModelKind.CANDIDATES: DISCARD_REASONS, None: NOT_RELEVANT_REASONS}


def number(value: float | None, digits: int = 3) -> str:
    """A figure in the user's language, « — » when unknown."""
    return "—" if value is None else format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""))


def points(value: float | None) -> str:
    """A difference of two rates, in percentage points."""
    return "—" if value is None else format_decimal(100 * value, format="+#,##0.0;-#,##0.0") + " pt"


def percent(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else format_percent(value, format="#,##0" + ("." + "0" * digits if digits else "") + " %")


def signed_percent(value: float | None) -> str:
    """A relative change, signed: « +24,0 % »."""
    return "—" if value is None else format_percent(value, format="+#,##0.0 %;-#,##0.0 %")


CHART_SIZE = 320
CHART_MARGIN = 44


def calibration_chart(bins: list[queries.CalibrationBin]) -> dict[str, Any] | None:
    """Predicted (x) against observed (y) per bin, both on [0, 1], with the diagonal of a
    perfectly calibrated model; drawn to scale in SVG user units."""
    if not bins:
        return None
    plot = CHART_SIZE - 2 * CHART_MARGIN

    def x(value: float) -> float:
        return round(CHART_MARGIN + plot * min(max(value, 0.0), 1.0), 1)

    def y(value: float) -> float:
        return round(CHART_SIZE - CHART_MARGIN - plot * min(max(value, 0.0), 1.0), 1)

    points = [{"x": x(b.mean_predicted), "y": y(b.observed_rate), "bin": b} for b in bins]
    ticks = [{"value": t / 4, "x": x(t / 4), "y": y(t / 4)} for t in range(5)]
    return {"size": CHART_SIZE, "x0": x(0), "x1": x(1), "y0": y(0), "y1": y(1), "points": points, "ticks": ticks,
            "line": " ".join(f"{p['x']},{p['y']}" for p in points)}


@bp.get("")
@roles_required(Role.DIRECTOR, Role.ADMIN)
def index() -> ResponseReturnValue:
    user = current_user._get_current_object()
    restrict = user.role == Role.DIRECTOR
    health = queries.model_health(now=current_day().now_utc, agency_id=user.agency_id, restrict=restrict)
    charts = {h.kind: calibration_chart(h.job_seekers.outcome.calibration)
              for h in health.kinds if h.job_seekers is not None and h.job_seekers.outcome is not None}
    return render("modelhealth/index.html", health=health, charts=charts, agency=user.agency if restrict else None,
                  kind_titles=KIND_TITLES, rules=RULES, feedback_titles=FEEDBACK_TITLES, ranking_names=RANKING_NAMES,
                  metric_names=METRIC_NAMES, fairness_columns=FAIRNESS_COLUMNS, drift_levels=DRIFT_LEVELS,
                  reason_labels=REASON_LABELS, metrics=queries.RANKING_METRICS, list_metrics=queries.LIST_METRICS,
                  list_kinds=queries.LIST_KINDS,
                  psi_moderate=queries.PSI_MODERATE, psi_significant=queries.PSI_SIGNIFICANT,
                  feedback_days=queries.FEEDBACK_DAYS, fairness_values=FAIRNESS_VALUES,
                  number=number, percent=percent, points=points, signed_percent=signed_percent)
