"""The OpenAPI 3.0 document of ``/api/v1``, written from the operations' declarations
(``crm.api.operation``) and the schemas of ``crm.api.schemas``: what it says is what
the handlers validate and return."""

from __future__ import annotations

import re
from typing import Any

from crm.api import MESSAGES, OPERATIONS, PREFIX, Operation, operation
from crm.api.schemas import components, ref

TITLE = "Proxima API"
VERSION = "1.0.0"
_RULE_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")

RESPONSE_DESCRIPTIONS = {
    200: "OK.",
    201: "Created.",
    400: "Malformed JSON body.",
    401: "No token, an unknown, malformed or revoked one, or a disabled account.",
    403: "The user's role does not allow this operation, or the user may only read this record.",
    404: "No such record, or outside what the user may see (another agency's data).",
    409: "Conflict: the record changed since `version`, or its state does not allow this change.",
    413: "Body larger than 64 KiB.",
    415: "The body is not `application/json`.",
    422: "Invalid query or body: per-field messages in `error.fields`, or a business rule (`error.code`).",
}


def openapi_path(rule: str) -> str:
    return _RULE_PARAM.sub(r"{\1}", rule)


def _operation(op: Operation) -> dict[str, Any]:
    status, schema = op.response
    doc: dict[str, Any] = {
        "operationId": op.endpoint.removeprefix("api."),
        "summary": op.summary,
        "responses": {str(status): {"description": RESPONSE_DESCRIPTIONS[status],
                                    "content": {"application/json": {"schema": schema}}}},
    }
    if op.description:
        doc["description"] = op.description
    if not op.public:
        roles = ", ".join(role.value for role in op.roles)
        doc["description"] = (doc.get("description", "") + f"\n\nRoles: {roles}.").strip()
    else:
        doc["security"] = []
    parameters = [{"name": name, "in": "path", "required": True, "schema": schema}
                  for name, schema in op.path_params.items()]
    if op.query is not None:
        parameters += op.query.query_parameters()
    if parameters:
        doc["parameters"] = parameters
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(op.body.name)}}}
    for code in op.errors:
        doc["responses"][str(code)] = {"description": RESPONSE_DESCRIPTIONS[code],
                                       "content": {"application/json": {"schema": ref("Error")}}}
    return doc


def build_openapi() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas = dict(components())
    for op in OPERATIONS:
        paths.setdefault(openapi_path(op.rule), {})[op.method] = _operation(op)
        for spec in (op.body,):
            if spec is not None:
                schemas[spec.name] = spec.json_schema()
    return {
        "openapi": "3.0.3",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": (
                "Proxima's JSON API. Authenticate with a personal token (page « Jetons d'API », or "
                "`flask --app crm tokens create EMAIL NAME`): `Authorization: Bearer prx_…`. The same role "
                "and ownership rules as the pages apply, and every read and write is audited. Errors are "
                "`{\"error\": {\"code\", \"message\", \"fields\"?}}`; lists are paginated "
                "(`?page=&per_page=`, at most 100). Error codes: "
                + ", ".join(f"{status} `{code}`" for status, (code, _) in sorted(MESSAGES.items())) + "."),
        },
        "servers": [{"url": PREFIX}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "prx_<prefix>_<secret>"}},
            "schemas": schemas,
        },
    }


_DOCUMENT: dict[str, Any] = {}


@operation("/openapi.json", "GET", summary="This document", public=True,
           response=(200, {"type": "object", "description": "An OpenAPI 3.0 document."}))
def openapi() -> tuple[int, Any]:
    """The OpenAPI document of the API (no token needed)."""
    if not _DOCUMENT:
        _DOCUMENT.update(build_openapi())
    return 200, _DOCUMENT
