"""Property-based tests: random and hostile values thrown at every form of the pages.

For every state-changing page route (POST) and a user its rule allows (``tests/test_route_rules.py``),
hypothesis draws form bodies from the names of every field of every form of the application
(a view reads the names it knows and ignores the others) with hostile values: empty, huge,
control characters, markup, SQL, other languages, numbers out of range, broken dates. The
answer is never a 5xx; when it refuses the submission (4xx), nothing was saved. The API has
its own property-based run (``tests/api/test_property.py``, schemathesis).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.extensions import db
from tests.test_route_rules import RULES, World, build_world, is_api, request_as, routes

# Tables every request may write whatever its answer: the audit trail and login attempts.
ALWAYS_WRITTEN = {"audit_event", "login_attempt"}

HOSTILE = st.one_of(
    st.just(""), st.just(" "), st.text(max_size=40), st.text(alphabet="aé<>&\"' \n", min_size=600, max_size=1200),
    st.sampled_from(["<script>alert(1)</script>", "' OR 1=1 --", "\x00\x01\x1f", "😀" * 50, "Ωμέγα ✓ العربية",
                     "-1", "0", "2147483648", "99999999999999999999", "1e309", "NaN", "2026-02-30", "31/12/2026",
                     "0000-00-00", "on", "true", "open", "accepted", "other", "phone", "none", "../../etc/passwd"]),
    st.integers(min_value=-2**63, max_value=2**63).map(str),
)


def field_names() -> list[str]:
    """The names of every field of every form of the application."""
    names: set[str] = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names.update(name for name in dir(form) if not name.startswith("_")
                     and getattr(getattr(form, name), "field_class", None) is not None)
    return sorted(names - {"csrf_token"})


def row_counts() -> dict[str, int]:
    tables = [t for t in db.metadata.sorted_tables if t.name not in ALWAYS_WRITTEN]
    counts = db.session.execute(sa.select(*[sa.select(sa.func.count()).select_from(t).scalar_subquery()
                                            for t in tables])).one()
    return dict(zip((t.name for t in tables), counts))


def post_routes(app: Flask) -> list[tuple[Any, str]]:
    return [(rule, method) for rule, method in routes(app)
            if method == "POST" and not is_api(rule) and rule.endpoint in RULES and RULES[rule.endpoint].roles
            and rule.endpoint not in ("auth.login", "auth.logout")]


def _post_endpoints() -> list[str]:
    """The POST page endpoints, from an application built in a scratch folder (at collection)."""
    import tempfile
    from pathlib import Path

    from tests.conftest import make_app

    app = make_app("sqlite://", Path(tempfile.mkdtemp(prefix="proxima-fuzz-")))
    return sorted({rule.endpoint for rule, _m in post_routes(app)})


ENDPOINTS = _post_endpoints()  # builds the application: every form class is then defined
NAMES = field_names()


@pytest.fixture()
def world(db_session: Any) -> World:
    return build_world()


def test_the_fuzzing_reaches_the_forms() -> None:
    assert len(ENDPOINTS) > 30 and {"notes", "reason", "title", "channel", "version"} <= set(NAMES)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@settings(max_examples=5, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(body=st.dictionaries(st.sampled_from(NAMES), HOSTILE, min_size=1, max_size=8))
def test_every_form_survives_hostile_values(app: Flask, client: FlaskClient, world: World, endpoint: str,
                                            body: dict[str, str]) -> None:
    url_rule, method = next((r, m) for r, m in post_routes(app) if r.endpoint == endpoint)
    principal = sorted(RULES[endpoint].roles - {"anonymous"}, key=str)[0]
    before = row_counts()
    response = request_as(client, app, world, principal, url_rule, method, body=body)
    assert response.status_code < 500, f"{response.status_code} for {sorted(body)}"
    if 400 <= response.status_code < 500:
        after = row_counts()
        assert after == before, f"refused ({response.status_code}) but wrote " + str(
            sorted(t for t in after if after[t] != before[t]))
