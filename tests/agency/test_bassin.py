"""The bassin d'emploi view: job seekers and open offers per occupation over the bassin's
communes, the shortage rate, related occupations and the partners present."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from crm.agency.bassin import bassin_of, bassin_view
from crm.catalogue.models import CatalogueKind, PartnerKind
from crm.enums import Modality
from crm.jobseekers.models import JobSeekerStatus, JobSeekerTarget
from crm.offers.models import OfferStatus
from crm.referentials.models import Bassin, LabourShortage, RelatedOccupation
from tests import factories as f
from tests.agency.conftest import World
from tests.web.conftest import log_in

HTMX = {"HX-Request": "true"}


@pytest.fixture()
def bassin(world: World) -> Any:
    here = f._add(Bassin(code="9999", name="Bassin de Test"))
    f._add(Bassin(code="8888", name="Ailleurs"))
    c1 = f.make_commune("99001", name="Testville", bassin_code="9999")
    c2 = f.make_commune("99002", name="Testbourg", bassin_code="9999")
    c3 = f.make_commune("88001", name="Loinville", bassin_code="8888")
    world.agency.bassin_code = "9999"
    f.make_rome_occupation("M1607", label="Secrétariat")
    f.make_rome_occupation("G1602", label="Personnel de cuisine")

    def person(commune: Any, *romes: str, agency: Any = world.agency, **fields: Any) -> Any:
        p = f.make_job_seeker(agency=agency, commune_insee=commune.insee_code, **fields)
        for rank, code in enumerate(romes, start=1):
            f._add(JobSeekerTarget(job_seeker_id=p.id, rome_code=code, rank=rank))
        return p

    person(c1, "M1607", "G1602", modality=Modality.GUIDE)
    person(c2, "M1607", agency=world.other_agency, modality=Modality.SUIVI)  # another agency, same bassin
    person(c3, "M1607")  # another bassin
    person(c1, "M1607", status=JobSeekerStatus.EXITED)
    employer_here = f.make_employer(agency=world.agency, commune_insee=c1.insee_code)
    f.make_offer(employer=employer_here, rome_code="M1607", commune_insee=c2.insee_code, positions=2)
    f.make_offer(employer=employer_here, rome_code="G1602", positions=1)  # placed at the employer's commune
    f.make_offer(employer=employer_here, rome_code="M1607", status=OfferStatus.FILLED)
    f.make_offer(employer=employer_here, rome_code="M1607", commune_insee=c3.insee_code)
    for fap, pct in (("R1Z60", 30.0), ("R2Z70", 45.0)):
        f._add(LabourShortage(rome_code="M1607", fap_code=fap, fap_label=fap, tension_pct=pct))
    f._add(LabourShortage(rome_code="G1602", fap_code="S1Z20", fap_label="Cuisiniers", tension_pct=64.0))
    f._add(RelatedOccupation(bassin_code="9999", rome_code="M1607", related_rome_code="G1602", score=0.8))
    f.make_catalogue_item(kind=CatalogueKind.PARTNER_SERVICE, title="Cap emploi de Testville",
                          partner_kind=PartnerKind.CAP_EMPLOI, commune_insee=c1.insee_code)
    f.make_catalogue_item(kind=CatalogueKind.PARTNER_SERVICE, title="Partenaire lointain", commune_insee=c3.insee_code)
    f.make_catalogue_item(kind=CatalogueKind.PARTNER_SERVICE, title="Partenaire fermé", commune_insee=c1.insee_code,
                          active=False)
    return here


def test_figures_per_occupation(world: World, bassin: Any) -> None:
    assert bassin_of(world.agency) == bassin
    view = bassin_view(bassin)
    assert (view.job_seekers, view.open_offers) == (2, 2)
    rows = {r.rome_code: r for r in view.occupations}
    assert set(rows) == {"M1607", "G1602"}
    secretary, cook = rows["M1607"], rows["G1602"]
    assert (secretary.label, secretary.job_seekers, secretary.offers, secretary.positions) == ("Secrétariat", 2, 1, 2)
    assert secretary.shortage_pct == 45.0 and secretary.positions_per_100 == 100
    assert secretary.related == [("G1602", "Personnel de cuisine")]
    assert (cook.job_seekers, cook.offers, cook.positions, cook.shortage_pct) == (1, 1, 1, 64.0)
    assert [p.title for p in view.partners] == ["Cap emploi de Testville"]
    assert [a.name for a in view.agencies] == ["Agence Alpha"]


def test_modality_filter(world: World, bassin: Any) -> None:
    view = bassin_view(bassin, modality=Modality.GUIDE)
    assert view.job_seekers == 1 and {r.rome_code: r.job_seekers for r in view.occupations} == {"M1607": 1,
                                                                                               "G1602": 1}


def test_the_agencys_commune_gives_the_bassin(world: World, bassin: Any) -> None:
    world.agency.bassin_code = None
    assert bassin_of(world.agency) is None
    world.agency.commune_insee = "99002"
    assert bassin_of(world.agency) == bassin


def test_page_and_fragment(client: FlaskClient, world: World, bassin: Any) -> None:
    log_in(client, world.director)
    html = client.get("/agence/bassin").get_data(as_text=True)
    assert "Bassin de Test" in html and "Cap emploi de Testville" in html and "Partenaire lointain" not in html
    row = html.split('data-rome="G1602"', 1)[1].split("</tr>", 1)[0]
    assert "64 %" in row and "en tension" in row
    response = client.get("/agence/bassin?modality=guide", headers=HTMX)
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="bassin-view">') and "Guidé" in fragment
    assert re.search(r'<p class="stat-value">1</p>', fragment)


def test_agency_without_bassin(client: FlaskClient, world: World) -> None:
    log_in(client, world.director)
    response = client.get("/agence/bassin")
    assert response.status_code == 200 and "aucun bassin" in response.get_data(as_text=True)
