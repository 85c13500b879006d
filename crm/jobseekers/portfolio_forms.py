"""The portfolio's filter form: reads and validates the query string (GET, no CSRF).

Every filter lives in the URL so a list can be bookmarked, shared, reloaded, or
exported as is. A bad value (``?page=abc``, ``?modality=xyz``, ``?min_days=-5``)
becomes a field error shown next to the filter, never a server error; the list is
then built from the valid filters only.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from crm.enums import Modality
from crm.jobseekers.alerts import RULES
from crm.jobseekers.models import BarrierKind
from crm.jobseekers.queries import FLAG_CODES, PortfolioFilters
from crm.labels import choices

# Priority-public flags: (short badge text, full name shown on hover and to screen readers).
FLAG_LABELS: dict[str, tuple[Any, Any]] = {
    "under_26": (_l("−26 ans"), _l("Moins de 26 ans")),
    "over_50": (_l("50 ans +"), _l("50 ans et plus")),
    "long_term_unemployed": (_l("DELD"), _l("Demandeur d'emploi de longue durée (plus de 12 mois)")),
    "rsa": (_l("RSA"), _l("Bénéficiaire du RSA")),
    "rqth": (_l("RQTH"), _l("Travailleur handicapé (RQTH)")),
    "qpv": (_l("QPV"), _l("Habite un quartier prioritaire de la ville (QPV)")),
    "zrr": (_l("ZRR"), _l("Habite une zone de revitalisation rurale (ZRR)")),
}
assert set(FLAG_LABELS) == set(FLAG_CODES)



def options(pairs: Any) -> list[SelectChoice]:
    """WTForms choices from ``(value, label)`` pairs (tuples are deprecated)."""
    return [SelectChoice(value, text) for value, text in pairs]


SORT_CHOICES = [
    ("name", _l("Nom")),
    ("last_contact", _l("Dernier contact")),
    ("next_appointment", _l("Prochain rendez-vous")),
    ("registration", _l("Date d'inscription")),
    ("modality", _l("Modalité")),
]
NEXT_APPOINTMENT_CHOICES = [
    ("", _l("Indifférent")),
    ("7", _l("Dans les 7 jours")),
    ("30", _l("Dans les 30 jours")),
    ("none", _l("Aucun rendez-vous prévu")),
]
MAX_DAYS = 3650
ROME_PATTERN = r"^\s*[A-Za-z](\d{2}(\d{2})?)?\s*$"  # domain "M", family "M16" or occupation "M1607"
ROME_MESSAGE = _l("Saisissez un code ROME (M1607), une famille (M16) ou un domaine (M).")
ALERT_CHOICES = [("", _l("Toutes")), *((rule.code, rule.label) for rule in RULES.values())]


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _in_range(*, low: int, high: int | None = None, message: Any) -> Any:
    """NumberRange, silent when the value was not a number (the conversion error says so)."""
    check = NumberRange(min=low, max=high, message=message)

    def validate(form: Any, field: Any) -> None:
        if field.data is not None:
            check(form, field)

    return validate


def _days(label: Any) -> IntegerField:
    return IntegerField(label, validators=[
        Optional(), _in_range(low=0, high=MAX_DAYS, message=_l("Saisissez un nombre de jours entre 0 et %(max)s.",
                                                                max=MAX_DAYS))])


class PortfolioFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: reading a list changes nothing

    q = StringField(_l("Nom ou identifiant"), validators=[Optional(), Length(max=100)],
                    render_kw={"type": "search", "autocomplete": "off", "spellcheck": "false"})
    modality = SelectField(_l("Modalité"), choices=options([("", _l("Toutes")), *choices(Modality)]),
                           default="")
    flags = CheckboxListField(_l("Publics prioritaires"), choices=options(
        (code, full) for code, (_, full) in FLAG_LABELS.items()))
    barrier = SelectField(_l("Frein périphérique"), choices=options([("", _l("Tous")), *choices(BarrierKind)]),
                          default="")
    rome = StringField(_l("Métier recherché"), validators=[
        Optional(), Regexp(ROME_PATTERN, message=ROME_MESSAGE)],
        description=_l("Code ROME, famille ou domaine : M1607, M16 ou M"))
    min_days = _days(_l("Sans contact depuis au moins (jours)"))
    max_days = _days(_l("Sans contact depuis au plus (jours)"))
    next_appointment = SelectField(_l("Prochain rendez-vous"), choices=options(NEXT_APPOINTMENT_CHOICES),
                                   default="")
    alert = SelectField(_l("Alerte"), choices=options(ALERT_CHOICES), default="")
    # Narrowing by team or counselor: only for the roles that see more than one portfolio
    # (choices are set by the view, from the user's team or agency).
    team = SelectField(_l("Équipe"), choices=options([("", _l("Toutes"))]), default="")
    counselor = SelectField(_l("Conseiller référent"), choices=options([("", _l("Tous"))]), default="")
    sort = SelectField(_l("Trier par"), choices=options(SORT_CHOICES), default="name")
    order = SelectField(_l("Ordre"), choices=options([("asc", _l("Croissant")), ("desc", _l("Décroissant"))]),
                        default="asc")
    page = IntegerField(_l("Page"), validators=[Optional(), _in_range(low=1, message=_l("Numéro de page invalide."))])

    def validate_max_days(self, field: IntegerField) -> None:
        low, high = self.min_days.data, field.data
        if low is not None and high is not None and not self.min_days.errors and high < low:
            raise ValidationError(_l("Le maximum doit être supérieur ou égal au minimum."))

    def value(self, name: str) -> Any:
        """The field's value if it is valid, else ``None`` (invalid filters are left out)."""
        field = self[name]
        return None if field.errors or field.data in ("", None, []) else field.data

    def filters(self) -> PortfolioFilters:
        """The query-layer filters from the valid fields (``validate()`` first)."""
        appointment = self.value("next_appointment")
        rome = self.value("rome")
        return PortfolioFilters(
            q=(self.value("q") or "").strip(),
            modality=Modality(self.value("modality")) if self.value("modality") else None,
            flags=list(self.value("flags") or []),
            barrier=BarrierKind(self.value("barrier")) if self.value("barrier") else None,
            rome=rome.strip().upper() if rome else "",
            min_days_without_contact=self.value("min_days"),
            max_days_without_contact=self.value("max_days"),
            next_appointment_within_days=int(appointment) if appointment and appointment != "none" else None,
            without_next_appointment=appointment == "none",
            alert=self.value("alert") or "",
            sort=self.value("sort") or "name",
            descending=self.value("order") == "desc",
            page=self.value("page") or 1,
        )

    def selected(self, name: str) -> int | None:
        """The chosen team or counselor id, if valid."""
        value = self.value(name)
        return int(value) if value else None

    def active_filters(self) -> dict[str, Any]:
        """The valid, non-empty filters (for the audit trail of an export)."""
        skip = {"page"}
        return {name: field.data for name, field in self._fields.items()
                if name not in skip and not field.errors and field.data not in ("", None, [])}
