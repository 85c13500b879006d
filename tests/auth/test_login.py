from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from crm.enums import Modality
from crm.extensions import db
from crm.organisation.models import LoginAttempt, Role, User
from tests.factories import make_agency, make_job_seeker, make_team, make_user

PASSWORD = "Correct-horse-42"

# A text only the role's home page shows.
ROLE_CONTENT = {
    Role.COUNSELOR: "demandeurs d'emploi dans mon portefeuille",
    Role.EMPLOYER_COUNSELOR: "entreprises dans mon portefeuille",
    Role.BENEFITS_COUNSELOR: "demandeurs d'emploi suivis en indemnisation",
    Role.PSYCHOLOGIST: "rendez-vous prévus sur 7 jours",
    Role.TEAM_MANAGER: "Portefeuille de l'équipe",
    Role.DIRECTOR: "Mon agence : Agence de Lille",
    Role.ADMIN: "Comptes par fonction",
}


def login(client: FlaskClient, email: str, password: str = PASSWORD, next_url: str | None = None):
    data = {"email": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


def logged_in_user_id(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def test_login_page_is_in_french(client: FlaskClient) -> None:
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert "Adresse électronique" in html and "Mot de passe" in html and "Se connecter" in html


@pytest.mark.parametrize("role", list(Role))
def test_login_succeeds_for_each_role_and_home_shows_its_content(client: FlaskClient, role: Role) -> None:
    agency = make_agency(name="Agence de Lille")
    team = make_team(agency, name="Équipe Nord")
    user = make_user(role=role, team=team, password=PASSWORD, email=f"{role.value}@proxima.test",
                     first_name="Dominique")
    make_job_seeker(agency=agency, referent=user, modality=Modality.RENFORCE)

    response = login(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert logged_in_user_id(client) == str(user.id)

    home = client.get("/")
    html = home.get_data(as_text=True)
    assert home.status_code == 200
    assert "Bonjour Dominique" in html
    assert ROLE_CONTENT[role] in html
    attempt = db.session.scalars(sa.select(LoginAttempt).where(LoginAttempt.email == user.email)).one()
    assert attempt.succeeded is True
    assert db.session.get(User, user.id).last_login_at is not None


def test_email_is_case_insensitive(client: FlaskClient) -> None:
    user = make_user(password=PASSWORD, email="camille.durand@proxima.test")
    assert login(client, "  Camille.Durand@PROXIMA.test ").status_code == 302
    assert logged_in_user_id(client) == str(user.id)


def test_wrong_password_shows_a_generic_message_and_opens_no_session(client: FlaskClient) -> None:
    user = make_user(password=PASSWORD)
    response = login(client, user.email, "Wrong-password-1")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Identifiant ou mot de passe incorrect." in html
    assert logged_in_user_id(client) is None
    attempt = db.session.scalars(sa.select(LoginAttempt).where(LoginAttempt.email == user.email)).one()
    assert attempt.succeeded is False
    assert db.session.get(User, user.id).failed_logins == 1


def test_unknown_email_gets_the_same_message(client: FlaskClient) -> None:
    response = login(client, "nobody@proxima.test")
    assert response.status_code == 422
    assert "Identifiant ou mot de passe incorrect." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)
                             .where(LoginAttempt.email == "nobody@proxima.test")) == 1


def test_missing_fields_are_shown_as_field_errors(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Saisissez votre adresse électronique." in html
    assert "Saisissez votre mot de passe." in html
    assert 'aria-invalid="true"' in html


def test_inactive_account_is_refused(client: FlaskClient) -> None:
    user = make_user(password=PASSWORD, active=False)
    response = login(client, user.email)
    assert response.status_code == 422
    assert "Ce compte est désactivé" in response.get_data(as_text=True)
    assert logged_in_user_id(client) is None


def test_account_deactivated_during_a_session_is_logged_out(client: FlaskClient) -> None:
    user = make_user(password=PASSWORD)
    login(client, user.email)
    user.is_active_account = False
    db.session.flush()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_anonymous_is_sent_to_login_with_next(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2F"
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Connectez-vous pour accéder à cette page." in page
    assert 'name="next" type="hidden" value="/"' in page


def test_login_follows_a_local_next(client: FlaskClient) -> None:
    user = make_user(password=PASSWORD)
    response = login(client, user.email, next_url="/?tab=taches")
    assert response.headers["Location"] == "/?tab=taches"


@pytest.mark.parametrize("target", [
    "https://evil.example", "//evil.example/path", "/\\evil.example", "javascript:alert(1)", "http:/evil.example",
])
def test_login_ignores_an_external_next(client: FlaskClient, target: str) -> None:
    user = make_user(password=PASSWORD)
    response = login(client, user.email, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_page_drops_an_external_next_from_the_query(client: FlaskClient) -> None:
    html = client.get("/login?next=https://evil.example").get_data(as_text=True)
    assert '<input id="next" name="next" type="hidden" value="">' in html


def test_logged_in_user_visiting_login_goes_home(client: FlaskClient) -> None:
    user = make_user(password=PASSWORD)
    login(client, user.email)
    response = client.get("/login")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_logout_requires_post(client: FlaskClient) -> None:
    user = make_user(password=PASSWORD)
    login(client, user.email)
    assert client.get("/logout").status_code == 405
    assert logged_in_user_id(client) == str(user.id)

    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert logged_in_user_id(client) is None
    assert "Vous êtes déconnecté." in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_demo_accounts_hint_only_in_development_and_when_they_exist(app: Flask, client: FlaskClient,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert "Comptes de démonstration" not in client.get("/login").get_data(as_text=True)
    make_user(role=Role.COUNSELOR, email="conseiller@proxima.demo")
    assert "Comptes de démonstration" not in client.get("/login").get_data(as_text=True)  # test environment

    monkeypatch.setitem(app.config, "PROXIMA_ENV", "development")
    html = client.get("/login").get_data(as_text=True)
    assert "Comptes de démonstration" in html
    assert "conseiller@proxima.demo" in html and "Conseiller emploi" in html
