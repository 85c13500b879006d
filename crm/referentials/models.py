"""Reference data: ROME tree, NAF codes, communes, bassins d'emploi, labour market."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db


class RomeDomain(db.Model):
    """Top of the ROME tree: one letter, 14 domains (A … N)."""

    __tablename__ = "rome_domain"

    code: Mapped[str] = mapped_column(sa.String(1), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(255))

    families: Mapped[list[RomeFamily]] = relationship(back_populates="domain", order_by="RomeFamily.code")


class RomeFamily(db.Model):
    """Letter + 2 digits, e.g. ``M16``."""

    __tablename__ = "rome_family"

    code: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    domain_code: Mapped[str] = mapped_column(sa.ForeignKey("rome_domain.code"), index=True)
    label: Mapped[str] = mapped_column(sa.String(255))

    domain: Mapped[RomeDomain] = relationship(back_populates="families")
    occupations: Mapped[list[RomeOccupation]] = relationship(back_populates="family", order_by="RomeOccupation.code")


class RomeOccupation(db.Model):
    """A ROME fiche métier, e.g. ``M1607`` « Secrétariat »."""

    __tablename__ = "rome_occupation"

    code: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    family_code: Mapped[str] = mapped_column(sa.ForeignKey("rome_family.code"), index=True)
    label: Mapped[str] = mapped_column(sa.String(255))

    family: Mapped[RomeFamily] = relationship(back_populates="occupations")
    appellations: Mapped[list[RomeAppellation]] = relationship(back_populates="occupation")


class RomeAppellation(db.Model):
    """An OGR appellation (job title) under a ROME occupation."""

    __tablename__ = "rome_appellation"

    ogr_code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    rome_code: Mapped[str] = mapped_column(sa.ForeignKey("rome_occupation.code"), index=True)
    label: Mapped[str] = mapped_column(sa.String(255))

    occupation: Mapped[RomeOccupation] = relationship(back_populates="appellations")


class NafSection(db.Model):
    __tablename__ = "naf_section"

    code: Mapped[str] = mapped_column(sa.String(1), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(255))

    codes: Mapped[list[NafCode]] = relationship(back_populates="section")


class NafCode(db.Model):
    """NAF rév. 2 sub-class, e.g. ``5610A``."""

    __tablename__ = "naf_code"

    code: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    section_code: Mapped[str] = mapped_column(sa.ForeignKey("naf_section.code"), index=True)
    label: Mapped[str] = mapped_column(sa.String(255))

    section: Mapped[NafSection] = relationship(back_populates="codes")


class Bassin(db.Model):
    """Bassin d'emploi: a local labour-market area."""

    __tablename__ = "bassin"

    code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(160))


class Commune(db.Model):
    __tablename__ = "commune"

    insee_code: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160), index=True)
    postcode: Mapped[str | None] = mapped_column(sa.String(5), index=True)
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    bassin_code: Mapped[str | None] = mapped_column(sa.ForeignKey("bassin.code"), index=True)
    departement: Mapped[str | None] = mapped_column(sa.String(3), index=True)
    # Zone de revitalisation rurale (priority-public flag source for residents).
    is_zrr: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    bassin: Mapped[Bassin | None] = relationship()


class RelatedOccupation(db.Model):
    """Occupational mobility within a bassin: from ``rome_code`` toward ``related_rome_code``."""

    __tablename__ = "related_occupation"

    bassin_code: Mapped[str] = mapped_column(sa.ForeignKey("bassin.code"), primary_key=True)
    rome_code: Mapped[str] = mapped_column(sa.ForeignKey("rome_occupation.code"), primary_key=True)
    related_rome_code: Mapped[str] = mapped_column(sa.ForeignKey("rome_occupation.code"), primary_key=True)
    score: Mapped[float] = mapped_column()


class LabourShortage(db.Model):
    """Tension on an occupation (share of recruitments judged difficult), by FAP family."""

    __tablename__ = "labour_shortage"

    rome_code: Mapped[str] = mapped_column(sa.ForeignKey("rome_occupation.code"), primary_key=True)
    fap_code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    fap_label: Mapped[str] = mapped_column(sa.String(255))
    tension_pct: Mapped[float] = mapped_column()


class OccupationSectorHires(db.Model):
    """Observed hires per occupation × sector (La Bonne Boite aggregate)."""

    __tablename__ = "occupation_sector_hires"

    rome_code: Mapped[str] = mapped_column(sa.ForeignKey("rome_occupation.code"), primary_key=True)
    naf_code: Mapped[str] = mapped_column(sa.ForeignKey("naf_code.code"), primary_key=True)
    hirings: Mapped[int] = mapped_column()


class SizeBand(db.Model):
    """INSEE headcount band (« tranche d'effectif ») and its size class (TPE, PME, ETI, GE)."""

    __tablename__ = "size_band"

    code: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(32))
    size_class: Mapped[str] = mapped_column(sa.String(3))
