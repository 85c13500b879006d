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
    # What to propose to a job seeker (recommender/proposals.py), addressed to the person.
    "out_of_project": N_("Hors projet : à vérifier avec la personne"),
    "leads_to_target": N_("Mène à %(rome)s, votre métier cible"),
    "offer_target": N_("Sur votre métier cible (%(rome)s)"),
    "other_target": N_("Sur un de vos métiers cibles (%(rome)s)"),
    "related_occupation": N_("Métier proche de votre projet"),
    "need_match": N_("Répond à un besoin de votre plan d'action"),
    "shortage": N_("Métier en tension dans votre région (%(pct)d %%)"),
    "training_gain": N_("Des profils proches ont retrouvé un emploi après cette formation"),
    "distance": N_("%(km)d km de chez vous"),
    "same_commune": N_("Dans votre commune"),
    "beyond_mobility": N_("%(km)d km de chez vous, au-delà de votre zone de mobilité"),
    "seats_left": N_("Plus que %(count)d places"),
    "starts_in": N_("Démarre dans %(days)d jours"),
    "starts_today": N_("Démarre aujourd'hui"),
    "offer_published": N_("Offre publiée il y a %(days)d jours"),
    "offer_published_today": N_("Offre publiée aujourd'hui"),
    "peers_accepted": N_("Proposition acceptée par %(count)d personnes de votre métier et bassin (12 mois)"),
    "item_accepted": N_("Proposition acceptée par %(accepted)d personnes sur %(proposed)d (12 mois)"),
    # Candidates for an offer (recommender/proposals.py), about the person.
    "seeks_occupation": N_("Recherche le métier %(rome)s"),
    "related_candidate": N_("Métier proche (%(rome)s)"),
    "candidate_distance": N_("À %(km)d km"),
    "candidate_same_commune": N_("Dans la même commune"),
    "candidate_beyond_mobility": N_("À %(km)d km, au-delà de sa zone de mobilité"),
    "open_applications": N_("Déjà %(count)d mises en relation en cours"),
    "appointment_in": N_("Rendez-vous prévu dans %(days)d jours"),
    "appointment_today": N_("Rendez-vous prévu aujourd'hui"),
    "offer_in_progress": N_("Offre déjà proposée il y a %(days)d jours, sans refus"),
    "offer_in_progress_today": N_("Offre déjà proposée aujourd'hui, sans refus"),
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
    "seats_left": ("count", N_("Plus qu'une place")),
    "starts_in": ("days", N_("Démarre dans %(days)d jour")),
    "offer_published": ("days", N_("Offre publiée il y a %(days)d jour")),
    "peers_accepted": ("count", N_("Proposition acceptée par %(count)d personne de votre métier et bassin (12 mois)")),
    "item_accepted": ("accepted", N_("Proposition acceptée par %(accepted)d personne sur %(proposed)d (12 mois)")),
    "open_applications": ("count", N_("Déjà %(count)d mise en relation en cours")),
    "appointment_in": ("days", N_("Rendez-vous prévu dans %(days)d jour")),
    "offer_in_progress": ("days", N_("Offre déjà proposée il y a %(days)d jour, sans refus")),
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
