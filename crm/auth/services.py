"""Authentication and account changes. No request, session or current_user here: the
view passes what it knows (address, time) and owns the transaction."""

from __future__ import annotations

from datetime import datetime
from functools import cache

import sqlalchemy as sa

from crm.db import utcnow
from crm.extensions import db
from crm.organisation.models import LoginAttempt, Role, User
from crm.organisation.passwords import hash_password, needs_rehash, password_problems, verify_password


@cache
def _dummy_hash() -> str:
    """Verified when the e-mail is unknown, so a wrong e-mail costs as much time as a
    wrong password (computed on first use: hashing is slow on purpose)."""
    return hash_password("proxima-no-such-account")


class LoginRefused(Exception):
    """Wrong e-mail or password (``reason="invalid"``) or deactivated account (``"inactive"``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WeakPassword(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(", ".join(problems))
        self.problems = problems


class AccountExists(ValueError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == normalise_email(email)))


def authenticate(*, email: str, password: str, address: str, now: datetime | None = None) -> User:
    """The user whose credentials these are, or ``LoginRefused``. Every attempt is recorded."""
    now = now or utcnow()
    user = find_user_by_email(email)
    if user is None:
        verify_password(_dummy_hash(), password)
        valid = False
    else:
        valid = verify_password(user.password_hash, password)
    succeeded = valid and user is not None and user.is_active_account
    db.session.add(LoginAttempt(email=normalise_email(email)[:254], address=(address or "")[:64],
                                at=now, succeeded=succeeded))
    if user is not None:
        if succeeded:
            user.last_login_at = now
            user.failed_logins = 0
            if needs_rehash(user.password_hash or ""):
                user.password_hash = hash_password(password)
        elif not valid:
            user.failed_logins = (user.failed_logins or 0) + 1
    db.session.flush()
    if not valid or user is None:
        raise LoginRefused("invalid")
    if not user.is_active_account:
        raise LoginRefused("inactive")
    return user


def set_password(user: User, *, password: str) -> None:
    problems = password_problems(password)
    if problems:
        raise WeakPassword(problems)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()


def create_user(*, email: str, password: str, role: Role, first_name: str, last_name: str,
                agency_id: int | None = None, team_id: int | None = None, locale: str | None = None) -> User:
    if find_user_by_email(email) is not None:
        raise AccountExists(email)
    problems = password_problems(password)
    if problems:
        raise WeakPassword(problems)
    user = User(email=normalise_email(email), first_name=first_name.strip(), last_name=last_name.strip(),
                role=role, agency_id=agency_id, team_id=team_id, locale=locale,
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    return user


def set_locale(user: User, *, locale: str) -> None:
    user.locale = locale
    db.session.flush()
