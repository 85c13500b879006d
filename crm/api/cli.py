"""``flask tokens …``: API tokens for administrators (create, list, revoke)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from crm.api.tokens import create_token, revoke_token, tokens_of
from crm.audit import services as audit
from crm.auth.services import find_user_by_email
from crm.errors import DomainError
from crm.extensions import db
from crm.organisation.models import ApiToken

tokens_cli = AppGroup("tokens", help="API tokens.")


@tokens_cli.command("create")
@click.argument("email")
@click.argument("name")
def create_command(email: str, name: str) -> None:
    """Create a token named NAME for the account EMAIL; the secret is printed once."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    with audit.origin("cli"):
        try:
            token, secret = create_token(author=None, user=user, name=name)
        except DomainError as error:
            raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"created token {token.id} ({token.prefix}) for <{user.email}>; it is shown only once:")
    click.echo(secret)


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_command(token_id: int) -> None:
    """Revoke the token TOKEN_ID (see ``tokens list``)."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"no token with id {token_id}")
    with audit.origin("cli"):
        try:
            revoke_token(author=None, token=token)
        except DomainError as error:
            raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"revoked token {token.id} ({token.prefix})")


@tokens_cli.command("list")
@click.argument("email", required=False)
def list_command(email: str | None) -> None:
    """List the tokens (of EMAIL only, when given)."""
    user_id = None
    if email:
        user = find_user_by_email(email)
        if user is None:
            raise click.ClickException(f"no account for {email}")
        user_id = user.id
    for token in tokens_of(user_id):
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        click.echo(f"{token.id}\t{token.prefix}\t{token.user.email}\t{token.name}\t{state}\tlast used {used}")
