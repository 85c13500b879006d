"""The bassin d'emploi around the agency: job seekers and open offers per occupation,
with the shortage rate, the nearest occupations for mobility, and the partners present.

Figures are aggregates over the whole bassin (every agency's people living in its
communes: a labour market has no agency boundaries); no person is listed. An agency's
bassin is its own, else its commune's. A job seeker counts once for each of their
target occupations (up to 3); an offer is placed at its commune, else its employer's.
The shortage rate is the highest of the occupation's FAP families (« métiers en
tension », share of recruitments judged difficult). Set-based: one grouped query per
source, whatever the size of the bassin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from crm.catalogue.models import CatalogueItem, CatalogueKind
from crm.employers.models import Employer
from crm.enums import Modality
from crm.extensions import db
from crm.jobseekers.models import JobSeeker, JobSeekerStatus, JobSeekerTarget
from crm.offers.models import JobOffer, OfferStatus
from crm.organisation.models import Agency
from crm.referentials.models import Bassin, Commune, LabourShortage, RelatedOccupation, RomeOccupation

OCCUPATIONS_SHOWN = 40


@dataclass
class OccupationRow:
    rome_code: str
    label: str
    job_seekers: int = 0
    offers: int = 0
    positions: int = 0
    shortage_pct: float | None = None
    related: list[tuple[str, str]] = field(default_factory=list)  # (code, label), closest first

    @property
    def positions_per_100(self) -> int | None:
        """Open positions per 100 job seekers targeting the occupation."""
        return round(100 * self.positions / self.job_seekers) if self.job_seekers else None


@dataclass
class BassinView:
    bassin: Bassin
    agencies: list[Agency]
    job_seekers: int  # active, living in the bassin (whatever the modality filter: the filter is per row)
    open_offers: int
    occupations: list[OccupationRow]
    partners: list[Any]
    modality: Modality | None = None


def bassin_of(agency: Agency) -> Bassin | None:
    if agency.bassin_code:
        return db.session.get(Bassin, agency.bassin_code)
    if agency.commune_insee:
        commune = db.session.get(Commune, agency.commune_insee)
        if commune is not None and commune.bassin_code:
            return db.session.get(Bassin, commune.bassin_code)
    return None


def bassin_view(bassin: Bassin, *, modality: Modality | None = None, limit: int = OCCUPATIONS_SHOWN) -> BassinView:
    communes = sa.select(Commune.insee_code).where(Commune.bassin_code == bassin.code).scalar_subquery()
    people = [JobSeeker.status == JobSeekerStatus.ACTIVE, JobSeeker.anonymised_at.is_(None),
              JobSeeker.commune_insee.in_(communes)]
    if modality is not None:
        people.append(JobSeeker.modality == modality)
    place = sa.func.coalesce(JobOffer.commune_insee, Employer.commune_insee)
    offers_where = [JobOffer.status == OfferStatus.OPEN, place.in_(communes)]

    rows: dict[str, OccupationRow] = {}
    for code, n in db.session.execute(
            sa.select(JobSeekerTarget.rome_code, sa.func.count(sa.distinct(JobSeeker.id)))
            .join(JobSeeker, JobSeeker.id == JobSeekerTarget.job_seeker_id).where(*people)
            .group_by(JobSeekerTarget.rome_code)):
        rows.setdefault(code, OccupationRow(code, code)).job_seekers = n
    for code, n, positions in db.session.execute(
            sa.select(JobOffer.rome_code, sa.func.count(), sa.func.coalesce(sa.func.sum(JobOffer.positions), 0))
            .join(Employer, Employer.id == JobOffer.employer_id).where(*offers_where).group_by(JobOffer.rome_code)):
        row = rows.setdefault(code, OccupationRow(code, code))
        row.offers, row.positions = n, int(positions)
    shown = sorted(rows.values(), key=lambda r: (-(r.job_seekers + r.positions), r.rome_code))[:limit]
    codes = [r.rome_code for r in shown]
    if codes:
        labels = dict(db.session.execute(
            sa.select(RomeOccupation.code, RomeOccupation.label).where(RomeOccupation.code.in_(codes))).all())
        shortage = dict(db.session.execute(
            sa.select(LabourShortage.rome_code, sa.func.max(LabourShortage.tension_pct))
            .where(LabourShortage.rome_code.in_(codes)).group_by(LabourShortage.rome_code)).all())
        related = db.session.execute(
            sa.select(RelatedOccupation.rome_code, RelatedOccupation.related_rome_code, RomeOccupation.label)
            .join(RomeOccupation, RomeOccupation.code == RelatedOccupation.related_rome_code)
            .where(RelatedOccupation.bassin_code == bassin.code, RelatedOccupation.rome_code.in_(codes))
            .order_by(RelatedOccupation.rome_code, RelatedOccupation.score.desc())).all()
        by_code = {r.rome_code: r for r in shown}
        for r in shown:
            r.label = labels.get(r.rome_code, r.rome_code)
            r.shortage_pct = shortage.get(r.rome_code)
        for code, related_code, label in related:
            if len(by_code[code].related) < 2:
                by_code[code].related.append((related_code, label))
    total_people = db.session.scalar(sa.select(sa.func.count()).select_from(JobSeeker).where(*people)) or 0
    total_offers = db.session.scalar(
        sa.select(sa.func.count()).select_from(JobOffer).join(Employer, Employer.id == JobOffer.employer_id)
        .where(*offers_where)) or 0
    partners = db.session.execute(
        sa.select(CatalogueItem.id, CatalogueItem.title, CatalogueItem.partner_kind, CatalogueItem.provider,
                  Commune.name.label("commune"))
        .join(Commune, Commune.insee_code == CatalogueItem.commune_insee)
        .where(CatalogueItem.kind == CatalogueKind.PARTNER_SERVICE, CatalogueItem.active.is_(True),
               Commune.bassin_code == bassin.code)
        .order_by(CatalogueItem.partner_kind, CatalogueItem.title)).all()
    agencies = list(db.session.scalars(sa.select(Agency).where(Agency.bassin_code == bassin.code).order_by(Agency.name)))
    return BassinView(bassin=bassin, agencies=agencies, job_seekers=total_people, open_offers=total_offers,
                      occupations=shown, partners=list(partners), modality=modality)
