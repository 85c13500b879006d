"""A small world for the API: two agencies; in agency A a counselor with a job seeker,
an employer counselor with an employer and an open offer, a training and a workshop;
the same in agency B (data the tokens of A must not see)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from crm.api.tokens import create_token
from crm.catalogue.models import CatalogueKind
from crm.modelregistry.models import ModelKind
from crm.organisation.models import Role, User
from tests import factories as f


@dataclass
class World:
    counselor: User
    colleague: User  # same agency, another portfolio: read-only on the counselor's people
    employer_counselor: User
    admin: User
    job_seeker: Any
    employer: Any
    offer: Any
    training: Any
    workshop: Any
    other_job_seeker: Any
    other_employer: Any
    other_offer: Any
    tokens: dict[str, str]
    priority_versions: tuple[Any, ...] = ()  # the published job-seeker and employer priority models


def make_world() -> World:
    agency = f.make_agency()
    team = f.make_team(agency)
    counselor = f.make_user(role=Role.COUNSELOR, team=team, first_name="Claire")
    colleague = f.make_user(role=Role.COUNSELOR, team=team)
    employer_counselor = f.make_user(role=Role.EMPLOYER_COUNSELOR, agency=agency)
    admin = f.make_user(role=Role.ADMIN, agency=None)
    f.make_rome_occupation("M1607")
    f.make_commune("75056")
    job_seeker = f.make_job_seeker(referent=counselor, external_id="DE-API-1", last_name="Durand")
    f.make_job_seeker(referent=counselor, last_name="Petit")
    f.make_benefit_right(job_seeker, start_on=date(2025, 1, 1), end_on=date(2099, 1, 1))
    f.make_interaction(job_seeker, occurred_at=datetime(2025, 6, 1, 9), author=counselor)
    employer = f.make_employer(counselor=employer_counselor, name="Boulangerie Api")
    offer = f.make_offer(employer=employer, counselor=employer_counselor)
    training = f.make_catalogue_item(kind=CatalogueKind.TRAINING, title="Formation API")
    workshop = f.make_catalogue_item(kind=CatalogueKind.WORKSHOP, title="Atelier API")
    # Published priority scores: the counselor's job seeker and the employer counselor's employer are ranked.
    versions = (f.make_model_version(kind=ModelKind.JOB_SEEKER_PRIORITY, version="api-js"),
                f.make_model_version(kind=ModelKind.EMPLOYER_PRIORITY, version="api-emp"))
    f.make_priority_score(versions[0], job_seeker=job_seeker, rank=1, score=0.9, outcome_probability=0.4,
                          uplift=0.08, reasons=[{"code": "rights_ending", "params": {"days": 12},
                                                 "text": "Fin de droits dans 12 jours"}])
    f.make_priority_score(versions[1], employer=employer, rank=1, score=0.7)
    other_agency = f.make_agency()
    other_counselor = f.make_user(role=Role.EMPLOYER_COUNSELOR, agency=other_agency)
    other_job_seeker = f.make_job_seeker(agency=other_agency, external_id="DE-API-OTHER")
    other_employer = f.make_employer(counselor=other_counselor)
    other_offer = f.make_offer(employer=other_employer, counselor=other_counselor)
    tokens = {name: create_token(author=user, user=user, name=f"test {name}")[1]
              for name, user in (("counselor", counselor), ("colleague", colleague),
                                 ("employer_counselor", employer_counselor), ("admin", admin))}
    return World(counselor=counselor, colleague=colleague, employer_counselor=employer_counselor, admin=admin,
                 job_seeker=job_seeker, employer=employer, offer=offer, training=training, workshop=workshop,
                 other_job_seeker=other_job_seeker, other_employer=other_employer, other_offer=other_offer,
                 tokens=tokens, priority_versions=versions)


@pytest.fixture()
def world(db_session: Any) -> World:
    return make_world()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Api:
    """``api.get("/me", as_="counselor")``: requests with the world's tokens."""

    def __init__(self, client: FlaskClient, world: World) -> None:
        self.client = client
        self.world = world

    def _call(self, method: str, path: str, as_: str | None, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if as_ is not None:
            headers.update(bearer(self.world.tokens[as_]))
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, as_: str | None = "counselor", **kwargs: Any) -> Any:
        return self._call("GET", path, as_, **kwargs)

    def post(self, path: str, as_: str | None = "counselor", **kwargs: Any) -> Any:
        return self._call("POST", path, as_, **kwargs)

    def patch(self, path: str, as_: str | None = "counselor", **kwargs: Any) -> Any:
        return self._call("PATCH", path, as_, **kwargs)


@pytest.fixture()
def api(client: FlaskClient, world: World) -> Api:
    return Api(client, world)
