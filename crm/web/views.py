"""The home page (per role) and the language switch."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import refresh
from flask_login import current_user, login_required

from crm.auth.services import set_locale
from crm.clock import current_day
from crm.extensions import db
from crm.web.dashboards import home_context
from crm.web.rendering import render
from crm.web.urls import safe_next_url

bp = Blueprint("web", __name__)


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    user = current_user._get_current_object()
    day = current_day()
    context = home_context(user, day=day, defaults=current_app.config["DEFAULT_CONTACT_INTERVAL_DAYS"])
    role = user.role.value
    return render("home/index.html", f"home/_{role}.html", role=role, day=day, **context)


@bp.post("/lang")
def set_language() -> ResponseReturnValue:
    """Remember the interface language: in the session, and on the account when logged in."""
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:
        set_locale(current_user._get_current_object(), locale=lang)
        db.session.commit()
    refresh()  # drop the locale cached for this context
    return redirect(safe_next_url(request.form.get("next")) or url_for("web.home"))
