"""Authentication and account changes. No request, session or current_user here: the
view passes what it knows (address, time) and owns the transaction."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    """Wrong e-mail or password (``reason="invalid"``), deactivated account (``"inactive"``)
    or too many failed attempts (``"throttled"``, with ``retry_after`` in seconds)."""

    def __init__(self, reason: str, *, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginLimits:
    """At most ``per_account`` failed logins for one e-mail, and ``per_address`` from one
    client address, within ``window``; beyond, logins are refused until the oldest
    failures leave the window. The same rule for unknown e-mails (nothing to learn
    about which accounts exist). Refused attempts are not recorded, so a lock ends
    ``window`` after the failures that caused it whatever an attacker keeps trying."""

    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


def _retry_after(condition: sa.ColumnElement[bool], limit: int, *, since: datetime, now: datetime,
                 window: timedelta) -> int | None:
    """Seconds until fewer than ``limit`` failed attempts matching ``condition`` remain in
    the window, or ``None`` when there are fewer already."""
    times = list(db.session.scalars(
        sa.select(LoginAttempt.at)
        .where(condition, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)
        .order_by(LoginAttempt.at.desc())
        .limit(limit)
    ))
    if len(times) < limit:
        return None
    # The limit-th most recent failure leaves the window at ``at + window``.
    return max(1, math.ceil((times[-1] + window - now).total_seconds()))


def login_throttle(*, email: str, address: str, now: datetime, limits: LoginLimits) -> int | None:
    """Seconds to wait before this e-mail may try again from this address, or ``None``."""
    start = now - limits.window
    email = normalise_email(email)[:254]
    # An account's count starts again after a successful login.
    last_success = db.session.scalar(
        sa.select(sa.func.max(LoginAttempt.at))
        .where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(True), LoginAttempt.at > start))
    waits = [
        _retry_after(LoginAttempt.email == email, limits.per_account, since=max(start, last_success or start),
                     now=now, window=limits.window),
        _retry_after(LoginAttempt.address == (address or "")[:64], limits.per_address, since=start, now=now,
                     window=limits.window) if address else None,
    ]
    found = [w for w in waits if w is not None]
    return max(found) if found else None


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


def authenticate(*, email: str, password: str, address: str, now: datetime | None = None,
                 limits: LoginLimits | None = None) -> User:
    """The user whose credentials these are, or ``LoginRefused``. Every attempt is recorded,
    except those refused because of too many failures (``limits``; the password is then
    not even checked)."""
    now = now or utcnow()
    wait = login_throttle(email=email, address=address, now=now, limits=limits or LoginLimits())
    if wait is not None:
        raise LoginRefused("throttled", retry_after=wait)
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
