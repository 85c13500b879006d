"""The ROME picker's search: occupations and appellations, accent- and case-insensitive."""

from __future__ import annotations

from flask.testing import FlaskClient

from crm.extensions import db
from crm.referentials.models import RomeAppellation
from crm.referentials.search import fold, search_rome
from tests.factories import make_rome_occupation, make_user
from tests.web.conftest import log_in


def referential() -> None:
    make_rome_occupation("H2913", label="Soudage manuel")
    make_rome_occupation("J1501", label="Soins d'hygiène, de confort du patient")
    make_rome_occupation("I1604", label="Mécanique automobile et entretien de véhicules")
    db.session.add_all([
        RomeAppellation(ogr_code="38760", rome_code="H2913", label="Soudeur / Soudeuse à l'arc"),
        RomeAppellation(ogr_code="10820", rome_code="J1501", label="Aide-soignant / Aide-soignante"),
        RomeAppellation(ogr_code="11570", rome_code="I1604", label="Électricien / Électricienne automobile"),
    ])
    db.session.flush()


def test_fold() -> None:
    assert fold("Électricien Œuvre à l'ÉTÉ") == "electricien oeuvre a l'ete"


def test_an_appellation_word_finds_the_appellation_and_its_occupation(db_session) -> None:
    referential()
    [match] = search_rome("soudeuse")
    assert (match.rome_code, match.appellation_code, match.value) == ("H2913", "38760", "H2913:38760")
    assert match.occupation_label == "Soudage manuel"


def test_search_ignores_accents_and_case_and_needs_every_word(db_session) -> None:
    referential()
    assert [m.value for m in search_rome("ELECTRICIEN")] == ["I1604:11570"]
    assert [m.value for m in search_rome("mecanique")] == ["I1604"]
    assert [m.value for m in search_rome("hygiene confort")] == ["J1501"]
    assert search_rome("hygiène soudure") == []
    assert [m.value for m in search_rome("aide soignante")] == ["J1501:10820"]


def test_occupations_come_first_and_by_code(db_session) -> None:
    referential()
    assert [m.value for m in search_rome("soud")] == ["H2913", "H2913:38760"]
    assert [m.value for m in search_rome("H29")] == ["H2913"]
    assert [m.value for m in search_rome("j1501")] == ["J1501"]
    assert search_rome("a") == [] and search_rome("%%") == [] and search_rome("_") == []


def test_at_most_twenty_results(db_session) -> None:
    make_rome_occupation("K2204", label="Nettoyage de locaux")
    db.session.add_all([RomeAppellation(ogr_code=str(90000 + n), rome_code="K2204", label=f"Agent de nettoyage {n}")
                        for n in range(30)])
    db.session.flush()
    assert len(search_rome("nettoyage")) == 20


def test_the_endpoint_answers_json_or_an_htmx_fragment(client: FlaskClient) -> None:
    referential()
    log_in(client, make_user())
    response = client.get("/referentiels/rome?q=soudeuse")
    assert response.status_code == 200 and response.is_json
    assert response.json["results"] == [{"value": "H2913:38760", "rome_code": "H2913", "appellation_code": "38760",
                                         "label": "Soudeur / Soudeuse à l'arc", "occupation_label": "Soudage manuel"}]
    response = client.get("/referentiels/rome?q=soudeuse&name=targets&target=targets-chosen",
                          headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and html.startswith('<ul class="picker-results"')
    assert "/referentiels/rome/choix?value=H2913:38760" in html.replace("%3A", ":") and 'hx-target="#targets-chosen"' in html
    empty = client.get("/referentiels/rome?q=zzzz", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Aucun métier ne correspond" in empty
    assert client.get("/referentiels/rome?q=soud&target=<script>", headers={"HX-Request": "true"}).status_code == 400


def test_the_endpoint_needs_a_login(client: FlaskClient) -> None:
    assert client.get("/referentiels/rome?q=soudeur").status_code == 302
