"""Language switch, remembered in the session and on the account; English pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from crm.extensions import db
from crm.organisation.models import Role, User
from tests.factories import make_user
from tests.web.conftest import log_in

CATALOGUE = Path(__file__).resolve().parents[2] / "crm" / "translations" / "en" / "LC_MESSAGES"


@pytest.fixture(scope="module", autouse=True)
def compiled_english() -> None:
    """``make translations`` compiles the catalogue; do it here too when it is missing or stale."""
    po, mo = CATALOGUE / "messages.po", CATALOGUE / "messages.mo"
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        with po.open("rb") as fh:
            catalog = read_po(fh, locale="en")
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=True)


def test_switch_is_remembered_in_session_and_account(client: FlaskClient) -> None:
    user = make_user(role=Role.COUNSELOR, first_name="Jeanne")
    log_in(client, user)
    assert "Mon portefeuille" in client.get("/").get_data(as_text=True)

    response = client.post("/lang", data={"lang": "en", "next": "/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert session["lang"] == "en"
    assert db.session.get(User, user.id).locale == "en"

    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "My portfolio" in html and "Hello Jeanne" in html and "Sign out" in html
    assert "Employment counselor" in html  # role label
    assert "Mon portefeuille" not in html


def test_saved_preference_applies_to_a_new_session(client: FlaskClient) -> None:
    user = make_user(role=Role.ADMIN, locale="en")
    log_in(client, user)
    html = client.get("/").get_data(as_text=True)
    assert "Accounts by role" in html and "Administrator" in html


def test_anonymous_switch_keeps_to_the_session_and_translates_login(client: FlaskClient) -> None:
    response = client.post("/lang", data={"lang": "en", "next": "/login"})
    assert response.headers["Location"] == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert "E-mail address" in html and "Password" in html and "Sign in" in html
    client.post("/lang", data={"lang": "fr"})
    assert "Adresse électronique" in client.get("/login").get_data(as_text=True)


def test_switch_ignores_an_external_next(client: FlaskClient) -> None:
    response = client.post("/lang", data={"lang": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_errors_and_json_errors_are_translated(client: FlaskClient) -> None:
    client.post("/lang", data={"lang": "en"})
    assert "Page not found" in client.get("/nowhere").get_data(as_text=True)
    assert client.get("/api/nowhere").get_json()["error"]["message"].startswith("The page you asked for")
