"""``flask users …``: create staff accounts and set passwords (prompted, never on the
command line, so they stay out of shell history and process lists)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from crm.auth.services import AccountExists, WeakPassword, create_user, find_user_by_email, set_password
from crm.extensions import db
from crm.organisation.models import Agency, Role, Team
from crm.organisation.passwords import MIN_LENGTH

users_cli = AppGroup("users", help="Staff accounts.")

PROBLEMS = {
    "too_short": f"at least {MIN_LENGTH} characters",
    "needs_mix": "mix letters with digits or symbols",
}


def _prompt_password() -> str:
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _weak(error: WeakPassword) -> click.ClickException:
    return click.ClickException("password refused: " + "; ".join(PROBLEMS.get(p, p) for p in error.problems))


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(Role.values()))
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--agency-id", type=int, help="Agency the user belongs to.")
@click.option("--team-id", type=int, help="Team the user belongs to (in the same agency).")
@click.option("--locale", type=click.Choice(["fr", "en"]), help="Interface language (default: French).")
def create_command(email: str, role: str, first_name: str, last_name: str, agency_id: int | None,
                   team_id: int | None, locale: str | None) -> None:
    """Create a staff account; the password is asked for twice."""
    if agency_id is not None and db.session.get(Agency, agency_id) is None:
        raise click.BadParameter(f"no agency with id {agency_id}", param_hint="--agency-id")
    if team_id is not None:
        team = db.session.get(Team, team_id)
        if team is None:
            raise click.BadParameter(f"no team with id {team_id}", param_hint="--team-id")
        if agency_id is not None and team.agency_id != agency_id:
            raise click.BadParameter(f"team {team_id} is not in agency {agency_id}", param_hint="--team-id")
        agency_id = team.agency_id
    if find_user_by_email(email) is not None:
        raise click.ClickException(f"an account already uses {email}")
    password = _prompt_password()
    try:
        user = create_user(email=email, password=password, role=Role(role), first_name=first_name,
                           last_name=last_name, agency_id=agency_id, team_id=team_id, locale=locale)
    except WeakPassword as error:
        raise _weak(error) from None
    except AccountExists:
        raise click.ClickException(f"an account already uses {email}") from None
    db.session.commit()
    click.echo(f"created user {user.id} <{user.email}> ({user.role.value})")


@users_cli.command("set-password")
@click.argument("email")
def set_password_command(email: str) -> None:
    """Set a new password for the account EMAIL; it is asked for twice."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    try:
        set_password(user, password=_prompt_password())
    except WeakPassword as error:
        raise _weak(error) from None
    db.session.commit()
    click.echo(f"password updated for <{user.email}>")
