"""The OpenAPI document is valid, served, and lists exactly the blueprint's routes."""

from __future__ import annotations

from openapi_spec_validator import validate

from crm.api import PREFIX
from crm.api.openapi import openapi_path


def test_document_is_valid_openapi(client, db_session):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    validate(document)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_document_lists_every_route_and_method(app, client, db_session):
    document = client.get("/api/v1/openapi.json").json
    routes = {(openapi_path(rule.rule.removeprefix(PREFIX)), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX + "/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == documented


def test_every_operation_documents_its_errors(client, db_session):
    document = client.get("/api/v1/openapi.json").json
    for path, item in document["paths"].items():
        for method, op in item.items():
            if path == "/openapi.json":
                continue
            assert {"401", "403"} <= set(op["responses"]), (method, path)
            if "requestBody" in op:
                assert {"400", "413", "415", "422"} <= set(op["responses"]), (method, path)
            if "{" in path:
                assert "404" in op["responses"], (method, path)
