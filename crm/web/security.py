"""Web security that applies to every request: response headers and session inactivity.

Headers (every response, pages, fragments, errors, static files and the API alike):
- ``Content-Security-Policy``: scripts, styles, images and connections from this site
  only — no inline script or style (the templates have none: htmx is configured by a
  ``<meta>``, our code is in ``crm/static/js``), no plugin, no framing, forms post here;
- ``X-Frame-Options: DENY`` for browsers that ignore ``frame-ancestors``;
- ``X-Content-Type-Options: nosniff``; ``Referrer-Policy: same-origin`` (URLs hold
  file ids: never sent to another site, yet CSRF's HTTPS referrer check still works);
- in production, ``Strict-Transport-Security``.

Sessions expire after ``SESSION_IDLE_MINUTES`` without a request: the time of the last
request is kept in the (signed) session cookie, rewritten at most once a minute.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user

from crm.web.urls import safe_next_url

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000; includeSubDomains"

LAST_SEEN = "_seen"  # seconds since the epoch, in the session
SEEN_RESOLUTION = 60  # rewrite the cookie at most once a minute
API_PREFIX = "/api/"


def init_security(app: Flask) -> None:
    app.before_request(expire_idle_session)
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if _production():
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _production() -> bool:
    return current_app.config.get("PROXIMA_ENV") == "production"


def expire_idle_session() -> Response | None:
    """Log out a session idle for longer than ``SESSION_IDLE_MINUTES``; otherwise note the
    time of this request. The API (bearer tokens, no session) and static files are left alone."""
    if request.path.startswith(API_PREFIX) or request.endpoint == "static" or "_user_id" not in session:
        return None
    idle = int(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    now = int(time.time())
    last = session.get(LAST_SEEN)
    # A session without the mark was opened before this check existed: it starts now.
    if isinstance(last, int) and now - last > idle:
        return _expire(idle // 60)
    if not isinstance(last, int) or now - last >= SEEN_RESOLUTION:
        session[LAST_SEEN] = now
    return None


def _expire(minutes: int) -> Response:
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Votre session a expiré après %(minutes)d minutes d'inactivité. Reconnectez-vous pour continuer.",
            minutes=minutes), "info")
    if request.headers.get("HX-Request") == "true":
        # An htmx request would swap the login page into a section: send the whole page there.
        response = Response(status=204)
        response.headers["HX-Redirect"] = url_for("auth.login", next=_local_path(
            request.headers.get("HX-Current-URL", "")))
        return response
    # Back to the page after logging in again (a form's POST cannot be replayed: its page then).
    target = request.full_path if request.method == "GET" else request.referrer or ""
    return redirect(url_for("auth.login", next=_local_path(target)))


def _local_path(url: str) -> str | None:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next_url(path) if path else None
