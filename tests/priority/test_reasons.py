"""Reasons as shown: a known code rendered again from the recommender's template (so it
is translated), an unknown one or bad parameters falling back to the stored text."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale

from crm.jobseekers.alerts import NO_RECENT_CONTACT, Alert
from crm.priority import reasons
from crm.priority.reasons import alert_reasons, has_urgent, reason_text, stored_reasons
from tests.web.test_i18n import compiled_english  # noqa: F401  (a fixture: compiles the catalogue when stale)

RIGHTS = {"code": "rights_ending", "params": {"days": 12}, "text": "Fin de droits dans 12 jours"}
NO_CONTACT = {"code": "no_contact", "params": {"days": 95, "modality": "guide", "interval": 60},
              "text": "Aucun contact depuis 95 jours (modalité guidé : 60 jours)"}


@pytest.fixture()
def request_context(app: Flask) -> Any:
    with app.test_request_context():
        yield


def test_known_code_is_rendered_from_its_template(request_context: None) -> None:
    shown = stored_reasons([RIGHTS, {**NO_CONTACT, "text": "stale stored text"}])
    assert [r.text for r in shown] == ["Fin de droits dans 12 jours",
                                       "Aucun contact depuis 95 jours (modalité guidé : 60 jours)"]
    assert [r.urgent for r in shown] == [True, False]
    assert reason_text({"code": "rights_ending", "params": {"days": 1}, "text": ""}) == "Fin de droits dans 1 jour"


def test_unknown_code_or_bad_params_fall_back_to_the_stored_text(request_context: None) -> None:
    assert reason_text({"code": "brand_new", "params": {}, "text": "Texte stocké"}) == "Texte stocké"
    assert reason_text({"code": "rights_ending", "params": {}, "text": "Sans paramètre"}) == "Sans paramètre"
    assert reason_text({"code": "rights_ending", "params": {"days": "x"}, "text": "Mauvais type"}) == "Mauvais type"
    assert reason_text({"code": "rights_ending", "params": "nope", "text": "Pas un objet"}) == "Pas un objet"
    assert [r.text for r in stored_reasons(["Un texte nu", 3, None])] == ["Un texte nu"]
    assert stored_reasons(None) == [] and stored_reasons({"code": "x"}) == []


def test_exploration_is_a_marker_not_a_chip(request_context: None) -> None:
    shown = stored_reasons([{"code": "exploration", "params": {}, "text": "Sélection aléatoire (exploration)"}, RIGHTS])
    assert [r.code for r in shown] == ["rights_ending"]


def test_urgency_read_from_the_codes() -> None:
    assert has_urgent([NO_CONTACT, RIGHTS]) and not has_urgent([NO_CONTACT]) and not has_urgent("x")


def test_rendered_in_english(request_context: None, compiled_english: None) -> None:
    with force_locale("en"):
        assert [r.text for r in stored_reasons([RIGHTS, NO_CONTACT])] == [
            "Benefits end in 12 days", "No contact for 95 days (guided follow-up: 60 days)"]


def test_a_stub_catalogue_when_the_recommender_changes(request_context: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # The interface ``crm.priority`` relies on: TEMPLATES (code -> French format string);
    # ``template_for`` and ``MODALITY_LABELS`` are optional.
    stub = SimpleNamespace(TEMPLATES={"offers_nearby": "%(count)d offres près de chez lui"})
    monkeypatch.setattr(reasons, "_catalogue", lambda: stub)
    shown = stored_reasons([{"code": "offers_nearby", "params": {"count": 4}, "text": "ancien"}, RIGHTS])
    assert [r.text for r in shown] == ["4 offres près de chez lui", "Fin de droits dans 12 jours"]
    monkeypatch.setattr(reasons, "_catalogue", lambda: None)
    assert stored_reasons([RIGHTS])[0].text == "Fin de droits dans 12 jours"  # the stored text


def test_alerts_as_reasons(request_context: None) -> None:
    from datetime import date

    alert = Alert(code=NO_RECENT_CONTACT.code, label=NO_RECENT_CONTACT.label,
                  explanation=NO_RECENT_CONTACT.explanation, since=date(2026, 1, 1))
    [shown] = alert_reasons([alert])
    assert shown.text == "Pas de contact récent" and shown.explanation and not shown.urgent
