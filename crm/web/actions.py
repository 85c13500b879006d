"""Helpers shared by views that run one service call per POST."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field

from crm.errors import DomainError
from crm.extensions import db


def attempt(action: Callable[[], Any]) -> DomainError | None:
    """Run one service call in a savepoint; on a domain error undo it and return the error."""
    try:
        with db.session.begin_nested():
            action()
    except DomainError as error:
        return error
    return None


def attach_error(form: FlaskForm, error: DomainError, fields: dict[str, str] | None = None) -> None:
    """Show a service's error next to the field it names (``fields`` maps the service's
    field names to the form's), or above the form."""
    name = (fields or {}).get(error.field, error.field) if error.field else None
    target = getattr(form, name, None) if name else None
    if isinstance(target, Field):
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


def form_messages(form: FlaskForm) -> list[Any]:
    """Every error message of a form, flattened (shown above the row it concerns)."""
    return [message for messages in form.errors.values() for message in messages]
