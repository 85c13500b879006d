"""A small agency for the priority lists: a counselor with five job seekers scored by a
published model (and by a candidate and a retired one, which must be ignored), a
colleague, their team manager, an employer counselor with employers, and a counselor
of another agency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crm.enums import Modality
from crm.modelregistry.models import ModelKind, ModelStatus
from crm.organisation.models import Role, User
from tests import factories as f

PARIS = ZoneInfo("Europe/Paris")


def today() -> date:
    return datetime.now(PARIS).date()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def reason(code: str, text: str, **params: Any) -> dict[str, Any]:
    return {"code": code, "params": params, "text": text}


@dataclass
class World:
    counselor: User
    colleague: User  # same team, another portfolio
    manager: User  # the team's manager
    employer_counselor: User
    elsewhere: User  # a counselor of another agency
    version: Any  # the published job-seeker model
    people: dict[str, Any]  # by last name
    employers: dict[str, Any]
    employer_version: Any
    other_person: Any  # the colleague's
    foreign_person: Any  # another agency's
    scored_on: date


@pytest.fixture()
def world(db_session: Any) -> World:
    agency = f.make_agency()
    team = f.make_team(agency)
    counselor = f.make_user(role=Role.COUNSELOR, team=team, first_name="Claire", last_name="Référente")
    colleague = f.make_user(role=Role.COUNSELOR, team=team, last_name="Collègue")
    manager = f.make_user(role=Role.TEAM_MANAGER, team=team, last_name="Manager")
    employer_team = f.make_team(agency, kind="employers")
    employer_counselor = f.make_user(role=Role.EMPLOYER_COUNSELOR, team=employer_team, last_name="Entreprise")
    elsewhere = f.make_user(role=Role.COUNSELOR, last_name="Ailleurs")
    scored_on = today() - timedelta(days=1)

    people = {name: f.make_job_seeker(referent=counselor, last_name=name, first_name="Camille", modality=modality,
                                      external_id=f"DE-{name}")
              for name, modality in (("Zalpha", Modality.GUIDE), ("Zbravo", Modality.RENFORCE),
                                     ("Zcharlie", Modality.SUIVI), ("Zdelta", Modality.GUIDE),
                                     ("Zecho", Modality.GUIDE))}
    version = f.make_model_version(kind=ModelKind.JOB_SEEKER_PRIORITY, version="js-2026.11", as_of=scored_on)
    ranks = {"Zbravo": 1, "Zalpha": 2, "Zcharlie": 3, "Zdelta": 4}  # Zecho: registered since, not scored
    reasons = {
        "Zbravo": [reason("rights_ending", "Fin de droits dans 12 jours", days=12)],
        "Zalpha": [reason("no_contact", "Aucun contact depuis 95 jours (modalité guidé : 60 jours)",
                          days=95, modality="guide", interval=60)],
        "Zcharlie": [reason("exploration", "Sélection aléatoire (exploration)")],
        "Zdelta": [reason("mystery_code", "Un motif inconnu du catalogue")],
    }
    for name, rank in ranks.items():
        f.make_priority_score(version, job_seeker=people[name], rank=rank, score=1 - rank / 10,
                              scored_on=scored_on, reasons=reasons[name], exploration=name == "Zcharlie",
                              outcome_probability=0.3, uplift=0.05)
    # Versions that must never be read: a newer candidate and an older retired one, ranking in reverse.
    candidate = f.make_model_version(status=ModelStatus.CANDIDATE, as_of=today())
    retired = f.make_model_version(status=ModelStatus.RETIRED, as_of=scored_on - timedelta(days=30))
    for other in (candidate, retired):
        for name, rank in ranks.items():
            f.make_priority_score(other, job_seeker=people[name], rank=5 - rank, scored_on=other.as_of,
                                  reasons=[reason("contact_gain", "Ne doit pas apparaître")])

    employers = {name: f.make_employer(counselor=employer_counselor, name=name) for name in ("Zfox", "Zgolf", "Zhotel")}
    employer_version = f.make_model_version(kind=ModelKind.EMPLOYER_PRIORITY, version="emp-2026.11", as_of=scored_on)
    for rank, name in enumerate(("Zgolf", "Zhotel", "Zfox"), start=1):
        f.make_priority_score(employer_version, employer=employers[name], rank=rank, scored_on=scored_on,
                              reasons=[reason("ageing_offers", "2 offres non pourvues depuis plus de 15 jours",
                                              count=2, days=15)] if name == "Zgolf" else [])

    other_person = f.make_job_seeker(referent=colleague, last_name="Zindia")
    foreign_person = f.make_job_seeker(referent=elsewhere, last_name="Zjuliet")
    f.make_priority_score(version, job_seeker=other_person, rank=1, scored_on=scored_on)
    f.make_priority_score(version, job_seeker=foreign_person, rank=1, scored_on=scored_on)
    return World(counselor=counselor, colleague=colleague, manager=manager, employer_counselor=employer_counselor,
                 elsewhere=elsewhere, version=version, people=people, employers=employers,
                 employer_version=employer_version, other_person=other_person, foreign_person=foreign_person,
                 scored_on=scored_on)
