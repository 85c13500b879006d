"""Per-user API tokens: ``prx_<prefix>_<secret>``, shown once, stored as a SHA-256 hash.

The prefix (8 hex characters) is stored in clear so a user can tell their tokens apart
and so a request finds its candidate rows by index; the secret (256 bits) never leaves
the response that created it. Services take the acting user explicitly, ``flush()`` and
never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from crm.audit import services as audit
from crm.db import utcnow
from crm.errors import DomainError, clean_text
from crm.extensions import db
from crm.organisation.models import ApiToken, User

SCHEME = "prx"
MAX_NAME_LENGTH = 120
MAX_TOKEN_LENGTH = 200
# ``last_used_at`` is a hint for the user, not a log: refresh it at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token() -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    return prefix, f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"


def create_token(*, author: Any, user: User, name: str, now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with the full secret, which is not stored."""
    name = clean_text(name, max_length=MAX_NAME_LENGTH, code="api_token.name", field="name",
                      required=_l("Donnez un nom au jeton (l'outil qui l'utilisera)."),
                      too_long=_l("Le nom est limité à %(max)s caractères.", max=MAX_NAME_LENGTH))
    if not user.is_active_account:
        raise DomainError(_l("Ce compte est désactivé."), code="api_token.inactive_user")
    prefix, secret = _new_token()
    token = ApiToken(user_id=user.id, name=name, prefix=prefix, token_hash=hash_token(secret),
                     created_at=now or utcnow())
    db.session.add(token)
    db.session.flush()
    audit.record(user=author, action="api_token.create", entity=token, details={"user_id": user.id})
    return token, secret


def revoke_token(*, author: Any, token: ApiToken, now: datetime | None = None) -> ApiToken:
    if token.revoked_at is not None:
        raise DomainError(_l("Ce jeton est déjà révoqué."), code="api_token.revoked")
    token.revoked_at = now or utcnow()
    db.session.flush()
    audit.record(user=author, action="api_token.revoke", entity=token, details={"user_id": token.user_id})
    return token


def tokens_of(user_id: int | None = None) -> list[ApiToken]:
    """A user's tokens (everyone's when ``user_id`` is None), newest first."""
    statement = sa.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user_id is not None:
        statement = statement.where(ApiToken.user_id == user_id)
    return list(db.session.scalars(statement))


def parse_bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer prx_…`` header, or None if malformed."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > MAX_TOKEN_LENGTH:
        return None
    parts = value.split("_", 2)
    if len(parts) != 3 or parts[0] != SCHEME or len(parts[1]) != 8 or not parts[2]:
        return None
    return value


def authenticate(header: str | None, *, now: datetime | None = None) -> tuple[ApiToken, User] | None:
    """The live token and its active user for this header, or None (unknown, revoked,
    malformed, or the account is disabled). Hashes are compared in constant time."""
    value = parse_bearer(header)
    if value is None:
        return None
    prefix = value.split("_", 2)[1]
    digest = hash_token(value)
    match = None
    for candidate in db.session.scalars(sa.select(ApiToken).where(ApiToken.prefix == prefix)):
        if hmac.compare_digest(candidate.token_hash, digest):
            match = candidate
    if match is None or match.revoked_at is not None:
        return None
    user = db.session.get(User, match.user_id)
    if user is None or not user.is_active_account:
        return None
    now = now or utcnow()
    if match.last_used_at is None or now - match.last_used_at >= LAST_USED_RESOLUTION:
        match.last_used_at = now
    return match, user
