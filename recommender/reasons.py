"""Why someone is on a priority list: short French sentences built from a code and parameters.

A :class:`Reason` is data (``code`` + JSON-serialisable ``params``); its French text comes from
``TEMPLATES``. The application stores reasons as ``{"code", "params", "text"}`` (``to_dict``)
and can translate the text again from the code and params. The templates are marked with the
no-op ``N_`` so that message extraction (Babel, keyword ``N_``) finds them; the msgids are the
French texts, as everywhere in Proxima.

French plural rule (gettext ``plural=(n > 1)``): 0 and 1 take the singular, hence the
``SINGULAR`` templates, used when the parameter they name is at most 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


# Marks a message for extraction without translating it.
N_ = lambda s: s  # noqa: E731


# Modality codes (crm.enums.Modality) as written in the texts.
MODALITY_LABELS: dict[str, str] = {
    "suivi": N_("suivi"),
    "guide": N_("guidé"),
    "renforce": N_("renforcé"),
    "global": N_("global"),
    "aij": N_("AIJ"),
}

TEMPLATES: dict[str, str] = {
    # Job seekers: urgency rules (recommender/urgency.py).
    "rights_ending": N_("Fin de droits dans %(days)d jours"),
    "rights_ending_today": N_("Fin de droits aujourd'hui"),
    "situation_interview_missing": N_("Entretien de situation non réalisé"),
    "review_overdue": N_("Point des 6-9 mois en retard"),
    "no_contact": N_("Aucun contact depuis %(days)d jours (modalité %(modality)s : %(interval)d jours)"),
    "missed_appointment": N_("Rendez-vous manqué il y a %(days)d jours"),
    "missed_appointment_today": N_("Rendez-vous manqué aujourd'hui"),
    "referral_no_show": N_("Absent chez le partenaire il y a %(days)d jours"),
    "referral_no_show_today": N_("Absent chez le partenaire aujourd'hui"),
    # Job seekers: model and opportunities (recommender/priority.py).
    "contact_gain_strong": N_("Un contact maintenant augmente nettement ses chances (estimation)"),
    "contact_gain": N_("Un contact maintenant peut l'aider (estimation)"),
    "new_offers": N_("%(count)d nouvelles offres %(rome)s à moins de %(km)d km"),
    "new_offers_nearby": N_("%(count)d nouvelles offres %(rome)s à proximité"),
    "exploration": N_("Sélection aléatoire (exploration)"),
    # Employers (recommender/employers.py).
    "hiring_potential": N_("Potentiel d'embauche élevé : environ %(hires)d recrutements attendus sur 6 mois"),
    "ageing_offers": N_("%(count)d offres non pourvues depuis plus de %(days)d jours"),
    "employer_no_contact": N_("Aucun contact depuis %(days)d jours"),
    "employer_never_contacted": N_("Aucun contact enregistré avec cet employeur"),
    "recent_hires": N_("%(count)d recrutements sur les 6 derniers mois"),
}

# code -> (parameter deciding the form, singular text used when that parameter is <= 1).
SINGULAR: dict[str, tuple[str, str]] = {
    "rights_ending": ("days", N_("Fin de droits dans %(days)d jour")),
    "no_contact": ("days", N_("Aucun contact depuis %(days)d jour (modalité %(modality)s : %(interval)d jours)")),
    "missed_appointment": ("days", N_("Rendez-vous manqué il y a %(days)d jour")),
    "referral_no_show": ("days", N_("Absent chez le partenaire il y a %(days)d jour")),
    "new_offers": ("count", N_("%(count)d nouvelle offre %(rome)s à moins de %(km)d km")),
    "new_offers_nearby": ("count", N_("%(count)d nouvelle offre %(rome)s à proximité")),
    "hiring_potential": ("hires", N_("Potentiel d'embauche élevé : environ %(hires)d recrutement attendu sur 6 mois")),
    "ageing_offers": ("count", N_("%(count)d offre non pourvue depuis plus de %(days)d jours")),
    "employer_no_contact": ("days", N_("Aucun contact depuis %(days)d jour")),
    "recent_hires": ("count", N_("%(count)d recrutement sur les 6 derniers mois")),
}


def template_for(code: str, params: Mapping[str, Any]) -> str:
    """The French format string for ``code`` given its parameters (singular or plural form)."""
    singular = SINGULAR.get(code)
    if singular is not None and params.get(singular[0], 2) <= 1:
        return singular[1]
    return TEMPLATES[code]


def _display(params: Mapping[str, Any]) -> dict[str, Any]:
    shown = dict(params)
    if "modality" in shown:
        shown["modality"] = MODALITY_LABELS.get(shown["modality"], shown["modality"])
    return shown


@dataclass(frozen=True)
class Reason:
    """One reason: a code of ``TEMPLATES`` and its parameters (ints, floats or strings only)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The French sentence."""
        return template_for(self.code, self.params) % _display(self.params)

    def __str__(self) -> str:
        return self.text

    def __hash__(self) -> int:  # params is a dict: hash its items
        return hash((self.code, tuple(sorted(self.params.items()))))

    def to_dict(self) -> dict[str, Any]:
        """The stored form: ``{"code", "params", "text"}`` (JSON-serialisable)."""
        return {"code": self.code, "params": dict(self.params), "text": self.text}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        """Back from the stored form (the text is recomputed, not trusted)."""
        return cls(str(data["code"]), dict(data.get("params") or {}))
