"""Sessions and web security: password hashing and policy, login rate limiting, session
inactivity, cookie flags, CSRF on every state-changing route, security headers, request
size limits and escaping of what users type."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from crm.auth.services import LoginLimits, WeakPassword, create_user, login_throttle
from crm.config import build_config
from crm.db import utcnow
from crm.extensions import db
from crm.organisation.models import LoginAttempt, Role
from crm.organisation.passwords import MIN_LENGTH, hash_password, password_problems, verify_password
from crm.web.security import LAST_SEEN
from tests.auth.conftest import csrf_token_from
from tests.conftest import make_app
from tests.factories import make_employer, make_interaction, make_job_seeker, make_user
from tests.web.conftest import log_in

PASSWORD = "Correct-horse-42"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


# --------------------------------------------------------------------------- passwords


def test_passwords_are_hashed_with_argon2id(db_session) -> None:
    user = create_user(email="hash@proxima.test", password=PASSWORD, role=Role.COUNSELOR, first_name="A",
                       last_name="B")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert verify_password(user.password_hash, PASSWORD) and not verify_password(user.password_hash, "nope")
    assert hash_password(PASSWORD) != user.password_hash  # salted


def test_minimum_password_policy(db_session) -> None:
    assert MIN_LENGTH >= 12
    assert "too_short" in password_problems("Court-1")
    assert "needs_mix" in password_problems("abcdefghijklmnop")
    assert "needs_mix" in password_problems("123456789012345")
    assert password_problems(PASSWORD) == []
    with pytest.raises(WeakPassword):
        create_user(email="weak@proxima.test", password="motdepasse", role=Role.COUNSELOR, first_name="A",
                    last_name="B")


# --------------------------------------------------------------------------- login rate limiting


def login(client: FlaskClient, email: str, password: str, address: str = "192.0.2.10"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def attempts(email: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt).where(LoginAttempt.email == email))


def test_an_account_is_blocked_after_five_failures_with_a_clear_message(client: FlaskClient) -> None:
    user = make_user(password=PASSWORD)
    for _ in range(5):
        assert login(client, user.email, "Wrong-password-1").status_code == 422
    # Even the right password is refused now, from any address: the account is protected.
    blocked = login(client, user.email, PASSWORD, address="198.51.100.7")
    html = blocked.get_data(as_text=True)
    assert blocked.status_code == 429
    assert "Trop de tentatives de connexion ont échoué" in html and "réessayez dans 15 minutes" in html
    assert 840 < int(blocked.headers["Retry-After"]) <= 900
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert attempts(user.email) == 5  # refused attempts are not counted: the lock does not grow

    # Once the failures are older than the window, the account opens again.
    db.session.execute(sa.update(LoginAttempt).where(LoginAttempt.email == user.email)
                       .values(at=LoginAttempt.at - timedelta(minutes=16)))
    assert login(client, user.email, PASSWORD).status_code == 302


def test_unknown_accounts_are_limited_the_same_way(client: FlaskClient) -> None:
    login(client, "nobody@proxima.test", "Wrong-password-1")
    db.session.add_all([LoginAttempt(email="nobody@proxima.test", address="192.0.2.10", at=utcnow(),
                                     succeeded=False) for _ in range(4)])
    db.session.flush()
    response = login(client, "nobody@proxima.test", "Wrong-password-1")
    assert response.status_code == 429  # the same answer as a real account: nothing to learn


def test_an_address_is_blocked_after_twenty_failures_on_any_accounts(client: FlaskClient) -> None:
    user = make_user(password=PASSWORD)
    now = utcnow()
    db.session.add_all([LoginAttempt(email=f"guess{i}@proxima.test", address="203.0.113.5",
                                     at=now - timedelta(minutes=1), succeeded=False) for i in range(20)])
    db.session.flush()
    response = login(client, user.email, PASSWORD, address="203.0.113.5")
    assert response.status_code == 429
    assert "Trop de tentatives de connexion ont échoué" in response.get_data(as_text=True)
    assert login(client, user.email, PASSWORD, address="203.0.113.6").status_code == 302


def test_a_successful_login_starts_the_account_count_again(db_session) -> None:
    now = utcnow()
    limits = LoginLimits(per_account=3, per_address=100, window=timedelta(minutes=15))
    email = "count@proxima.test"

    def add(minutes_ago: int, succeeded: bool) -> None:
        db.session.add(LoginAttempt(email=email, address="a", at=now - timedelta(minutes=minutes_ago),
                                    succeeded=succeeded))
        db.session.flush()

    add(10, False)
    add(9, False)
    add(8, True)
    add(7, False)
    add(6, False)
    assert login_throttle(email=email, address="a", now=now, limits=limits) is None
    add(5, False)
    wait = login_throttle(email=email, address="a", now=now, limits=limits)
    assert wait == 8 * 60  # the oldest failure of the three leaves the window in 8 minutes


def test_limits_come_from_the_configuration(app: Flask) -> None:
    assert app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] == 5
    assert app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] == 20
    assert app.config["LOGIN_FAILURE_WINDOW_MINUTES"] == 15


# --------------------------------------------------------------------------- sessions


def set_last_seen(client: FlaskClient, seconds_ago: int) -> None:
    with client.session_transaction() as session:
        session[LAST_SEEN] = int(time.time()) - seconds_ago


def test_a_session_expires_after_thirty_minutes_without_a_request(client: FlaskClient) -> None:
    user = make_user()
    log_in(client, user)
    set_last_seen(client, 31 * 60)
    response = client.get("/portefeuille?modality=guide")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/portefeuille?modality%3Dguide"
    with client.session_transaction() as session:
        assert "_user_id" not in session
    page = client.get("/login").get_data(as_text=True)
    assert "Votre session a expiré après 30 minutes d&#39;inactivité" in page


def test_an_expired_htmx_request_sends_the_whole_page_to_the_login(client: FlaskClient) -> None:
    log_in(client, make_user())
    set_last_seen(client, 31 * 60)
    response = client.get("/portefeuille", headers={"HX-Request": "true",
                                                    "HX-Current-URL": "http://proxima.test/portefeuille"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/login?next=/portefeuille"


def test_an_active_session_stays_open_and_is_marked(client: FlaskClient) -> None:
    log_in(client, make_user())
    set_last_seen(client, 29 * 60)
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        assert abs(session[LAST_SEEN] - time.time()) < 5


def test_the_idle_time_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "x")
    assert build_config(str(tmp_path))["SESSION_IDLE_MINUTES"] == 30
    monkeypatch.setenv("PROXIMA_SESSION_IDLE_MINUTES", "10")
    assert build_config(str(tmp_path))["SESSION_IDLE_MINUTES"] == 10


@pytest.fixture()
def production_app(app: Flask, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    prod = make_app(database_url, tmp_path_factory.mktemp("prod"), PROXIMA_ENV="production", WTF_CSRF_ENABLED=True)
    prod.config["TESTING"] = False
    yield prod
    with prod.app_context():
        db.engine.dispose()


def test_production_cookies_are_secure_http_only_and_same_site(production_app: Flask, db_session) -> None:
    client = production_app.test_client()
    response = client.get("/login")  # the CSRF token opens a session
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert production_app.config["REMEMBER_COOKIE_SECURE"] is True
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


# --------------------------------------------------------------------------- headers


def check_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_every_kind_of_response_carries_the_security_headers(client: FlaskClient) -> None:
    responses = [client.get("/login"), client.get("/"), client.get("/nulle-part"),
                 client.get("/static/js/proxima.js"), client.get("/api/v1/me"), client.get("/api/v1/openapi.json")]
    log_in(client, make_user())
    responses += [client.get("/"), client.get("/portefeuille", headers={"HX-Request": "true"}),
                  client.get("/logout")]
    assert {r.status_code for r in responses} >= {200, 302, 401, 404, 405}
    for response in responses:
        check_headers(response)
        assert "Strict-Transport-Security" not in response.headers  # production only (HTTPS)
        response.close()


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.I)


def test_templates_have_no_inline_script_handler_or_style() -> None:
    """The Content-Security-Policy would block them: code goes to crm/static/js."""
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        for pattern, what in ((INLINE_SCRIPT, "inline script"), (HANDLER, "event handler attribute"),
                              (re.compile(r"javascript:", re.I), "javascript: URL"),
                              (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
                              (re.compile(r"<style", re.I), "style element")):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- CSRF


def test_every_state_changing_route_needs_the_csrf_token(csrf_app: Flask, csrf_client: FlaskClient) -> None:
    """Pages: no token, 400 (before any other check); the token in the header htmx sends
    makes the request go through. The API is the exception: bearer tokens, no cookie."""
    admin = make_user(role=Role.ADMIN, agency=None, password=PASSWORD)
    token = csrf_token_from(csrf_client.get("/login").get_data(as_text=True))
    assert csrf_client.post("/login", data={"email": admin.email, "password": PASSWORD,
                                            "csrf_token": token}).status_code == 302
    token = csrf_token_from(csrf_client.get("/").get_data(as_text=True))  # a new session, a new token
    checked = 0
    for rule in csrf_app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            if rule.endpoint == "auth.logout":
                continue  # checked last: it would end the session
            url = rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]
            response = csrf_client.open(url, method=method, data={})
            if rule.endpoint.startswith("api."):
                assert response.status_code == 401, (method, url)  # asks for a token, not a cookie
                continue
            checked += 1
            assert response.status_code == 400, (method, url, response.status_code)
            assert "Votre session a expiré ou le formulaire" in response.get_data(as_text=True), (method, url)
            with_token = csrf_client.open(url, method=method, data={}, headers={"X-CSRFToken": token})
            assert "Votre session a expiré ou le formulaire" not in with_token.get_data(as_text=True), (method, url)
    assert checked >= 40
    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.post("/logout", headers={"X-CSRFToken": token}).status_code == 302


# --------------------------------------------------------------------------- sizes


def test_an_oversized_form_gets_a_clear_413(client: FlaskClient, app: Flask) -> None:
    log_in(client, make_user())
    assert app.config["MAX_CONTENT_LENGTH"] <= 2 * 1024 * 1024
    big = "x" * app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/lang", data={"lang": "fr", "next": big})
    assert response.status_code == 413
    assert "Envoi trop volumineux" in response.get_data(as_text=True)
    fragment = client.post("/lang", data={"lang": "fr", "next": big}, headers={"HX-Request": "true"})
    assert fragment.status_code == 413 and "<html" not in fragment.get_data(as_text=True)


def test_an_oversized_api_body_gets_a_json_413(client: FlaskClient) -> None:
    from crm.api.tokens import create_token

    user = make_user()
    person = make_job_seeker(referent=user)
    secret = create_token(author=user, user=user, name="size")[1]
    response = client.post(f"/api/v1/job-seekers/{person.id}/interactions", data="{" + " " * 70000 + "}",
                           content_type="application/json", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


# --------------------------------------------------------------------------- escaping


HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def test_what_users_type_is_rendered_escaped(client: FlaskClient) -> None:
    counselor = make_user(role=Role.COUNSELOR)
    person = make_job_seeker(referent=counselor, last_name="O'Brien<b>")
    log_in(client, counselor)
    # Typed in the notes field of the logging form, shown on the timeline (fragment and page).
    response = client.post(f"/beneficiaires/{person.id}/interactions", headers={"HX-Request": "true"}, data={
        "channel": "phone", "direction": "out", "kind": "follow_up", "outcome": "reached", "notes": HOSTILE})
    assert response.status_code == 200
    make_interaction(person, occurred_at=utcnow() - timedelta(days=1), author=counselor, notes=HOSTILE)
    make_employer(agency=counselor.agency, name=HOSTILE)
    for url, headers in ((f"/beneficiaires/{person.id}/historique", {"HX-Request": "true"}),
                         (f"/beneficiaires/{person.id}/historique", {}),
                         (f"/beneficiaires/{person.id}", {}),
                         ("/portefeuille", {})):
        html = client.get(url, headers=headers).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "O'Brien<b>" not in html, url
    timeline = client.get(f"/beneficiaires/{person.id}/historique", headers={"HX-Request": "true"})
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in timeline.get_data(as_text=True)
    assert "O&#39;Brien&lt;b&gt;" in client.get("/portefeuille").get_data(as_text=True)

