"""Domain errors: raised by services, turned into form errors by the views.

Each error carries an English ``code`` (stable, for logs, tests and API clients), a
French user-facing ``message`` (a lazy string, translated when rendered) and
optionally the ``field`` of the form it belongs to.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    code: str = "domain_error"
    default_message: Any = _l("Cette opération n'est pas possible.")

    def __init__(self, message: Any = None, *, code: str | None = None, field: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        self.field = field
        super().__init__(self.code)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class IllegalTransitionError(DomainError):
    """A state change that the state machine does not allow from the current state."""

    code = "illegal_transition"
    default_message = _l("Ce changement d'état n'est pas possible.")


class ConcurrentEditError(DomainError):
    """Someone saved the same record since the form was rendered: nothing was written."""

    code = "concurrent_edit"
    default_message = _l(
        "Ce dossier a été modifié par quelqu'un d'autre depuis que vous l'avez ouvert. "
        "Rechargez la page pour voir ses modifications ; les vôtres n'ont pas été enregistrées."
    )


def clean_text(value: str | None, *, max_length: int, too_long: Any, code: str, field: str | None = None,
               required: Any = None) -> str:
    """Strip a free-text input and check it: ``too_long`` (a message) beyond ``max_length``;
    ``required`` (a message), when given, if it is empty. Codes: ``<code>.required``, ``<code>.length``."""
    text = (value or "").strip()
    if required is not None and not text:
        raise DomainError(required, code=f"{code}.required", field=field)
    if len(text) > max_length:
        raise DomainError(too_long, code=f"{code}.length", field=field)
    return text
