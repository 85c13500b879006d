from __future__ import annotations

from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_babel import refresh

from crm.organisation.models import User


def log_in(client: FlaskClient, user: User) -> None:
    """Open a session for ``user`` without going through the login form.

    The ``db_session`` fixture keeps an application context open for the whole test,
    and the test client's requests reuse it: forget the user and locale that
    Flask-Login and Flask-Babel cached on ``g`` by earlier requests.
    """
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    if has_app_context():
        g.pop("_login_user", None)
        refresh()


def open_with_reason(client: FlaskClient, *job_seeker_ids: int) -> None:
    """As if the logged-in user had given a reason to open these files outside their
    portfolio (``crm.jobseekers.access_reasons``): they open without the reason form."""
    from crm.jobseekers.access_reasons import SESSION_KEY

    with client.session_transaction() as session:
        session[SESSION_KEY] = [*job_seeker_ids, *session.get(SESSION_KEY, [])]
