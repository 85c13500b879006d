from __future__ import annotations

import sqlalchemy as sa
from click.testing import Result
from flask.testing import FlaskCliRunner

from crm.extensions import db
from crm.organisation.models import Role, User
from crm.organisation.passwords import verify_password
from tests.factories import make_agency, make_team, make_user

PASSWORD = "Un-mot-de-passe-2026"


def find(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def create(runner: FlaskCliRunner, email: str, *options: str, role: str = "counselor",
           password: str = PASSWORD, confirmation: str | None = None) -> Result:
    """``flask users create``, typing the password and its confirmation at the prompts."""
    return runner.invoke(
        args=["users", "create", "--email", email, "--role", role, "--first-name", "Nadia",
              "--last-name", "Benali", *options],
        input=f"{password}\n{password if confirmation is None else confirmation}\n",
    )


def test_create_user_prompts_for_the_password_twice(runner: FlaskCliRunner) -> None:
    agency = make_agency()
    result = create(runner, "Nadia.Benali@proxima.test", "--agency-id", str(agency.id))
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    user = find("nadia.benali@proxima.test")
    assert user is not None and user.role == Role.COUNSELOR and user.agency_id == agency.id
    assert user.full_name == "Nadia Benali"
    assert verify_password(user.password_hash, PASSWORD)


def test_create_user_in_a_team_takes_its_agency(runner: FlaskCliRunner) -> None:
    team = make_team()
    result = create(runner, "rep@proxima.test", "--team-id", str(team.id), role="team_manager")
    assert result.exit_code == 0, result.output
    user = find("rep@proxima.test")
    assert user.team_id == team.id and user.agency_id == team.agency_id


def test_create_user_refuses_a_weak_password(runner: FlaskCliRunner) -> None:
    result = create(runner, "weak@proxima.test", password="short")
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert find("weak@proxima.test") is None


def test_create_user_refuses_a_duplicate_email_an_unknown_role_or_agency(runner: FlaskCliRunner) -> None:
    make_user(email="taken@proxima.test")
    result = create(runner, "TAKEN@proxima.test")
    assert result.exit_code != 0 and "already" in result.output
    assert create(runner, "x@proxima.test", role="king").exit_code == 2
    assert create(runner, "y@proxima.test", "--agency-id", "999999").exit_code == 2


def test_create_user_refuses_mismatched_confirmation(runner: FlaskCliRunner) -> None:
    result = create(runner, "typo@proxima.test", confirmation=PASSWORD + "x")
    assert result.exit_code != 0
    assert find("typo@proxima.test") is None


def test_set_password(runner: FlaskCliRunner) -> None:
    user = make_user(password="Old-password-2025", failed_logins=3)
    result = runner.invoke(args=["users", "set-password", user.email], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)
    assert user.failed_logins == 0

    assert runner.invoke(args=["users", "set-password", user.email], input="abc\nabc\n").exit_code != 0
    assert runner.invoke(args=["users", "set-password", "ghost@proxima.test"],
                         input=f"{PASSWORD}\n{PASSWORD}\n").exit_code != 0
