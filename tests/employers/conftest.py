"""A small agency for the employer-relations tests: an employer counselor and their
colleague in one employer team, its team manager, the director, someone elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from crm.employers.models import Employer
from crm.organisation.models import Role, User
from tests.factories import make_agency, make_employer, make_team, make_user


@dataclass
class World:
    owner: User  # the employer's dedicated counselor
    colleague: User  # another employer counselor of the same team
    other_team: User  # an employer counselor of another team, same agency
    manager: User  # the team manager of owner and colleague
    director: User
    elsewhere: User  # an employer counselor of another agency
    admin: User
    employer: Employer


@pytest.fixture()
def world(db_session) -> World:  # type: ignore[no-untyped-def]
    agency = make_agency()
    team, team2 = make_team(agency, kind="employers"), make_team(agency, kind="employers")
    owner = make_user(role=Role.EMPLOYER_COUNSELOR, team=team, last_name="Owner")
    return World(
        owner=owner,
        colleague=make_user(role=Role.EMPLOYER_COUNSELOR, team=team, last_name="Colleague"),
        other_team=make_user(role=Role.EMPLOYER_COUNSELOR, team=team2, last_name="Other"),
        manager=make_user(role=Role.TEAM_MANAGER, team=team),
        director=make_user(role=Role.DIRECTOR, agency=agency),
        elsewhere=make_user(role=Role.EMPLOYER_COUNSELOR),
        admin=make_user(role=Role.ADMIN, agency=None),
        employer=make_employer(counselor=owner, name="Boulangerie Dupont", siret="44306184100047"),
    )
