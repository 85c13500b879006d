import json

import pytest

from recommender.reasons import MODALITY_LABELS, SINGULAR, TEMPLATES, Reason

EXAMPLE_PARAMS = {"days": 12, "interval": 60, "modality": "guide", "count": 3, "rome": "M1607", "km": 20, "hires": 4,
                  "pct": 68, "accepted": 9, "proposed": 18}


@pytest.mark.parametrize(("reason", "text"), [
    (Reason("rights_ending", {"days": 12}), "Fin de droits dans 12 jours"),
    (Reason("rights_ending", {"days": 1}), "Fin de droits dans 1 jour"),
    (Reason("rights_ending_today"), "Fin de droits aujourd'hui"),
    (Reason("no_contact", {"days": 74, "modality": "guide", "interval": 60}),
     "Aucun contact depuis 74 jours (modalité guidé : 60 jours)"),
    (Reason("no_contact", {"days": 95, "modality": "renforce", "interval": 30}),
     "Aucun contact depuis 95 jours (modalité renforcé : 30 jours)"),
    (Reason("no_contact", {"days": 31, "modality": "aij", "interval": 30}),
     "Aucun contact depuis 31 jours (modalité AIJ : 30 jours)"),
    (Reason("new_offers", {"count": 3, "rome": "M1607", "km": 20}), "3 nouvelles offres M1607 à moins de 20 km"),
    (Reason("new_offers", {"count": 1, "rome": "K2204", "km": 10}), "1 nouvelle offre K2204 à moins de 10 km"),
    (Reason("contact_gain_strong"), "Un contact maintenant augmente nettement ses chances (estimation)"),
    (Reason("contact_gain"), "Un contact maintenant peut l'aider (estimation)"),
    (Reason("exploration"), "Sélection aléatoire (exploration)"),
    (Reason("situation_interview_missing"), "Entretien de situation non réalisé"),
    (Reason("review_overdue"), "Point des 6-9 mois en retard"),
    (Reason("missed_appointment", {"days": 5}), "Rendez-vous manqué il y a 5 jours"),
    (Reason("referral_no_show", {"days": 9}), "Absent chez le partenaire il y a 9 jours"),
    (Reason("hiring_potential", {"hires": 4}),
     "Potentiel d'embauche élevé : environ 4 recrutements attendus sur 6 mois"),
    (Reason("ageing_offers", {"count": 2, "days": 30}), "2 offres non pourvues depuis plus de 30 jours"),
    (Reason("ageing_offers", {"count": 1, "days": 30}), "1 offre non pourvue depuis plus de 30 jours"),
    (Reason("employer_no_contact", {"days": 120}), "Aucun contact depuis 120 jours"),
    (Reason("employer_never_contacted"), "Aucun contact enregistré avec cet employeur"),
    (Reason("recent_hires", {"count": 5}), "5 recrutements sur les 6 derniers mois"),
])
def test_texts(reason: Reason, text: str) -> None:
    assert reason.text == text
    assert str(reason) == text


def test_every_template_formats_and_singulars_match_codes() -> None:
    assert set(SINGULAR) <= set(TEMPLATES)
    for code in TEMPLATES:
        for count in (1, 2):
            params = {**EXAMPLE_PARAMS, "days": count, "count": count, "hires": count, "accepted": count}
            assert "%(" not in Reason(code, params).text
    assert set(MODALITY_LABELS) == {"suivi", "guide", "renforce", "global", "aij"}


def test_round_trip_through_json() -> None:
    reason = Reason("no_contact", {"days": 74, "modality": "guide", "interval": 60})
    stored = json.loads(json.dumps(reason.to_dict()))
    assert stored == {"code": "no_contact", "params": {"days": 74, "modality": "guide", "interval": 60},
                      "text": "Aucun contact depuis 74 jours (modalité guidé : 60 jours)"}
    assert Reason.from_dict(stored) == reason
    assert Reason.from_dict({"code": "exploration"}) == Reason("exploration")


def test_reasons_are_frozen_and_hashable() -> None:
    reason = Reason("rights_ending", {"days": 3})
    with pytest.raises(AttributeError):
        reason.code = "other"  # type: ignore[misc]
    assert len({reason, Reason("rights_ending", {"days": 3}), Reason("rights_ending", {"days": 4})}) == 2
