"""Showing why someone is on a priority list: the stored reasons, in the user's language.

The nightly batch stores ``PriorityScore.reasons`` as a list of
``{"code", "params", "text"}`` (most important first), built by ``recommender.reasons``.
A known code is rendered again from its template, translated (``gettext(template) %
params``), so an English session reads English; an unknown code (a newer batch, an
older catalogue) falls back to the stored French ``text``. A reason never breaks the
page: bad parameters fall back to the stored text too.

Some reasons call for action before a date (rights ending, a missed appointment…):
they are *urgent*, shown with an icon and a label, never by colour alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import get_translations

from crm.jobseekers.alerts import Alert

# Codes of recommender/reasons.py (and of the file's alerts, for the fallback list)
# that have a deadline or a missed event behind them.
URGENT_CODES = frozenset({
    # the deadline rules of recommender/urgency.py (first in the list whatever the gain); the
    # overdue follow-up (entretien de situation, 6–9 month review, contact interval) is shown
    # as a plain reason
    "rights_ending", "rights_ending_today", "missed_appointment", "missed_appointment_today",
    "referral_no_show", "referral_no_show_today",
    # employers: offers unfilled past the 15-day mark (seed 001)
    "ageing_offers",
    # alerts of crm.jobseekers.alerts (fallback list)
    "benefits_ending",
})
# The exploration reason is shown as the row's « Sélection aléatoire » marker instead.
MARKER_CODES = frozenset({"exploration"})


@dataclass(frozen=True)
class ReasonView:
    code: str
    text: str
    urgent: bool = False
    explanation: str | None = None  # shown on hover (the fallback's alert rules)


def _catalogue() -> Any:
    """``recommender.reasons``, or ``None`` while it is not installed (the stored texts are shown)."""
    try:
        from recommender import reasons
    except ImportError:  # pragma: no cover - the module ships with the recommender
        return None
    return reasons


def _template(module: Any, code: str, params: Mapping[str, Any]) -> str | None:
    templates = getattr(module, "TEMPLATES", {})
    if code not in templates:
        return None
    template_for = getattr(module, "template_for", None)
    return template_for(code, params) if template_for is not None else templates[code]


def _translated_params(module: Any, params: Mapping[str, Any], translations: Any) -> dict[str, Any]:
    shown = dict(params)
    labels = getattr(module, "MODALITY_LABELS", {})
    code = shown.get("modality")
    if isinstance(code, str) and code in labels:
        label = labels[code]
        shown["modality"] = translations.gettext(label)
    return shown


def reason_text(reason: Mapping[str, Any], module: Any = None, translations: Any = None) -> str:
    """One stored reason as text in the user's language (the stored text when the code is unknown)."""
    module = module if module is not None else _catalogue()
    translations = translations if translations is not None else get_translations()
    code = str(reason.get("code") or "")
    params = reason.get("params") or {}
    stored = str(reason.get("text") or code)
    if module is None or not isinstance(params, Mapping):
        return stored
    try:
        template = _template(module, code, params)
        if template is None:
            return stored
        return translations.gettext(template) % _translated_params(module, params, translations)
    except (KeyError, TypeError, ValueError):
        return stored


def has_urgent(reasons: Any) -> bool:
    """Whether stored reasons (JSON) include an urgent one, without rendering their texts."""
    return isinstance(reasons, list) and any(
        isinstance(reason, Mapping) and reason.get("code") in URGENT_CODES for reason in reasons)


def stored_reasons(reasons: Any) -> list[ReasonView]:
    """The reasons of a ``PriorityScore`` (JSON), ready to show, urgent ones flagged."""
    if not isinstance(reasons, list):
        return []
    module = _catalogue()
    translations = get_translations()  # once: Flask-Babel looks it up on every gettext call
    shown = []
    for reason in reasons:
        if isinstance(reason, str):  # a bare text
            reason = {"code": "", "text": reason}
        if not isinstance(reason, Mapping) or reason.get("code") in MARKER_CODES:
            continue
        code = str(reason.get("code") or "")
        shown.append(ReasonView(code=code, text=reason_text(reason, module, translations),
                                urgent=code in URGENT_CODES))
    return shown


def alert_reasons(alerts: Iterable[Alert]) -> list[ReasonView]:
    """The file's alerts as reasons (the list shown while no scores are published)."""
    return [ReasonView(code=a.code, text=str(a.label), urgent=a.code in URGENT_CODES, explanation=str(a.explanation))
            for a in alerts]
