"""CSRF protection is on outside tests: every POST needs the session's token."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.auth.conftest import csrf_token_from
from tests.factories import make_user

PASSWORD = "Correct-horse-42"


def test_login_without_token_is_refused(csrf_client: FlaskClient) -> None:
    user = make_user(password=PASSWORD)
    response = csrf_client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Votre session a expiré ou le formulaire" in response.get_data(as_text=True)


def test_login_with_token_succeeds_and_logout_needs_one_too(csrf_client: FlaskClient) -> None:
    user = make_user(password=PASSWORD)
    token = csrf_token_from(csrf_client.get("/login").get_data(as_text=True))
    response = csrf_client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302

    home = csrf_client.get("/").get_data(as_text=True)
    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.post("/lang", data={"lang": "en"}).status_code == 400
    # htmx sends the token in a header (hx-headers on <body>)
    token = csrf_token_from(home)
    assert 'hx-headers=\'{"X-CSRFToken": "' + token + '"}\'' in home
    assert csrf_client.post("/logout", headers={"X-CSRFToken": token}).status_code == 302


def test_api_paths_get_json_for_csrf_errors_too(csrf_client: FlaskClient) -> None:
    response = csrf_client.post("/api/anything")
    assert response.status_code in (400, 404)
    assert response.is_json
