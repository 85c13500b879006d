"""Helpers shared by views that run one service call per POST."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm

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


def form_messages(form: FlaskForm) -> list[Any]:
    """Every error message of a form, flattened (shown above the row it concerns)."""
    return [message for messages in form.errors.values() for message in messages]
