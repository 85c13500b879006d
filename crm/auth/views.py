"""Login and logout."""

from __future__ import annotations

import math
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext, refresh
from flask_login import current_user, login_required, login_user, logout_user

from crm.auth.forms import LoginForm
from crm.auth.services import LoginLimits, LoginRefused, authenticate
from crm.extensions import db
from crm.organisation.models import User
from crm.web.rendering import render
from crm.web.urls import safe_next_url
from seeds.accounts import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD

bp = Blueprint("auth", __name__)

# Accounts created by ``flask seed accounts`` (demo generator); listed on the login page
# in development only, and only when they exist.


def demo_accounts() -> list[User]:
    if current_app.config["PROXIMA_ENV"] != "development":
        return []
    return list(db.session.scalars(
        sa.select(User)
        .where(User.email.like(f"%@{DEMO_EMAIL_DOMAIN}"), User.is_active_account.is_(True))
        .order_by(User.role, User.email)
        .limit(20)
    ))


def login_limits() -> LoginLimits:
    config = current_app.config
    return LoginLimits(per_account=int(config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
                       per_address=int(config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
                       window=timedelta(minutes=int(config["LOGIN_FAILURE_WINDOW_MINUTES"])))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next_url(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("web.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = next_url or ""
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(email=form.email.data, password=form.password.data,
                                address=request.remote_addr or "", limits=login_limits())
        except LoginRefused as refused:
            db.session.commit()  # keep the recorded attempt (none when throttled)
            if refused.reason == "throttled":
                minutes = max(1, math.ceil((refused.retry_after or 60) / 60))
                form.form_errors.append(ngettext(
                    "Trop de tentatives de connexion ont échoué. Par sécurité, la connexion est bloquée : "
                    "réessayez dans %(num)d minute ou adressez-vous à votre responsable.",
                    "Trop de tentatives de connexion ont échoué. Par sécurité, la connexion est bloquée : "
                    "réessayez dans %(num)d minutes ou adressez-vous à votre responsable.", minutes))
                form.password.data = ""
                response = render("auth/login.html", status=429, form=form, demo_accounts=demo_accounts(),
                                  demo_password=DEMO_PASSWORD)
                response.headers["Retry-After"] = str(refused.retry_after or 60)
                return response
            if refused.reason == "inactive":
                form.form_errors.append(_("Ce compte est désactivé. Adressez-vous à votre responsable."))
            else:
                form.form_errors.append(_("Identifiant ou mot de passe incorrect."))
            form.password.data = ""
            status = 422
        else:
            # A fresh session on login (no fixation); the chosen language survives.
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(user)
            db.session.commit()
            refresh()  # the account's saved language may apply from now on
            return redirect(next_url or url_for("web.home"))
    elif form.errors:
        status = 422
    return render("auth/login.html", status=status, form=form, demo_accounts=demo_accounts(),
                  demo_password=DEMO_PASSWORD)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("auth.login"))
