"""The static part of the demo world: organisation, staff, employers, catalogue, job seekers.

Everything is drawn from numpy generators spawned from the demo seed and from pools of
French names made once by a seeded Faker, so a seed always gives the same rows.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from faker import Faker

from seeds.demo.bulk import BulkWriter
from seeds.accounts import DEMO_ACCOUNTS
from seeds.demo.profiles import HISTORY_MONTHS, MODALITIES, PORTFOLIO_TARGET, Profile, region_of
from seeds.demo.reference import Reference, haversine_km

CATALOGUE_CSV = Path(__file__).resolve().parent.parent / "data" / "catalogue.csv"
EDUCATION = ("none", "cap_bep", "bac", "bac_2", "bac_3", "bac_5")
DIGITAL = ("autonomous", "partial", "none")
BARRIERS = ("housing", "mobility", "childcare", "health", "literacy", "language", "financial")
NATIONALITY = ("french", "eu", "non_eu")
TRAINING_PROVIDERS = ("AFPA", "GRETA", "CNAM", "CCI Formation", "Compagnons du Devoir", "IFPA", "CFA BTP",
                      "Forma+ Conseil", "Institut régional de formation", "AFTRAL", "Campus des métiers")
TRAINING_FUNDERS = ("France Travail (AIF)", "Région", "OPCO", "CPF", "Région / France Travail")


@lru_cache(maxsize=65536)
def ascii_slug(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in norm.lower() if c.isalnum() or c in ".-")


_ISO: dict[int, str] = {}
_CLOCK = [f" {m // 60:02d}:{m % 60:02d}:00.000000" for m in range(48 * 60)]


def iso(day: int) -> str:
    """Date text from a day ordinal (what the bulk writer stores for a date), cached."""
    text = _ISO.get(day)
    if text is None:
        text = _ISO[day] = date.fromordinal(int(day)).isoformat()
    return text


def ts(day: int, minute: int = 0) -> str:
    """Timestamp text from a day ordinal and a minute of the day (the bulk writer's format)."""
    return iso(day) + _CLOCK[minute]


@dataclass
class Names:
    female: list[str]
    male: list[str]
    last: list[str]
    companies: list[str]
    streets: list[str]

    @classmethod
    def build(cls, seed: int) -> Names:
        fake = Faker("fr_FR")
        fake.seed_instance(seed)
        return cls(
            female=sorted({fake.first_name_female() for _ in range(600)}),
            male=sorted({fake.first_name_male() for _ in range(600)}),
            last=sorted({fake.last_name() for _ in range(3000)}),
            companies=sorted({fake.company() for _ in range(6000)}),
            streets=[fake.street_address() for _ in range(3000)],
        )


@dataclass
class Staff:
    """Users created so far, with portfolio loads for the referent assignment."""

    next_id: int = 1
    rows: list[tuple] = field(default_factory=list)  # pending inserts
    team_rows: list[tuple] = field(default_factory=list)
    next_team: int = 1
    pools: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # (agency, modality) -> user ids
    load: dict[int, int] = field(default_factory=dict)
    team_of_agency: dict[int, list[list[int]]] = field(default_factory=dict)  # agency -> [[team_id, members]]
    by_role: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    emails: set[str] = field(default_factory=set)
    reserved: dict[str, str] = field(default_factory=dict)  # role -> demo e-mail not yet given
    created_day: int = 0


class World:
    """Holds the generated static world and the writers; see ``build_world``."""

    def __init__(self, *, writer: BulkWriter, ref: Reference, profile: Profile, seed: int, today: date,
                 password_hash: str, history_months: int = HISTORY_MONTHS) -> None:
        self.w = writer
        self.ref = ref
        self.profile = profile
        self.seed = seed
        self.today = today
        self.today_day = today.toordinal()
        first = date(today.year, today.month, 1)
        for _ in range(history_months):
            first = (first - timedelta(days=1)).replace(day=1)
        self.history_start = first.toordinal()
        ss = np.random.SeedSequence(seed)
        self.rng_world, self.rng_sim, self.rng_emit = (np.random.default_rng(s) for s in ss.spawn(3))
        self.names = Names.build(seed)
        self.password_hash = password_hash
        self.staff = Staff(reserved={role: email for role, email, _ in DEMO_ACCOUNTS})
        self.created = ts(self.history_start - 60, 8 * 60)
        self.commune_idx = {c: k for k, c in enumerate(ref.commune_codes)}

    # ------------------------------------------------------------------ organisation
    def build_organisation(self) -> None:
        ref, rng = self.ref, self.rng_world
        n_communes = len(ref.commune_codes)
        n_agencies = max(2, min(self.profile.agencies, n_communes // 6))
        # Small demos stay in one département (one direction), bigger ones spread out.
        if self.profile.agencies <= 3:  # small
            depts = np.array([d or "" for d in ref.commune_dept])
            values, counts = np.unique(depts, return_counts=True)
            home = values[np.argmax(counts)]
            catchment = np.flatnonzero(depts == home)
        else:
            catchment = np.arange(n_communes)
        self.catchment = catchment
        weight = rng.lognormal(0.0, 1.1, size=n_communes)
        # Farthest-point sampling from a heavy commune: agencies in distinct towns.
        first = catchment[np.argmax(weight[catchment])]
        chosen = [first]
        mind = haversine_km(ref.commune_lat[catchment], ref.commune_lon[catchment],
                            ref.commune_lat[first], ref.commune_lon[first])
        while len(chosen) < n_agencies:
            score = mind * weight[catchment] ** 0.3
            nxt = catchment[int(np.argmax(score))]
            chosen.append(nxt)
            mind = np.minimum(mind, haversine_km(ref.commune_lat[catchment], ref.commune_lon[catchment],
                                                 ref.commune_lat[nxt], ref.commune_lon[nxt]))
        self.agency_commune = np.array(chosen)
        weight[self.agency_commune] *= 25.0
        d = np.stack([haversine_km(ref.commune_lat[catchment], ref.commune_lon[catchment],
                                   ref.commune_lat[c], ref.commune_lon[c]) for c in chosen])
        self.commune_agency = np.full(n_communes, -1)
        self.commune_agency[catchment] = np.argmin(d, axis=0)
        p = weight[catchment] / weight[catchment].sum()
        self.commune_p = p

        region = region_of(ref.commune_dept[chosen[0]])
        self.w.insert("region", ["id", "code", "name"], [(1, "DEMO", region)])
        directions: dict[str, int] = {}
        for c in chosen:
            dept = ref.commune_dept[c] or "00"
            directions.setdefault(dept, len(directions) + 1)
        self.w.insert("territorial_direction", ["id", "region_id", "name"],
                      [(i, 1, f"Direction territoriale {dept}") for dept, i in directions.items()])
        agency_rows = []
        for a, c in enumerate(chosen):
            aid = a + 1
            street = self.names.streets[a % len(self.names.streets)]
            agency_rows.append((aid, f"AG{aid:03d}", directions[ref.commune_dept[c] or "00"],
                                f"Agence {ref.commune_names[c].title()}", ref.commune_codes[c],
                                ref.commune_bassin[c], f"{street}, {ref.commune_postcodes[c] or ''} "
                                f"{ref.commune_names[c].title()}", self.created, self.created))
        self.w.insert("agency", ["id", "external_id", "direction_id", "name", "commune_insee", "bassin_code",
                                 "address", "created_at", "updated_at"], agency_rows)
        from seeds.demo.profiles import CONTACT_INTERVAL_DAYS

        self.w.insert("agency_modality_setting", ["id", "agency_id", "modality", "contact_interval_days",
                                                  "portfolio_target"],
                      [(a * len(MODALITIES) + i + 1, a + 1, m, CONTACT_INTERVAL_DAYS[m], PORTFOLIO_TARGET[m])
                       for a in range(n_agencies) for i, m in enumerate(MODALITIES)])
        self.n_agencies = n_agencies
        for a in range(n_agencies):
            aid = a + 1
            self.new_team(aid, "Entreprises", kind="employers")
            self.new_team(aid, "Accompagnement 1")
            self.new_user("director", aid, None)
            self.new_user("benefits_counselor", aid, self.accompaniment_team(aid))
            if a % 4 == 0:
                self.new_user("psychologist", aid, self.accompaniment_team(aid))
        self.new_user("admin", 1, None)

    def new_team(self, agency: int, name: str, *, kind: str = "job_seekers") -> int:
        st = self.staff
        tid = st.next_team
        st.next_team += 1
        st.team_rows.append((tid, agency, name, kind, self.created, self.created))
        if kind == "job_seekers":
            st.team_of_agency.setdefault(agency, []).append([tid, 0])
        else:
            st.by_role[(agency, "employer_team")] = [tid]
        # The demo team manager manages counselors of job seekers (the team overview's audience).
        self.new_user("team_manager", agency, tid, demo=kind == "job_seekers")
        return tid

    def accompaniment_team(self, agency: int) -> int:
        """The agency's current job-seeker team, opening a new one past 14 agents (seed 002: 10–15)."""
        teams = self.staff.team_of_agency[agency]
        if teams[-1][1] >= 14:
            self.new_team(agency, f"Accompagnement {len(teams) + 1}")
        teams[-1][1] += 1
        return teams[-1][0]

    def new_user(self, role: str, agency: int, team: int | None, *, sector: str | None = None,
                 demo: bool = True) -> int:
        st, rng, names = self.staff, self.rng_world, self.names
        uid = st.next_id
        st.next_id += 1
        female = rng.random() < 0.6
        first = names.female[rng.integers(len(names.female))] if female else names.male[rng.integers(len(names.male))]
        last = names.last[rng.integers(len(names.last))]
        wants_demo = demo and role in st.reserved and (
            role != "counselor" or team is not None and self._demo_counselor_ok)
        if wants_demo and agency == 1:
            email = st.reserved.pop(role)
        else:
            base = f"{ascii_slug(first)}.{ascii_slug(last)}"
            email = f"{base}@proxima.demo"
            n = 2
            while email in st.emails:
                email = f"{base}{n}@proxima.demo"
                n += 1
        st.emails.add(email)
        created = self.created if st.created_day == 0 else ts(st.created_day, 8 * 60)
        st.rows.append((uid, f"AGT{uid:05d}", email, first, last, role, agency if role != "admin" else None,
                        team, self.password_hash, True, "fr", 0, sector, created, created))
        st.by_role.setdefault((agency, role), []).append(uid)
        return uid

    _demo_counselor_ok = False

    def flush_staff(self) -> None:
        st = self.staff
        if st.team_rows:
            self.w.insert("team", ["id", "agency_id", "name", "kind", "created_at", "updated_at"], st.team_rows)
            st.team_rows = []
        if st.rows:
            self.w.insert("user", ["id", "external_id", "email", "first_name", "last_name", "role", "agency_id",
                                   "team_id", "password_hash", "is_active_account", "locale", "failed_logins",
                                   "sector_segment", "created_at", "updated_at"], st.rows)
            st.rows = []

    def referent_for(self, agency: int, modality: str) -> int:
        """Fill the least loaded counselor of the agency and modality; hire one when all are full."""
        st = self.staff
        pool = st.pools.setdefault((agency, modality), [])
        cap = PORTFOLIO_TARGET[modality] * 1.1
        if not pool or min(st.load[u] for u in pool) >= cap:
            self._demo_counselor_ok = modality == "guide"
            uid = self.new_user("counselor", agency, self.accompaniment_team(agency))
            self._demo_counselor_ok = False
            pool.append(uid)
            st.load[uid] = 0
        best = min(pool, key=lambda u: (st.load[u], u))
        st.load[best] += 1
        return best

    # ------------------------------------------------------------------ employers
    def build_employers(self) -> None:
        ref, rng, n = self.ref, self.rng_world, self.profile.employers
        self.n_employers = n
        communes = rng.choice(self.catchment, size=n, p=self.commune_p)
        self.emp_commune = communes
        self.emp_agency = self.commune_agency[communes]
        nw = ref.naf_weight / ref.naf_weight.sum()
        naf = rng.choice(len(ref.naf_codes), size=n, p=nw)
        self.emp_naf = naf
        bands = [b for b in ref.size_bands if b[0] not in ("00", "NN")] or ref.size_bands
        size_class = np.array([b[1] for b in bands])
        bw = np.array([{"TPE": 6.0, "PME": 2.0, "ETI": 0.25, "GE": 0.08}.get(b[1], 1.0) for b in bands])
        band_idx = rng.choice(len(bands), size=n, p=bw / bw.sum())
        self.emp_class = size_class[band_idx]
        size_factor = np.array([{"TPE": 0.5, "PME": 1.6, "ETI": 4.0, "GE": 7.0}.get(c, 1.0) for c in self.emp_class])
        # Latent hiring potential: size × sector × a persistent firm effect (what model 3 learns).
        sector = np.log1p(ref.naf_weight[naf]) / np.log1p(ref.naf_weight.max())
        self.emp_lambda = size_factor * (0.4 + sector) * rng.lognormal(0.0, 0.6, size=n)
        self.emp_lambda /= self.emp_lambda.mean()

        # Employer counselors: about 130 employers each, split by NAF sections.
        counselors = np.zeros(n, dtype=int)
        for a in range(self.n_agencies):
            idx = np.flatnonzero(self.emp_agency == a)
            k = max(1, round(len(idx) / 130))
            team = self.staff.by_role[(a + 1, "employer_team")][0]
            sections = np.array([ref.naf_sections[i] for i in naf[idx]])
            order = np.argsort(sections, kind="stable")
            chunks = np.array_split(order, k)
            for chunk in chunks:
                segs = sorted(set(sections[chunk]))
                uid = self.new_user("employer_counselor", a + 1, team, sector=",".join(segs)[:64])
                counselors[idx[chunk]] = uid
        self.emp_counselor = counselors
        seg = np.where(np.isin(self.emp_class, ["ETI", "GE"]), "key_account",
                       np.where(self.emp_class == "TPE", "very_small", "sme"))
        public = np.array([ref.naf_codes[i][:2] in ("84", "85", "86", "87", "88") for i in naf])
        seg = np.where(public & (rng.random(n) < 0.5), "public_sector", seg)
        names = self.names
        rows, contacts, sites = [], [], []
        cid = sid = 0
        positions = ("Responsable des ressources humaines", "Gérant", "Gérante", "Directeur d'établissement",
                     "Chargée de recrutement", "Responsable d'exploitation")
        for i in range(n):
            eid = i + 1
            name = names.companies[i % len(names.companies)]
            if i >= len(names.companies):
                name = f"{name} {ref.commune_names[communes[i]].title()}"
            c = communes[i]
            siret = f"{(self.seed * 7919 + i * 104729) % 10**9:09d}{(i * 31 + 17) % 10**5:05d}"
            rows.append((eid, f"EMP{eid:06d}", siret, name[:200], ref.naf_codes[naf[i]], bands[band_idx[i]][0],
                         ref.commune_codes[c], f"{names.streets[(i * 7) % len(names.streets)]}",
                         int(self.emp_agency[i]) + 1, int(counselors[i]), str(seg[i]),
                         f"https://www.{ascii_slug(name.split()[0])[:30] or 'entreprise'}{eid}.fr", self.created,
                         self.created))
            for k in range(1 + int(rng.random() < 0.4)):
                cid += 1
                female = rng.random() < 0.5
                first = names.female[rng.integers(len(names.female))] if female else names.male[
                    rng.integers(len(names.male))]
                last = names.last[rng.integers(len(names.last))]
                contacts.append((cid, eid, first, last, positions[int(rng.integers(len(positions)))],
                                 f"{ascii_slug(first)}.{ascii_slug(last)}@{ascii_slug(name.split()[0])[:20] or 'e'}"
                                 f"{eid}.fr", f"0{int(rng.integers(1, 6))} {int(rng.integers(10, 99))} "
                                 f"{int(rng.integers(10, 99))} {int(rng.integers(10, 99))} {int(rng.integers(10, 99))}",
                                 k == 0))
            if self.emp_class[i] in ("ETI", "GE", "PME") and rng.random() < 0.5:
                sid += 1
                other = rng.choice(self.catchment, p=self.commune_p)
                sites.append((sid, eid, f"Site de {ref.commune_names[other].title()}", ref.commune_codes[other],
                               names.streets[(i * 13) % len(names.streets)]))
        self.flush_staff()
        self.w.insert("employer", ["id", "external_id", "siret", "name", "naf_code", "size_band_code",
                                   "commune_insee", "address", "agency_id", "counselor_id", "segment", "website",
                                   "created_at", "updated_at"], rows)
        self.w.insert("employer_contact", ["id", "employer_id", "first_name", "last_name", "position", "email",
                                           "phone", "is_primary"], contacts)
        self.w.insert("employer_site", ["id", "employer_id", "label", "commune_insee", "address"], sites)
        # Employers per ROME occupation (via the sectors that hire it), for hires outside MER.
        self.emp_by_agency = [np.flatnonzero(self.emp_agency == a) for a in range(self.n_agencies)]

    # ------------------------------------------------------------------ catalogue
    def build_catalogue(self) -> None:
        ref, rng = self.ref, self.rng_world
        rows, romes, sessions = [], [], []
        self.items: list[dict] = []
        with CATALOGUE_CSV.open(encoding="utf-8") as fh:
            fixed = list(csv.DictReader(fh))
        iid = 0
        agency_communes = [ref.commune_codes[c] for c in self.agency_commune]

        def add(kind: str, code: str | None, title: str, *, provider: str | None, funder: str | None,
                hours: float | None, commune: str | None, partner: str | None = None, event: str | None = None,
                eligibility: dict | None = None, cert: bool = False, employer: int | None = None,
                description: str | None = None, rome: list[int] | None = None) -> int:
            nonlocal iid
            iid += 1
            quality = float(rng.normal(0.0, 0.5))
            rows.append((iid, f"CAT{iid:05d}", kind, code, title[:255], description, provider, funder, hours, commune,
                         partner, event, eligibility or {}, cert, True, employer, self.created, self.created))
            for r in sorted(set(rome or [])):
                romes.append((iid, ref.rome_codes[r]))
            self.items.append({"id": iid, "kind": kind, "code": code, "quality": quality, "rome": rome or [],
                               "eligibility": eligibility or {}, "hours": hours or 0, "partner": partner,
                               "event": event, "commune": commune, "employer": employer, "sessions": []})
            return iid

        for row in fixed:
            if row["kind"] == "event":
                continue  # events are dated occurrences per agency, made below
            add(row["kind"], row["code"], row["title"], provider=row["provider"] or None, funder=row["funder"] or None,
                hours=float(row["duration_hours"]) if row["duration_hours"] else None, commune=None,
                partner=row["partner_kind"] or None, eligibility=json.loads(row["eligibility"] or "{}"),
                description=row["description"] or None)
        events = [r for r in fixed if r["kind"] == "event"]
        # Trainings toward occupations of the subset: shortage and popularity weigh the choice.
        w = ref.rome_weight ** 0.5 * (1 + np.clip(ref.shortage_z, -1, 2))
        w = np.clip(w, 1e-6, None)
        t_romes = rng.choice(len(ref.rome_codes), size=self.profile.trainings,
                             replace=self.profile.trainings > len(ref.rome_codes), p=w / w.sum())
        for r in t_romes:
            apps = ref.appellations.get(int(r))
            title = apps[int(rng.integers(len(apps)))][1] if apps else ref.rome_labels[r]
            level = ("Titre professionnel", "CAP", "Certificat de qualification professionnelle", "Formation",
                     "BTS", "Préparation opérationnelle à l'emploi")[int(rng.integers(6))]
            cert = level not in ("Formation", "Préparation opérationnelle à l'emploi")
            hours = float(rng.choice([70, 140, 280, 400, 600, 900]))
            add("training", "POE" if level.startswith("Prép") else None, f"{level} – {title}",
                provider=TRAINING_PROVIDERS[int(rng.integers(len(TRAINING_PROVIDERS)))],
                funder=TRAINING_FUNDERS[int(rng.integers(len(TRAINING_FUNDERS)))], hours=hours,
                commune=agency_communes[int(rng.integers(len(agency_communes)))], cert=cert,
                eligibility={"min_education": "bac"} if level == "BTS" else {},
                description=f"Formation vers le métier « {ref.rome_labels[r]} » ({ref.rome_codes[r]}).",
                rome=[int(r)])
        n_events = max(4, self.profile.trainings // 5)
        for k in range(n_events):
            ev = events[k % len(events)]
            a = k % self.n_agencies
            employer = None
            rome: list[int] = []
            if ev["event_kind"] in ("job_dating", "mrs_session") and len(self.emp_by_agency[a]):
                e = int(self.emp_by_agency[a][int(rng.integers(len(self.emp_by_agency[a])))])
                employer = e + 1
                pair = ref.naf_romes.get(int(self.emp_naf[e]))
                if pair is not None:
                    rome = [int(rng.choice(pair[0], p=pair[1]))]
            title = ev["title"] + (f" – {ref.rome_labels[rome[0]]}" if rome else "")
            add("event", ev["code"], title, provider=ev["provider"], funder=ev["funder"],
                hours=float(ev["duration_hours"]), commune=agency_communes[a], event=ev["event_kind"],
                employer=employer, description=ev["description"], rome=rome)
        # Sessions: trainings a few times over the history and ahead; workshops monthly per agency.
        sid = 0
        start, end = self.history_start, self.today_day + 120
        agency_place = {ref.commune_codes[c]: f"Agence {ref.commune_names[c].title()}" for c in self.agency_commune}
        for item in self.items:
            kind = item["kind"]
            if kind == "partner_service":
                continue
            if kind == "training":
                starts = sorted(int(s) for s in rng.integers(start, end, size=int(rng.integers(2, 5))))
            elif kind == "event":
                starts = [int(rng.integers(start, end))]
            else:  # workshops and prestations: monthly
                starts = list(range(start + int(rng.integers(0, 20)), end, 30))
            places = [item["commune"]] if item["commune"] else agency_communes
            for s in starts:
                for place in places:
                    sid += 1
                    days = max(1, int(item["hours"] // 35) * 7) if kind == "training" else 0
                    capacity = {"training": 12, "workshop": 10, "prestation": 8, "event": 40}[kind]
                    sessions.append((sid, f"SES{sid:06d}", item["id"], date.fromordinal(s).isoformat(),
                                     date.fromordinal(s + days).isoformat(), place,
                                     agency_place.get(place), capacity))
                    item["sessions"].append((sid, s, capacity, place))
        self.w.insert("catalogue_item", ["id", "external_id", "kind", "code", "title", "description", "provider",
                                         "funder", "duration_hours", "commune_insee", "partner_kind", "event_kind",
                                         "eligibility", "leads_to_certification", "active", "employer_id",
                                         "created_at", "updated_at"], rows)
        self.w.insert("catalogue_item_rome", ["item_id", "rome_code"], romes)
        self.w.insert("catalogue_session", ["id", "external_id", "item_id", "starts_on", "ends_on", "commune_insee",
                                            "place", "capacity"], sessions)
        self.session_load = {s[0]: 0 for s in sessions}
        self.items_by_kind: dict[str, list[dict]] = {}
        for item in self.items:
            self.items_by_kind.setdefault(item["kind"], []).append(item)
        self.trainings_by_rome: dict[int, list[dict]] = {}
        for item in self.items_by_kind.get("training", []):
            for r in item["rome"]:
                self.trainings_by_rome.setdefault(r, []).append(item)
        self.partner_by_kind = {i["partner"]: i for i in self.items_by_kind.get("partner_service", [])}
        self.items_by_code = {i["code"]: i for i in self.items if i["code"]}
