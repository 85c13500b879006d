"""``render``: the full page, or for an htmx request only the fragment; always Vary."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from crm.organisation.models import Role
from crm.web.rendering import render
from tests.factories import make_user
from tests.web.conftest import log_in


def test_full_page_for_a_normal_request(client: FlaskClient) -> None:
    log_in(client, make_user(role=Role.COUNSELOR))
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert "<html" in html and 'id="home"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_fragment_for_an_htmx_request(client: FlaskClient) -> None:
    log_in(client, make_user(role=Role.COUNSELOR))
    response = client.get("/", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "<nav" not in html
    assert html.lstrip().startswith('<div id="home"')
    assert "HX-Request" in response.headers["Vary"]


def test_boosted_and_history_restore_requests_get_the_full_page(client: FlaskClient) -> None:
    log_in(client, make_user(role=Role.COUNSELOR))
    boosted = client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    restore = client.get("/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    assert "<html" in restore.get_data(as_text=True)


def test_render_passes_status_and_context(app: Flask) -> None:
    with app.test_request_context("/", headers={"HX-Request": "true"}):
        response = render("errors/error.html", "errors/_error.html", status=422,
                          status_code=422, title="Titre", message="Message")
    assert response.status_code == 422
    assert response.get_data(as_text=True).lstrip().startswith('<section id="error"')


def test_page_loads_htmx_and_configures_it_without_inline_script(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert '<meta name="htmx-config"' in html and '"code": "422", "swap": true' in html
    assert "/static/vendor/htmx.min.js" in html and "/static/js/proxima.js" in html
    assert "<script>" not in html and "onclick=" not in html and "style=" not in html
