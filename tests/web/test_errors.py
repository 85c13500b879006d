from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crm.extensions import db
from tests.conftest import make_app


def test_404_page_is_in_french(client: FlaskClient) -> None:
    response = client.get("/nulle-part")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert '<html lang="fr">' in html
    assert "Page introuvable" in html and "Retour à l'accueil" in html
    assert "HX-Request" in response.headers["Vary"]


def test_404_for_htmx_is_a_fragment(client: FlaskClient) -> None:
    response = client.get("/nulle-part", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.get_data(as_text=True)


def test_api_404_is_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.is_json
    body = response.get_json()
    assert body["error"]["code"] == "not_found"
    assert body["error"]["message"]


def test_405_keeps_the_allow_header(client: FlaskClient) -> None:
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "Action non autorisée" in response.get_data(as_text=True)


def test_bad_language_is_a_400(client: FlaskClient) -> None:
    response = client.post("/lang", data={"lang": "xx"})
    assert response.status_code == 400
    assert "Requête invalide" in response.get_data(as_text=True)


@pytest.fixture()
def faulty_app(app: Flask, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app with routes that fail, and exceptions handled as in production."""
    faulty = make_app(database_url, tmp_path_factory.mktemp("faulty"), PROPAGATE_EXCEPTIONS=False,
                      MAX_CONTENT_LENGTH=64)

    @faulty.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    @faulty.get("/api/boom")
    def api_boom() -> str:
        raise RuntimeError("boom")

    @faulty.get("/forbidden")
    def forbidden() -> str:
        from flask import abort
        abort(403)

    @faulty.post("/upload")
    def upload() -> str:
        from flask import request
        return str(len(request.form))

    yield faulty
    with faulty.app_context():
        db.engine.dispose()


def test_500_403_413_pages(faulty_app: Flask, db_session) -> None:
    client = faulty_app.test_client()
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Erreur interne" in response.get_data(as_text=True)

    api = client.get("/api/boom")
    assert api.status_code == 500 and api.get_json()["error"]["code"] == "internal_error"

    assert "Accès refusé" in client.get("/forbidden").get_data(as_text=True)

    too_big = client.post("/upload", data={"x": "y" * 1000})
    assert too_big.status_code == 413
    assert "Envoi trop volumineux" in too_big.get_data(as_text=True)
