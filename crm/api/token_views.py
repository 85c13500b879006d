"""Pages to manage API tokens: « Jetons d'API » in the user's account (list, create —
the secret is shown once, on the answer to the form — and revoke), and the
administrators' list of every account's tokens, with revoke."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from crm.api.tokens import MAX_NAME_LENGTH, create_token, revoke_token, tokens_of
from crm.errors import DomainError
from crm.extensions import db
from crm.organisation.models import ApiToken, Role
from crm.web.actions import attempt
from crm.web.guards import roles_required
from crm.web.rendering import render

bp = Blueprint("api_tokens", __name__)


class TokenForm(FlaskForm):
    name = StringField(_l("Nom du jeton"), description=_l("L'outil ou le script qui l'utilisera."),
                       validators=[DataRequired(message=_l("Donnez un nom au jeton (l'outil qui l'utilisera).")),
                                   Length(max=MAX_NAME_LENGTH)])


class RevokeForm(FlaskForm):
    """No field: the CSRF token only."""


def _user() -> Any:
    return current_user._get_current_object()


def _page(form: TokenForm | None = None, *, secret: str | None = None, status: int = 200) -> Response:
    response = render("api_tokens/index.html", status=status, form=form or TokenForm(formdata=None),
                      tokens=tokens_of(_user().id), secret=secret, revoke_form=RevokeForm(formdata=None),
                      title=_l("Jetons d'API"))
    response.headers["Cache-Control"] = "no-store"  # the page may carry a secret
    return response


@bp.get("/compte/jetons")
@login_required
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/compte/jetons")
@login_required
def create() -> ResponseReturnValue:
    form = TokenForm()
    if not form.validate():
        return _page(form, status=422)
    created: list[str] = []
    error = attempt(lambda: created.append(create_token(author=_user(), user=_user(), name=form.name.data)[1]))
    if error is not None:
        form.name.errors = [*form.name.errors, error.message]
        return _page(form, status=422)
    db.session.commit()
    return _page(secret=created[0], status=201)


def _revoke(token: ApiToken) -> DomainError | None:
    if not RevokeForm().validate():
        abort(400)
    error = attempt(lambda: revoke_token(author=_user(), token=token))
    db.session.commit()
    if error is not None:
        flash(str(error.message), "error")
    else:
        flash(str(_l("Le jeton « %(name)s » est révoqué.", name=token.name)), "success")
    return error


@bp.post("/compte/jetons/<int:token_id>/revocation")
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != _user().id:
        abort(404)
    _revoke(token)
    return redirect(url_for("api_tokens.index"), 303)


@bp.get("/admin/jetons")
@roles_required(Role.ADMIN)
def admin_index() -> ResponseReturnValue:
    tokens = tokens_of()
    by_user: dict[Any, list[ApiToken]] = {}
    for token in sorted(tokens, key=lambda t: (t.user.last_name, t.user.first_name, t.user_id)):
        by_user.setdefault(token.user, []).append(token)
    return render("api_tokens/admin.html", by_user=by_user, revoke_form=RevokeForm(formdata=None),
                  title=_l("Jetons d'API des utilisateurs"))


@bp.post("/admin/jetons/<int:token_id>/revocation")
@roles_required(Role.ADMIN)
def admin_revoke(token_id: int) -> ResponseReturnValue:
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    _revoke(token)
    return redirect(url_for("api_tokens.admin_index"), 303)
