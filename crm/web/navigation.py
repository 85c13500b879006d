"""The side menu, per role. Entries whose page is not built yet stay visible but
disabled (« bientôt ») so the menu never leads to a 404; later issues give them an
endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from crm.organisation.models import Role, User


@dataclass(frozen=True)
class NavItem:
    label: LazyString
    endpoint: str | None = None  # None: page not built yet
    anchor: str | None = None  # a section of the page

    @property
    def available(self) -> bool:
        return self.endpoint is not None

    @property
    def url(self) -> str | None:
        if self.endpoint is None:
            return None
        return url_for(self.endpoint, _anchor=self.anchor)

    @property
    def current(self) -> bool:
        return self.endpoint is not None and self.anchor is None and request.endpoint == self.endpoint


HOME = NavItem(_l("Accueil"), "web.home")

NAVIGATION: dict[Role, tuple[NavItem, ...]] = {
    Role.COUNSELOR: (
        HOME,
        NavItem(_l("Mon portefeuille"), "portfolio.index"),
        NavItem(_l("À contacter en priorité"), "priority.job_seekers"),
        NavItem(_l("Mes tâches"), "web.home", "taches"),
        NavItem(_l("Catalogue de services")),
        NavItem(_l("Événements"), "events.index"),
    ),
    Role.EMPLOYER_COUNSELOR: (
        HOME,
        NavItem(_l("Mes entreprises"), "employers.index"),
        NavItem(_l("À recontacter"), "employers.recontact"),
        NavItem(_l("Offres"), "offers.index"),
        NavItem(_l("Événements"), "events.index"),
        NavItem(_l("Entreprises à contacter en priorité"), "priority.employers"),
        NavItem(_l("Mes tâches"), "web.home", "taches"),
    ),
    Role.BENEFITS_COUNSELOR: (
        HOME,
        NavItem(_l("Indemnisation"), "web.home", "indemnisation"),
        NavItem(_l("Mes demandeurs d'emploi indemnisés"), "portfolio.index"),
        NavItem(_l("Mes tâches"), "web.home", "taches"),
    ),
    Role.PSYCHOLOGIST: (
        HOME,
        NavItem(_l("Mes rendez-vous"), "web.home", "agenda"),
        NavItem(_l("Prestations d'orientation")),
    ),
    Role.TEAM_MANAGER: (
        HOME,
        NavItem(_l("Mon équipe"), "teams.overview"),
        NavItem(_l("Portefeuilles de l'équipe"), "portfolio.index"),
        NavItem(_l("Priorités des conseillers"), "priority.job_seekers"),
        NavItem(_l("Réaffectations"), "teams.reassign"),
        NavItem(_l("Reporting hebdomadaire"), "agency.weekly"),
    ),
    Role.DIRECTOR: (
        HOME,
        NavItem(_l("Mon agence"), "agency.overview"),
        NavItem(_l("Demandeurs d'emploi de l'agence"), "portfolio.index"),
        NavItem(_l("Entreprises de l'agence"), "employers.index"),
        NavItem(_l("Réaffecter un secteur"), "employers.bulk_reassign"),
        NavItem(_l("Reporting hebdomadaire"), "agency.weekly"),
        NavItem(_l("Bassin d'emploi"), "agency.bassin"),
        NavItem(_l("Santé des modèles"), "modelhealth.index"),
    ),
    Role.ADMIN: (
        HOME,
        NavItem(_l("Utilisateurs"), "web.home", "utilisateurs"),
        NavItem(_l("Jetons d'API"), "api_tokens.admin_index"),
        NavItem(_l("Données personnelles (RGPD)"), "gdpr.index"),
        NavItem(_l("Journal d'audit"), "audit.index"),
        NavItem(_l("Modèles"), "modelhealth.index"),
        NavItem(_l("Référentiels")),
    ),
}


def navigation_for(user: User | None) -> tuple[NavItem, ...]:
    if user is None or not getattr(user, "is_authenticated", False):
        return ()
    return NAVIGATION.get(user.role, (HOME,))
