from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crm.extensions import db
from tests.conftest import make_app


@pytest.fixture(scope="session")
def csrf_app(app: Flask, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The same database (schema built by ``app``), with CSRF protection on as in production."""
    csrf_app = make_app(database_url, tmp_path_factory.mktemp("csrf-instance"), WTF_CSRF_ENABLED=True)
    yield csrf_app
    with csrf_app.app_context():
        db.engine.dispose()


@pytest.fixture()
def csrf_client(csrf_app: Flask, db_session) -> FlaskClient:
    return csrf_app.test_client()


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)
