"""Read the reference tables once into arrays the generator samples from.

Only what the built-in subset holds is used (ROME tree, NAF codes, communes with
coordinates and bassins, related occupations, labour shortage, hires per occupation ×
sector, size bands), so the demo never needs the full open-data files.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa


@dataclass
class Reference:
    rome_codes: list[str]
    rome_labels: list[str]
    rome_family: np.ndarray  # index of the family of each occupation
    rome_domain: np.ndarray
    rome_index: dict[str, int]
    shortage: np.ndarray  # tension % per occupation (median when unknown)
    shortage_z: np.ndarray
    rome_weight: np.ndarray  # popularity (hires) used to draw targets and offers
    appellations: dict[int, list[tuple[str, str]]]
    naf_codes: list[str]
    naf_sections: list[str]
    naf_weight: np.ndarray
    naf_romes: dict[int, tuple[np.ndarray, np.ndarray]]  # naf idx -> (rome idx, probabilities)
    rome_nafs: dict[int, np.ndarray]  # rome idx -> naf idx that hire it
    size_bands: list[tuple[str, str]]  # (code, size class)
    commune_codes: list[str]
    commune_names: list[str]
    commune_postcodes: list[str | None]
    commune_lat: np.ndarray
    commune_lon: np.ndarray
    commune_bassin: list[str | None]
    commune_dept: list[str | None]
    commune_zrr: np.ndarray
    related: dict[int, list[tuple[int, float]]] = field(default_factory=dict)  # rome -> [(rome, score)]


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    lat1, lon1, lat2, lon2 = (np.radians(a) for a in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def _required(conn: sa.Connection, sql: str, what: str) -> list[sa.Row]:
    rows = conn.execute(sa.text(sql)).all()
    if not rows:
        raise RuntimeError(f"no {what}: load the reference subset first (flask seed demo does)")
    return rows


def load_reference(conn: sa.Connection) -> Reference:
    """Everything is ordered by code so the same subset always gives the same arrays."""
    rows = _required(conn, "SELECT o.code, o.label, o.family_code, f.domain_code FROM rome_occupation o "
                           "JOIN rome_family f ON f.code = o.family_code ORDER BY o.code", "ROME occupations")
    rome_codes = [r[0] for r in rows]
    rome_index = {c: i for i, c in enumerate(rome_codes)}
    fam_ids = {f: i for i, f in enumerate(sorted({r[2] for r in rows}))}
    dom_ids = {d: i for i, d in enumerate(sorted({r[3] for r in rows}))}
    rome_family = np.array([fam_ids[r[2]] for r in rows])
    rome_domain = np.array([dom_ids[r[3]] for r in rows])

    tension = defaultdict(list)
    for code, pct in conn.execute(sa.text("SELECT rome_code, tension_pct FROM labour_shortage ORDER BY rome_code, fap_code")):
        if code in rome_index:
            tension[rome_index[code]].append(float(pct))
    known = [float(np.mean(v)) for v in tension.values()]
    median = float(np.median(known)) if known else 50.0
    shortage = np.array([float(np.mean(tension[i])) if i in tension else median for i in range(len(rome_codes))])
    spread = float(shortage.std()) or 1.0
    shortage_z = (shortage - shortage.mean()) / spread

    apps: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for ogr, code, label in conn.execute(sa.text("SELECT ogr_code, rome_code, label FROM rome_appellation ORDER BY ogr_code")):
        if code in rome_index:
            apps[rome_index[code]].append((ogr, label))

    naf_rows = conn.execute(sa.text("SELECT code, section_code FROM naf_code ORDER BY code")).all()
    naf_codes = [r[0] for r in naf_rows]
    naf_index = {c: i for i, c in enumerate(naf_codes)}
    hires_rows = conn.execute(sa.text(
        "SELECT rome_code, naf_code, hirings FROM occupation_sector_hires ORDER BY naf_code, rome_code"
    )).all()
    naf_weight = np.zeros(len(naf_codes))
    rome_weight = np.ones(len(rome_codes))
    per_naf: dict[int, list[tuple[int, int]]] = defaultdict(list)
    per_rome: dict[int, set[int]] = defaultdict(set)
    for rome, naf, hires in hires_rows:
        if rome in rome_index and naf in naf_index and hires > 0:
            ni, ri = naf_index[naf], rome_index[rome]
            naf_weight[ni] += hires
            rome_weight[ri] += hires
            per_naf[ni].append((ri, hires))
            per_rome[ri].add(ni)
    naf_romes = {}
    for ni, pairs in per_naf.items():
        idx = np.array([p[0] for p in pairs])
        w = np.array([p[1] for p in pairs], dtype=float)
        naf_romes[ni] = (idx, w / w.sum())
    if naf_weight.sum() == 0:
        naf_weight[:] = 1.0

    bands = [(r[0], r[1]) for r in conn.execute(sa.text("SELECT code, size_class FROM size_band ORDER BY code"))]

    com = _required(conn, "SELECT insee_code, name, postcode, latitude, longitude, bassin_code, departement, is_zrr "
                          "FROM commune WHERE latitude IS NOT NULL AND longitude IS NOT NULL ORDER BY insee_code",
                    "communes with coordinates")

    ref = Reference(
        rome_codes=rome_codes,
        rome_labels=[r[1] for r in rows],
        rome_family=rome_family,
        rome_domain=rome_domain,
        rome_index=rome_index,
        shortage=shortage,
        shortage_z=shortage_z,
        rome_weight=rome_weight,
        appellations=dict(apps),
        naf_codes=naf_codes,
        naf_sections=[r[1] for r in naf_rows],
        naf_weight=naf_weight,
        naf_romes=naf_romes,
        rome_nafs={ri: np.array(sorted(s)) for ri, s in per_rome.items()},
        size_bands=bands,
        commune_codes=[r[0] for r in com],
        commune_names=[r[1] for r in com],
        commune_postcodes=[r[2] for r in com],
        commune_lat=np.array([float(r[3]) for r in com]),
        commune_lon=np.array([float(r[4]) for r in com]),
        commune_bassin=[r[5] for r in com],
        commune_dept=[r[6] for r in com],
        commune_zrr=np.array([bool(r[7]) for r in com]),
    )
    best: dict[tuple[int, int], float] = {}
    for _bassin, rome, rel, score in conn.execute(sa.text(
        "SELECT bassin_code, rome_code, related_rome_code, score FROM related_occupation "
        "ORDER BY bassin_code, rome_code, related_rome_code"
    )):
        if rome in rome_index and rel in rome_index and rome != rel:
            key = (rome_index[rome], rome_index[rel])
            best[key] = max(best.get(key, 0.0), float(score))
    related: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (a, b), s in sorted(best.items()):
        related[a].append((b, s))
    ref.related = {k: sorted(v, key=lambda p: -p[1])[:10] for k, v in related.items()}
    return ref
