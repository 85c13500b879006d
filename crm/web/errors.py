"""Error pages in French (translated), or a JSON body for the API."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from crm.extensions import db
from crm.web.rendering import render

log = logging.getLogger(__name__)

API_PREFIX = "/api/"

# status → (stable code for the API, title, explanation)
ERRORS: dict[int, tuple[str, LazyString, LazyString]] = {
    400: ("bad_request", _l("Requête invalide"),
          _l("La demande envoyée n'a pas pu être comprise. Vérifiez les informations saisies et réessayez.")),
    403: ("forbidden", _l("Accès refusé"),
          _l("Vous n'avez pas les droits nécessaires pour accéder à cette page.")),
    404: ("not_found", _l("Page introuvable"),
          _l("La page demandée n'existe pas ou a été déplacée. Vérifiez l'adresse ou revenez à l'accueil.")),
    405: ("method_not_allowed", _l("Action non autorisée"),
          _l("Cette action n'est pas possible à cette adresse.")),
    413: ("payload_too_large", _l("Envoi trop volumineux"),
          _l("Le fichier ou le formulaire envoyé dépasse la taille autorisée.")),
    422: ("unprocessable", _l("Données invalides"),
          _l("Les informations envoyées ne peuvent pas être traitées. Corrigez-les et réessayez.")),
    500: ("internal_error", _l("Erreur interne"),
          _l("Une erreur inattendue s'est produite. Elle a été enregistrée ; réessayez dans quelques instants.")),
}
CSRF_MESSAGE = _l("Votre session a expiré ou le formulaire n'est plus valide. Rechargez la page et réessayez.")


def error_response(status: int, message: str | LazyString | None = None) -> Response:
    code, title, default_message = ERRORS.get(status, ERRORS[500])
    text = str(message or default_message)
    if request.path.startswith(API_PREFIX):
        response = jsonify(error={"code": code, "message": text})
        response.status_code = status
        return response
    return render("errors/error.html", "errors/_error.html", status=status,
                  status_code=status, title=title, message=text)


def handle_http_error(error: HTTPException) -> Response:
    status = error.code if error.code in ERRORS else 500
    response = error_response(status)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def handle_csrf_error(error: CSRFError) -> Response:
    return error_response(400, CSRF_MESSAGE)


def handle_internal_error(error: InternalServerError) -> Response:
    db.session.rollback()
    try:
        return error_response(500)
    except Exception:  # the error page itself failed (database down…): plain text
        log.exception("error page failed")
        return Response(str(ERRORS[500][2]), status=500, mimetype="text/plain")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    for status in (400, 403, 404, 405, 413, 422):
        app.register_error_handler(status, handle_http_error)
    app.register_error_handler(InternalServerError, handle_internal_error)
