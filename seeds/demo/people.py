"""Job seekers: observable attributes, the latent employability, and their static rows."""

from __future__ import annotations

import json
from datetime import date
from functools import partial

import numpy as np

from seeds.demo.fastrand import Stream
from seeds.demo.profiles import OLD_STOCK_SHARE
from seeds.demo.world import BARRIERS, DIGITAL, EDUCATION, NATIONALITY, World, ascii_slug, iso, ts

WORK_AXES = ("Élaborer son projet professionnel", "Adapter ses compétences au marché", "Cibler ses candidatures",
             "Lever les freins périphériques", "Créer ou reprendre une entreprise", "Se former")
OTHER_LANGUAGES = ("ar", "pt", "ro", "tr", "es", "it", "pl", "ru")
CONTRACTS = ("cdi", "cdd", "interim", "seasonal", "apprenticeship")
dumps = partial(json.dumps, ensure_ascii=False)  # JSON columns, as the bulk writer encodes them


class People:
    """Column arrays, one entry per job seeker (index i ↔ id i + 1)."""

    def __init__(self, world: World) -> None:
        ref, rng, n = world.ref, world.rng_world, world.profile.job_seekers
        self.n = n
        h0, today = world.history_start, world.today_day
        old = rng.random(n) < OLD_STOCK_SHARE
        reg = np.where(old, rng.integers(h0 - 3 * 365, h0 - 180, size=n), rng.integers(h0 - 90, today - 4, size=n))
        self.reg_day = np.sort(reg)  # ids follow registration order
        self.commune = rng.choice(world.catchment, size=n, p=world.commune_p)
        self.agency = world.commune_agency[self.commune]
        band = rng.choice(3, size=n, p=[0.22, 0.54, 0.24])
        age = np.where(band == 0, rng.uniform(18, 26, n), np.where(band == 1, rng.uniform(26, 50, n),
                                                                   rng.uniform(50, 63, n)))
        self.age_at_reg = age
        self.birth_day = (self.reg_day - age * 365.25).astype(int)
        self.female = rng.random(n) < 0.51
        self.nationality = rng.choice(3, size=n, p=[0.84, 0.05, 0.11])
        edu_p = np.array([[0.12, 0.25, 0.33, 0.14, 0.08, 0.08],
                          [0.13, 0.27, 0.22, 0.13, 0.11, 0.14],
                          [0.24, 0.36, 0.16, 0.10, 0.07, 0.07]])
        u = rng.random(n)
        self.edu = (u[:, None] > np.cumsum(edu_p[band], axis=1)).sum(axis=1).clip(0, 5)
        exp_scale = np.array([6.0, 40.0, 90.0])[band]
        self.experience = np.minimum(rng.gamma(1.6, exp_scale), (age - 16) * 12).astype(int).clip(0)
        edu_z = (self.edu - 2) / 1.5
        dig = 0.9 * edu_z - 0.9 * (band == 2) + 0.3 * (band == 0) + rng.normal(0, 0.8, n)
        self.digital = np.where(dig > -0.45, 0, np.where(dig > -1.5, 1, 2))
        self.rsa = rng.random(n) < 0.05 + 0.10 * (self.edu <= 1) + 0.04 * old
        self.rqth = rng.random(n) < 0.04 + 0.06 * (band == 2) + 0.03 * (band == 1)
        self.qpv = rng.random(n) < 0.09 + 0.08 * (self.edu <= 1) + 0.05 * (self.nationality == 2)
        self.zrr = ref.commune_zrr[self.commune]
        # Peripheral barriers (seed 001); language barriers are what links nationality to outcomes.
        lam = 0.25 + 0.45 * self.rsa + 0.25 * self.qpv + 0.35 * (self.edu == 0) + 0.25 * (self.digital == 2)
        nb = np.minimum(rng.poisson(lam), 4)
        self.barriers: list[list[str]] = []
        base_w = [0.18, 0.24, 0.16, 0.14, 0.08, 0.06, 0.14]
        rs = Stream(np.random.default_rng(int(rng.integers(2**62))))  # single draws of the loops below
        nationality, rqth = self.nationality.tolist(), self.rqth.tolist()
        for i in range(n):
            w = list(base_w)
            if nationality[i] == 2:
                w[5] *= 6
            if rqth[i]:
                w[3] *= 5
            k = int(nb[i]) + (1 if rqth[i] and nb[i] == 0 and rs.random() < 0.5 else 0)
            kinds = rs.weighted_sample(w, min(k, 4)) if k else []
            self.barriers.append([BARRIERS[j] for j in sorted(kinds)])
        self.n_barriers = np.array([len(b) for b in self.barriers])
        self.motivation = rng.normal(0, 0.5, n)
        exp_z = np.clip(np.log1p(self.experience) / np.log1p(120) * 2 - 1, -1, 1.2)
        dig_effect = np.array([0.45, 0.0, -0.55])[self.digital]
        # Latent employability: observables plus noise; gender and nationality never enter.
        self.e0 = (0.42 * edu_z + 0.35 * exp_z + dig_effect - 0.55 * (band == 2) - 0.1 * (band == 0)
                   - 0.3 * self.rsa - 0.25 * old + rng.normal(0, 0.4, n))
        barrier_load = self.e0 - 0.45 * self.n_barriers
        d = barrier_load + rng.normal(0, 0.3, n)
        young = age < 26
        mod = np.full(n, 1)  # guide
        mod[(self.digital == 0) & (d > 0.0)] = 0  # suivi
        mod[d < -0.75] = 2  # renforce
        mod[self.rsa & (self.n_barriers >= 2) & (rng.random(n) < 0.8)] = 3  # global
        mod[young & (d < 0.1) & (rng.random(n) < 0.5)] = 4  # aij
        self.modality = mod
        self.gainable = np.where((self.edu <= 2) & (self.e0 > -1.0) & (self.e0 < 0.8), 1.0, 0.15)
        # Target occupations: popular ones first, then related ones (bassin mobility) or the same family.
        w = ref.rome_weight ** 0.6
        primary = rng.choice(len(ref.rome_codes), size=n, p=w / w.sum())
        targets = np.full((n, 3), -1)
        targets[:, 0] = primary
        n_t = rng.choice([1, 2, 3], size=n, p=[0.4, 0.35, 0.25])
        fam_members: dict[int, np.ndarray] = {}
        for i in range(n):
            p0 = int(primary[i])
            rel = ref.related.get(p0, [])
            for k in range(1, int(n_t[i])):
                if rel and rs.random() < 0.6:
                    cand = rel[(rs.integers(len(rel)))][0]
                else:
                    f = int(ref.rome_family[p0])
                    if f not in fam_members:
                        fam_members[f] = np.flatnonzero(ref.rome_family == f)
                    cand = int(fam_members[f][(rs.integers(len(fam_members[f])))])
                if cand not in targets[i, :k]:
                    targets[i, k] = cand
        self.targets = targets
        mob_p = rng.random(n)
        self.mobility_km = np.where(np.array(["mobility" in b for b in self.barriers]),
                                    np.where(mob_p < 0.5, 5, 10),
                                    np.select([mob_p < 0.25, mob_p < 0.65, mob_p < 0.9], [10, 20, 30], 50))
        # Benefit rights (ARE) for those with enough past work; ASS for the old stock once ARE ran out.
        has_are = (self.experience >= 4) & (rng.random(n) < 0.8)
        dur = np.clip(self.experience * 30 * 0.9, 182, np.where(age >= 53, 822, 548)).astype(int)
        self.are_start = self.reg_day + 7
        self.are_end = np.where(has_are, self.are_start + dur, -1)
        self.daily = np.round(np.clip(28 + 9 * self.edu + rng.normal(0, 6, n), 31, 120), 2)
        self.ass = has_are & old & (self.are_end < today) & (rng.random(n) < 0.4)

    def write(self, world: World) -> None:
        """Static rows; derived fields (referent, status, last contacts) are updated at the end."""
        ref, names = world.ref, world.names
        rs = Stream(np.random.default_rng(int(world.rng_world.integers(2**62))))
        created = world.created
        js_rows, target_rows, consent_rows, barrier_rows, right_rows = [], [], [], [], []
        self.work_axes: list[list[str]] = []
        tid = cid = bid = rid = 0
        for i in range(self.n):
            jid = i + 1
            female = bool(self.female[i])
            first = names.female[(rs.integers(len(names.female)))] if female else names.male[
                (rs.integers(len(names.male)))]
            last = names.last[(rs.integers(len(names.last)))]
            reg_day = int(self.reg_day[i])
            reg = iso(reg_day)
            c = int(self.commune[i])
            langs = ["fr"] + (["en"] if self.edu[i] >= 3 or rs.random() < 0.15 else [])
            if self.nationality[i] != 0:
                langs.append(OTHER_LANGUAGES[(rs.integers(len(OTHER_LANGUAGES)))])
            apps = ref.appellations.get(int(self.targets[i, 0]), [])
            skills = sorted({apps[(rs.integers(len(apps)))][1] for _ in range(min(3, len(apps)))})[:3]
            axes = [WORK_AXES[j] for j in sorted(rs.sample(len(WORK_AXES), rs.integers(1, 3)))]
            if self.n_barriers[i] and "Lever les freins périphériques" not in axes:
                axes.append("Lever les freins périphériques")
            self.work_axes.append(axes)
            contracts = [CONTRACTS[j] for j in sorted(rs.sample(5, rs.integers(1, 4)))]
            category = "A" if rs.random() < 0.9 else ("B" if rs.random() < 0.6 else "C")
            js_rows.append((
                jid, f"DE{jid:07d}", first, last, iso(int(self.birth_day[i])),
                "female" if female else "male", NATIONALITY[int(self.nationality[i])],
                f"{ascii_slug(first)}.{ascii_slug(last)}{jid}@exemple.fr",
                f"06 {jid % 100:02d} {(jid // 100) % 100:02d} {(rs.integers(10, 99))} {(rs.integers(10, 99))}",
                names.streets[(rs.integers(len(names.streets)))], ref.commune_codes[c], int(self.agency[i]) + 1,
                reg, category, MODALITY_CODES[int(self.modality[i])], reg, "active", dumps(contracts),
                int(self.mobility_km[i]), EDUCATION[int(self.edu[i])], int(self.experience[i]), dumps(langs),
                dumps(skills), dumps(axes),
                DIGITAL[int(self.digital[i])], reg, bool(self.rsa[i]), bool(self.rqth[i]), bool(self.qpv[i]),
                bool(self.zrr[i]), created, created,
            ))
            for k in range(3):
                r = int(self.targets[i, k])
                if r >= 0:
                    tid += 1
                    apps_k = ref.appellations.get(r, [])
                    ogr = apps_k[(rs.integers(len(apps_k)))][0] if apps_k and rs.random() < 0.7 else None
                    target_rows.append((tid, jid, ref.rome_codes[r], ogr, k + 1))
            at = ts(reg_day, 9 * 60 + rs.integers(0, 59))
            for kind, p in (("data_processing_information", 1.0), ("email", 0.85), ("sms", 0.75),
                            ("partner_sharing", 0.55), ("profile_promotion", 0.35)):
                if p >= 1.0 or rs.random() < 0.9:
                    cid += 1
                    consent_rows.append((cid, jid, kind, bool(p >= 1.0 or rs.random() < p), at, None,
                                         "Recueilli à l'inscription"))
            for kind in self.barriers[i]:
                bid += 1
                barrier_rows.append([bid, jid, kind, date.fromordinal(reg_day + rs.integers(7, 30)), None, None])
            if self.are_end[i] > 0:
                rid += 1
                right_rows.append((rid, jid, "are", iso(int(self.are_start[i])), iso(int(self.are_end[i])),
                                   float(self.daily[i])))
                if self.ass[i]:
                    rid += 1
                    right_rows.append((rid, jid, "ass", iso(int(self.are_end[i]) + 1), iso(int(self.are_end[i]) + 366),
                                       19.18))
        world.w.insert("job_seeker", [
            "id", "external_id", "first_name", "last_name", "birth_date", "gender", "nationality", "email", "phone",
            "address", "commune_insee", "agency_id", "registration_date", "registration_category", "modality",
            "modality_since", "status", "contract_types", "mobility_km", "education_level", "experience_months",
            "languages", "skills", "work_axes", "digital_autonomy", "available_from", "rsa", "rqth", "qpv", "zrr",
            "created_at", "updated_at"], js_rows, raw=True)
        del js_rows
        world.w.insert("job_seeker_target", ["id", "job_seeker_id", "rome_code", "appellation_code", "rank"],
                       target_rows, raw=True)
        world.w.insert("consent_record", ["id", "job_seeker_id", "kind", "given", "recorded_at", "recorded_by_id",
                                          "notes"], consent_rows, raw=True)
        world.w.insert("benefit_right", ["id", "job_seeker_id", "kind", "start_on", "end_on", "daily_amount"],
                       right_rows, raw=True)
        # Barriers are written after the simulation, which decides when some are resolved.
        self.barrier_rows = barrier_rows
        self.barrier_index: dict[int, list[int]] = {}
        for k, row in enumerate(barrier_rows):
            self.barrier_index.setdefault(row[1] - 1, []).append(k)


MODALITY_CODES = ("suivi", "guide", "renforce", "global", "aij")

