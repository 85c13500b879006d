"""The JSON API, ``/api/v1``: per-user bearer tokens, the same role and ownership rules
as the pages (``crm.access``), the same services, every read and write audited with
the channel ``api``.

Each handler is declared with ``operation(...)``, which registers the route and keeps
its query, body and responses next to it; ``crm.api.openapi`` writes the OpenAPI
document from those declarations, so the document follows the code.

Authentication is the ``Authorization: Bearer prx_…`` header only: the session cookie
of the pages is never looked at, and the blueprint is exempt from CSRF (no cookie, no
ambient authority to forge).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from crm.api.schemas import ObjectSpec, ValidationFailed
from crm.audit import services as audit
from crm.errors import ConcurrentEditError, DomainError, IllegalTransitionError
from crm.extensions import csrf, db
from crm.organisation.models import Role

PREFIX = "/api/v1"
MAX_BODY_BYTES = 64 * 1024

bp = Blueprint("api", __name__, url_prefix=PREFIX)

MESSAGES: dict[int, tuple[str, Any]] = {
    400: ("bad_request", _l("La requête n'a pas pu être comprise.")),
    401: ("unauthorized", _l("Authentification requise : envoyez un jeton d'API valide dans l'en-tête "
                             "« Authorization: Bearer … ».")),
    403: ("forbidden", _l("Vous n'avez pas les droits nécessaires pour cette opération.")),
    404: ("not_found", _l("Cette ressource n'existe pas ou ne vous est pas accessible.")),
    405: ("method_not_allowed", _l("Cette méthode n'est pas possible à cette adresse.")),
    409: ("conflict", _l("L'opération est en conflit avec l'état actuel de la ressource.")),
    413: ("payload_too_large", _l("Le corps de la requête dépasse la taille autorisée.")),
    415: ("unsupported_media_type", _l("Le corps de la requête doit être du JSON (Content-Type: application/json).")),
    422: ("validation_error", _l("Les données envoyées ne sont pas valides.")),
    500: ("internal_error", _l("Une erreur inattendue s'est produite. Elle a été enregistrée ; réessayez.")),
}


class ApiError(Exception):
    def __init__(self, status: int, code: str | None = None, message: Any = None, **extra: Any) -> None:
        default_code, default_message = MESSAGES.get(status, MESSAGES[500])
        self.status = status
        self.code = code or default_code
        self.message = message if message is not None else default_message
        self.extra = extra
        super().__init__(self.code)


def error_body(status: int, code: str | None = None, message: Any = None, **extra: Any) -> Response:
    error = ApiError(status, code, message, **extra)
    payload = {"code": error.code, "message": str(error.message), **error.extra}
    response = jsonify(error=payload)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="proxima"'
    return response


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return error_body(error.status, error.code, error.message, **error.extra)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code if error.code in MESSAGES else 500
    response = error_body(status)
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


# --------------------------------------------------------------------------- authentication


PUBLIC_ENDPOINTS = {"api.openapi"}


@bp.before_request
def _authenticate() -> None:
    request.max_content_length = MAX_BODY_BYTES
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    from crm.api.tokens import authenticate

    found = authenticate(request.headers.get("Authorization"))
    if found is None:
        raise ApiError(401)
    g.api_token, g.api_user = found


def api_user() -> Any:
    return g.api_user


# --------------------------------------------------------------------------- operations


STAFF = (Role.COUNSELOR, Role.EMPLOYER_COUNSELOR, Role.BENEFITS_COUNSELOR, Role.PSYCHOLOGIST, Role.TEAM_MANAGER,
         Role.DIRECTOR)
EVERYONE = tuple(Role)


@dataclass
class Operation:
    """One route of the API and what the OpenAPI document says about it."""

    rule: str  # Flask rule, relative to PREFIX
    method: str
    endpoint: str
    summary: str
    description: str
    roles: tuple[Role, ...]
    response: tuple[int, dict[str, Any]]
    errors: tuple[int, ...]
    query: ObjectSpec | None = None
    body: ObjectSpec | None = None
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    public: bool = False


OPERATIONS: list[Operation] = []

# Responses every authenticated operation may give; bodies add theirs.
AUTH_ERRORS = (401, 403)
BODY_ERRORS = (400, 413, 415, 422)


def read_json(spec: ObjectSpec) -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise ApiError(415)
    raw = request.get_data(cache=True)  # 413 beyond MAX_BODY_BYTES
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "malformed_json", _l("Le corps de la requête n'est pas un JSON valide.")) from None
    return spec.parse_body(data)


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def operation(rule: str, method: str, *, summary: str, response: tuple[int, dict[str, Any]],
              errors: tuple[int, ...] = (), roles: tuple[Role, ...] = EVERYONE, query: ObjectSpec | None = None,
              body: ObjectSpec | None = None, path_params: dict[str, dict[str, Any]] | None = None,
              description: str = "", public: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``view`` at ``rule`` for ``method``. The view gets the token's user, the
    path arguments, and ``query`` / ``body`` already validated; it returns
    ``(status, payload)``. The request's transaction commits on success and is rolled
    back entirely on any error (nothing half-done); business errors become 409 / 422."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def handler(**kwargs: Any) -> Response:
            if public:
                status, payload = view(**kwargs)
                return _json(status, payload)
            user = api_user()
            if user.role not in roles:
                raise ApiError(403, "role_not_allowed",
                               _l("Votre rôle ne donne pas accès à cette opération."))
            with audit.origin("api", request.remote_addr):
                try:
                    # A savepoint: an error undoes everything the handler wrote (nothing half-done).
                    with db.session.begin_nested():
                        if query is not None:
                            kwargs["query"] = query.parse_query(request.args)
                        if body is not None:
                            kwargs["body"] = read_json(body)
                        status, payload = view(user, **kwargs)
                except ValidationFailed as failed:
                    error: ApiError = ApiError(422, "validation_error", fields=failed.fields)
                except (ConcurrentEditError, IllegalTransitionError) as conflict:
                    error = ApiError(409, conflict.code, conflict.message)
                except DomainError as rule:
                    extra = {"fields": {rule.field: str(rule.message)}} if rule.field else {}
                    error = ApiError(422, rule.code, rule.message, **extra)
                except ApiError as raised:
                    error = raised
                else:
                    db.session.commit()
                    return _json(status, payload)
            db.session.commit()  # the token's last use
            raise error

        endpoint = view.__name__
        bp.add_url_rule(rule, endpoint=endpoint, view_func=handler, methods=[method])
        all_errors = tuple(sorted(set(errors) | (set() if public else set(AUTH_ERRORS))
                                  | (set(BODY_ERRORS) if body is not None else set())
                                  | ({422} if query is not None else set())))
        OPERATIONS.append(Operation(rule=rule, method=method.lower(), endpoint=f"api.{endpoint}", summary=summary,
                                    description=description or (view.__doc__ or "").strip(), roles=roles,
                                    response=response, errors=all_errors, query=query, body=body,
                                    path_params=path_params or {}, public=public))
        return handler

    return decorator


def _json(status: int, payload: Any) -> Response:
    response = jsonify(payload)
    response.status_code = status
    return response


def init_api(app: Flask) -> None:
    from crm.api import openapi, views  # noqa: F401  (registers the operations)
    from crm.api.cli import tokens_cli
    from crm.api.token_views import bp as tokens_bp

    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(tokens_bp)
    app.cli.add_command(tokens_cli)
