"""Managing tokens: the user's page (secret shown once, only the hash stored, revoke),
the administrators' page and the ``flask tokens`` commands."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa

from crm.extensions import db
from crm.organisation.models import ApiToken, Role
from tests import factories as f
from tests.api.conftest import bearer


def _login(client, user) -> None:
    user.password_hash = f.password_hash("Correct-horse-9")
    db.session.flush()
    assert client.post("/login", data={"email": user.email, "password": "Correct-horse-9"}).status_code == 302


def test_user_creates_a_token_shown_once_and_stored_hashed(client, db_session):
    user = f.make_user(role=Role.COUNSELOR)
    _login(client, user)
    page = client.get("/compte/jetons")
    assert page.status_code == 200 and "Jetons d'API" in page.text
    created = client.post("/compte/jetons", data={"name": "Tableur"})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    secret = re.search(r"prx_[0-9a-f]{8}_[A-Za-z0-9_-]+", created.text).group(0)
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest() and token.name == "Tableur"
    again = client.get("/compte/jetons")
    assert secret not in again.text and f"prx_{token.prefix}_" in again.text
    assert client.get("/api/v1/me", headers=bearer(secret)).json["id"] == user.id
    assert client.post("/compte/jetons", data={"name": ""}).status_code == 422


def test_user_revokes_own_token_only(client, db_session):
    from crm.api.tokens import create_token

    user = f.make_user(role=Role.COUNSELOR)
    other = f.make_user(role=Role.COUNSELOR)
    token, secret = create_token(author=user, user=user, name="mine")
    foreign, _ = create_token(author=other, user=other, name="theirs")
    _login(client, user)
    assert client.post(f"/compte/jetons/{foreign.id}/revocation").status_code == 404
    assert foreign.revoked_at is None
    assert client.post(f"/compte/jetons/{token.id}/revocation").status_code == 303
    assert token.revoked_at is not None
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_admin_lists_and_revokes_tokens(client, db_session):
    from crm.api.tokens import create_token

    user = f.make_user(role=Role.COUNSELOR, last_name="Porteur")
    token, _ = create_token(author=user, user=user, name="script")
    admin = f.make_user(role=Role.ADMIN, agency=None)
    _login(client, admin)
    page = client.get("/admin/jetons")
    assert page.status_code == 200 and "Porteur" in page.text and f"prx_{token.prefix}_" in page.text
    assert client.post(f"/admin/jetons/{token.id}/revocation").status_code == 303
    assert token.revoked_at is not None


def test_admin_page_is_for_admins(client, db_session):
    _login(client, f.make_user(role=Role.DIRECTOR))
    assert client.get("/admin/jetons").status_code == 403


def test_cli_creates_lists_and_revokes(runner, client, db_session):
    user = f.make_user(role=Role.COUNSELOR)
    result = runner.invoke(args=["tokens", "create", user.email, "Batch"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert token.prefix in runner.invoke(args=["tokens", "list", user.email]).output
    assert runner.invoke(args=["tokens", "revoke", str(token.id)]).exit_code == 0
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert runner.invoke(args=["tokens", "revoke", str(token.id)]).exit_code != 0
    assert runner.invoke(args=["tokens", "create", "nobody@example.org", "X"]).exit_code != 0
