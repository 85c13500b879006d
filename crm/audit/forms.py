"""The audit page's filters (a GET form: they live in the address, the export reuses them)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

MAX_PAGE = 100000


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a search: nothing changes

    user = StringField(_l("Utilisateur"), validators=[Length(max=120)],
                       description=_l("Nom, adresse électronique ou numéro de l'agent."))
    person = StringField(_l("Demandeur d'emploi"), validators=[Length(max=64)],
                         description=_l("Nom de famille, identifiant externe ou numéro du dossier."))
    action = StringField(_l("Action"), validators=[Length(max=64)],
                         description=_l("Le début suffit : « job_seeker. » pour toutes les actions sur les dossiers."))
    start = DateField(_l("Du"), validators=[Optional()])
    end = DateField(_l("Au"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)])

    def validate_end(self, field: Any) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("La fin de la période doit suivre son début."))

    def active_filters(self) -> dict[str, str]:
        """The filters as typed (for the export's audit event and the links)."""
        values = {"user": self.user.data, "person": self.person.data, "action": self.action.data,
                  "start": self.start.data.isoformat() if self.start.data else "",
                  "end": self.end.data.isoformat() if self.end.data else ""}
        return {name: (value or "").strip() for name, value in values.items() if (value or "").strip()}
