"""Month-by-month simulation of the history: contacts, proposals, offers and MER, hires.

Rows are buffered for one month and written in foreign-key order at the month's end,
so memory stays bounded whatever the size. See seeds/README.md for the model.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from datetime import date
from itertools import islice
from typing import Any

import numpy as np

from crm.recommendations.candidates import NEEDS
from seeds.demo.fastrand import Stream, cumulative
from seeds.demo.people import MODALITY_CODES, People
from seeds.demo.profiles import (
    APPOINTMENT_STATUS_P, CONTACT_INTERVAL_DAYS, CONTACT_RATE, EXPLORATION_RATE, SEASONAL_SECTORS,
)
from seeds.demo.reference import haversine_km
from seeds.demo.world import World, iso, ts

INTERACTION_COLS = ["id", "external_id", "occurred_at", "job_seeker_id", "employer_id", "author_id", "channel",
                    "direction", "kind", "outcome", "notes", "origin", "offer_id", "catalogue_item_id", "referral_id",
                    "application_id", "appointment_id", "created_at"]
MEANINGFUL = {"done", "reached", "positive", "negative", "follow_up_needed"}
ONLINE = ("login", "job_search", "cv_update", "online_application")
# Shares of the online actions: about 3 a month for an autonomous person (``Profile.online_per_month``),
# of which 0.375 applications (as many as before the browsing was raised: MER and hires are unchanged).
ONLINE_P = (0.455, 0.325, 0.095, 0.125)
CHANNELS = {  # counselor-initiated contacts per modality
    0: (("phone", "email", "visio", "in_person"), (0.30, 0.42, 0.16, 0.12)),
    1: (("in_person", "phone", "visio", "email"), (0.36, 0.34, 0.15, 0.15)),
    2: (("in_person", "phone", "visio", "email"), (0.60, 0.25, 0.10, 0.05)),
    3: (("in_person", "phone", "visio", "email"), (0.55, 0.30, 0.10, 0.05)),
    4: (("in_person", "phone", "visio", "email"), (0.60, 0.25, 0.10, 0.05)),
}
PROPOSAL_KINDS = ("offer", "training", "workshop", "prestation", "partner_service", "event")
PROPOSAL_P = (0.40, 0.16, 0.15, 0.10, 0.10, 0.09)
# Share of workshops, prestations and events a counselor picks among those the action plan's work
# axes call for (DOMAIN.md: "by need"), when there are some; the others are any eligible one.
BY_NEED = 0.7
BARRIER_PARTNER = {"housing": "housing", "mobility": "mobility", "childcare": "childcare", "health": "health",
                   "financial": "caf", "literacy": "plie", "language": "plie"}
CONTRACT_P = {"cdi": 0.30, "cdd": 0.38, "interim": 0.25, "seasonal": 0.07}
CONTRACT_KINDS, CONTRACT_PROBS = tuple(CONTRACT_P), tuple(CONTRACT_P.values())


def sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def contact_effect(employability: Any, n_barriers: Any) -> Any:
    """τ, the log-odds a meaningful counselor contact (this month or last) adds to the monthly hire hazard.

    Heterogeneous: large for mid-employability people (``e0 + bonus`` near 0) without barriers,
    about zero for the most employable and for people with heavy barriers (seeds/README.md).
    """
    return 1.1 * np.exp(-(np.asarray(employability) ** 2) / (2 * 0.55 ** 2)) * np.select(
        [np.asarray(n_barriers) == 0, np.asarray(n_barriers) == 1], [1.0, 0.5], 0.08)


class Simulation:
    def __init__(self, world: World, people: People) -> None:
        self.w, self.p = world, people
        self.needs = [frozenset(code for axis in axes for code in NEEDS.get(axis, ())) for axes in people.work_axes]
        # Arrays come from the numpy generators; single draws from cheap pre-drawn streams.
        self.vec = world.rng_sim
        self.rng = Stream(np.random.default_rng(int(self.vec.integers(2**62))))
        self.cosmetic_vec = world.rng_emit
        self.cosmetic = Stream(np.random.default_rng(int(self.cosmetic_vec.integers(2**62))))
        ref, n = world.ref, people.n
        self.active = np.zeros(n, dtype=bool)
        self.exited = np.zeros(n, dtype=bool)
        self.exit_day = np.full(n, -1)
        self.exit_reason: list[str | None] = [None] * n
        self.referent = np.zeros(n, dtype=int)
        self.last_contact = np.full(n, -1, dtype=np.int64)  # day * 1440 + minute
        self.last_online = np.full(n, -1, dtype=np.int64)
        self.last_contact_day = people.reg_day.copy()
        self.boost_month = np.full(n, -99)
        self.bonus = np.zeros(n)
        self.training_until = np.full(n, -1)
        self.short_job_until = np.full(n, -1)
        self.review_done = np.zeros(n, dtype=bool)
        self.emp_last_contact = np.full(world.n_employers, -1, dtype=np.int64)
        self.ids: dict[str, int] = {}
        self.buf: dict[str, list[tuple]] = {}
        self.offers: dict[int, dict] = {}
        self.new_offers: list[int] = []  # created since the last ``mer_month``
        self.open_offers: dict[tuple[int, int], list[int]] = {}
        self.entered_training: set[tuple[int, int]] = set()
        # Seasonality per occupation, from the sectors that hire it.
        self.season = np.zeros((len(ref.rome_codes), 12))
        for r, nafs in ref.rome_nafs.items():
            prof = [SEASONAL_SECTORS.get(ref.naf_codes[k][:2]) for k in nafs]
            prof = [np.array(x) for x in prof if x is not None]
            if prof:
                self.season[r] = np.mean(prof, axis=0) * min(1.0, len(prof) / max(1, len(nafs)) * 2)
        self.emp_cache: dict[tuple[int, int], tuple[list[int], list[float]] | None] = {}
        self.offer_base = world.profile.offers / (world.n_employers * 19.5)
        self.pending_gain = []
        self.registered: set[tuple[int, int]] = set()
        self.pending_barrier = []
        # Plain-Python views of what the per-event code reads most (numpy scalars are slow there).
        self.tg = [[int(x) for x in row if x >= 0] for row in people.targets.tolist()]
        self.commune = people.commune.tolist()
        self.family = ref.rome_family.tolist()
        self.related_set = {r: {rr for rr, _s in lst} for r, lst in ref.related.items()}
        self.km_cache: dict[tuple[int, int], float] = {}
        self.rome_p = cumulative(ref.rome_weight.tolist())
        self.naf_romes = {k: (romes, cumulative(probs.tolist())) for k, (romes, probs) in ref.naf_romes.items()}
        # Per calendar month, each employer's seasonal factor for new offers.
        self.emp_season = np.array([[1 + 0.8 * SEASONAL_SECTORS.get(ref.naf_codes[k][:2], (0,) * 12)[mm]
                                     for mm in range(12)] for k in range(len(ref.naf_codes))])[world.emp_naf]
        # Sessions of each catalogue item by place, in start order, for ``next_session``.
        self.sessions_at: dict[tuple[int, str | None], tuple[list[int], list[tuple]]] = {}
        for item in world.items:
            by_place: dict[str | None, list[tuple]] = {}
            for sess in item["sessions"]:
                by_place.setdefault(sess[3], []).append(sess)
                by_place.setdefault(None, []).append(sess)  # any place
            for place, lst in by_place.items():
                lst.sort(key=lambda x: (x[1], x[0]))
                self.sessions_at[(item["id"], place)] = ([x[1] for x in lst], lst)

    # ------------------------------------------------------------------ helpers
    def next_id(self, table: str) -> int:
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]

    def add(self, table: str, row: tuple) -> None:
        self.buf.setdefault(table, []).append(row)

    def interaction(self, *, day: int, minute: int, js: int | None = None, emp: int | None = None,
                    author: int | None, channel: str, direction: str, kind: str, outcome: str, origin: str = "manual",
                    offer: int | None = None, item: int | None = None, referral: int | None = None,
                    application: int | None = None, appointment: int | None = None, notes: str | None = None) -> None:
        iid = self.next_id("interaction")
        stamp = ts(day, minute)
        self.add("interaction", (iid, f"INT{iid:09d}", stamp, None if js is None else js + 1,
                                 None if emp is None else emp + 1, author, channel, direction, kind, outcome, notes,
                                 origin, offer, item, referral, application, appointment, stamp))
        when = day * 1440 + minute
        if outcome in MEANINGFUL and (author is not None or direction == "in"):
            if js is not None and channel != "online" and when > self.last_contact[js]:
                self.last_contact[js] = when
            if emp is not None and when > self.emp_last_contact[emp]:
                self.emp_last_contact[emp] = when

    def minute(self) -> int:
        return self.cosmetic.integers(8 * 60 + 30, 17 * 60 + 30)

    def flush(self) -> None:
        self.w.flush_staff()
        order = [
            ("job_offer", ["id", "external_id", "employer_id", "counselor_id", "rome_code", "appellation_code", "title",
                           "description", "contract_type", "contract_months", "hours_per_week", "commune_insee",
                           "created_on", "published_on", "positions", "accompanied", "status", "created_at",
                           "updated_at"]),
            ("application", ["id", "external_id", "offer_id", "job_seeker_id", "created_at", "created_by_id", "origin",
                             "status", "refusal_reason", "outcome_date", "employer_feedback"]),
            ("referral", ["id", "external_id", "job_seeker_id", "partner_item_id", "referred_by_id", "referred_at",
                          "status", "showed_up", "partner_feedback", "feedback_at", "followed_up_at"]),
            ("appointment", ["id", "external_id", "job_seeker_id", "staff_id", "scheduled_at", "duration_minutes",
                             "channel", "kind", "status", "status_changed_at", "notes", "created_at", "updated_at"]),
            ("proposal", ["id", "external_id", "job_seeker_id", "author_id", "proposed_at", "item_kind", "offer_id",
                          "catalogue_item_id", "session_id", "source", "response", "responded_at", "prescribed_at",
                          "started_on", "outcome", "outcome_on", "arguments"]),
            ("session_registration", ["id", "session_id", "job_seeker_id", "employer_id", "registered_at",
                                      "registered_by_id", "status"]),
            ("interaction", INTERACTION_COLS),
            ("outcome_episode", ["id", "external_id", "job_seeker_id", "kind", "start_on", "end_on", "contract_type",
                                 "rome_code", "employer_id", "application_id", "catalogue_item_id"]),
            ("task", ["id", "owner_id", "job_seeker_id", "employer_id", "title", "due_on", "status", "origin",
                      "appointment_id", "created_at", "done_at"]),
            ("benefit_event", ["id", "job_seeker_id", "kind", "occurred_on", "amount", "description", "resolved_on"]),
            ("prospection_action", ["id", "employer_id", "counselor_id", "kind", "planned_on", "done_on",
                                    "job_seeker_id", "notes", "created_at"]),
            ("recruitment_need", ["id", "employer_id", "rome_code", "positions", "expected_on", "source",
                                  "declared_on", "notes"]),
            ("satisfaction_answer", ["id", "employer_id", "answered_on", "score", "would_recommend", "comment"]),
            ("action_plan_item", ["id", "job_seeker_id", "label", "status", "due_on", "done_on", "created_by_id",
                                  "created_at"]),
        ]
        for table, cols in order:
            rows = self.buf.pop(table, None)
            if rows:
                self.w.w.insert(table, cols, rows, raw=True)

    # ------------------------------------------------------------------ the run
    def month_starts(self) -> list[int]:
        """Day ordinals of the first day of each simulated month."""
        starts = []
        d = date.fromordinal(self.w.history_start)
        while d.toordinal() <= self.w.today_day:
            starts.append(d.toordinal())
            d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        return starts

    def run(self, progress: Any = None) -> None:
        today = self.w.today_day
        starts = self.month_starts()
        for m, s in enumerate(starts):
            e = min(starts[m + 1] if m + 1 < len(starts) else today + 1, today + 1)
            self.month(m, s, e)
            self.flush()
            if progress is not None:
                progress.update(1)
        self.rebalance()
        self.future(today)
        self.flush()

    def rebalance(self) -> None:
        """End-of-history reassignment (done by team managers): portfolios back near their targets.

        Counselors were hired for the peak of the stock; the active people of the least
        loaded ones are spread over the others, which then hold target-sized portfolios.
        """
        from seeds.demo.profiles import PORTFOLIO_TARGET

        st = self.w.staff
        for (agency, modality), pool in sorted(st.pools.items()):
            n = sum(st.load[u] for u in pool)
            keep_n = max(1, round(n / PORTFOLIO_TARGET[modality]))
            if keep_n >= len(pool):
                continue
            ranked = sorted(pool, key=lambda u: (-st.load[u], u))
            keep, drop = ranked[:keep_n], set(ranked[keep_n:])
            movers = np.flatnonzero(self.active & np.isin(self.referent, list(drop)))
            for i in movers:
                best = min(keep, key=lambda u: (st.load[u], u))
                st.load[int(self.referent[i])] -= 1
                st.load[best] += 1
                self.referent[i] = best

    def month(self, m: int, s: int, e: int) -> None:
        w, p, rng = self.w, self.p, self.rng
        cal_month = date.fromordinal(s).month - 1
        w.staff.created_day = s
        newcomers = np.flatnonzero((p.reg_day < e) & ~self.active & ~self.exited)
        for i in newcomers:
            self.register(int(i), s)
        act = np.flatnonzero(self.active)
        if len(act) == 0:
            return
        self.employer_month(m, s, e, cal_month)
        # --- counselor contacts: policy (modality, priorities) plus randomised exploration
        mod = p.modality[act]
        rate = np.array([CONTACT_RATE[MODALITY_CODES[k]] for k in range(5)])[mod]
        interval = np.array([CONTACT_INTERVAL_DAYS[MODALITY_CODES[k]] for k in range(5)])[mod]
        overdue = (s - self.last_contact_day[act]) > interval
        ending = (p.are_end[act] > s) & (p.are_end[act] - s < 75)
        rate = rate * np.where(overdue, 1.6, 1.0) * np.where(ending, 1.3, 1.0) * np.where(
            p.e0[act] < -0.5, 1.2, 1.0)
        regular = self.vec.random(len(act)) < np.clip(rate, 0, 0.95)
        explore = self.vec.random(len(act)) < EXPLORATION_RATE
        contacted = np.zeros(len(act), dtype=bool)
        act_l, regular_l, explore_l = act.tolist(), regular.tolist(), explore.tolist()
        for k in np.flatnonzero(regular | explore).tolist():
            i = act_l[k]
            origin = "exploration" if explore_l[k] and not regular_l[k] else (
                "priority_list" if s > w.today_day - 183 and rng.random() < 0.35 else "manual")
            day = int(rng.integers(s, e))
            if self.contact(i, day, origin, m):
                contacted[k] = True
        # inbound contacts and benefits (GDD) follow-up
        inbound = np.flatnonzero(self.vec.random(len(act)) < 0.06)
        for k in inbound:
            i = int(act[k])
            day = int(rng.integers(s, e))
            ch = "phone" if rng.random() < 0.5 else "email"
            self.interaction(day=day, minute=self.minute(), js=i, author=int(self.referent[i]), channel=ch,
                             direction="in", kind="information" if rng.random() < 0.6 else "administrative",
                             outcome="done")
        self.benefits_month(act, s, e)
        self.online_month(act, s, e)
        self.mer_month(s, e)
        self.hazard_month(act, m, s, e, cal_month)

    # ------------------------------------------------------------------ job seeker events
    def register(self, i: int, s: int) -> None:
        w, p, rng = self.w, self.p, self.rng
        self.active[i] = True
        agency = int(p.agency[i]) + 1
        ref_id = w.referent_for(agency, MODALITY_CODES[int(p.modality[i])])
        self.referent[i] = ref_id
        reg = int(p.reg_day[i])
        if reg < w.history_start:
            return  # registered before the history: their entretien de situation is not in the window
        day = min(reg + int(rng.integers(5, 25)), w.today_day)
        status = self.appointment(i, day, staff=ref_id, kind="situation_interview",
                                  channel="in_person" if rng.random() < 0.7 else "visio", origin="system")
        self.last_contact_day[i] = day
        labels = ["Mettre à jour son CV", "Postuler à des offres ciblées", "S'inscrire à un atelier",
                  "Se renseigner sur une formation", "Activer son espace personnel", "Préparer ses entretiens"]
        for lab in rng.sample(len(labels), rng.integers(2, 4)):
            due = day + int(rng.integers(20, 90))
            if due < w.today_day:
                st = "done" if rng.random() < 0.65 else ("abandoned" if rng.random() < 0.3 else "in_progress")
            else:
                st = "todo" if rng.random() < 0.6 else "in_progress"
            done = iso(min(due, w.today_day)) if st == "done" else None
            self.add("action_plan_item", (self.next_id("action_plan_item"), i + 1, labels[int(lab)], st,
                                          iso(due), done, ref_id, ts(day, 10 * 60)))
        del status

    def appointment(self, i: int, day: int, *, staff: int, kind: str, channel: str, origin: str,
                    planned: bool = False) -> str:
        """An appointment and, when it took place or was missed, its interaction; returns the status."""
        rng = self.rng
        aid = self.next_id("appointment")
        minute = self.minute()
        if planned:
            status = "planned"
        else:
            u = rng.random()
            no_show = APPOINTMENT_STATUS_P[1] * (1.6 if self.p.digital[i] == 2 else 1.0) * (
                1.4 if self.p.n_barriers[i] >= 2 else 1.0)
            status = "missed" if u < no_show else ("cancelled" if u < no_show + APPOINTMENT_STATUS_P[2] else "done")
        created = ts(day - int(rng.integers(3, 20)), 9 * 60)
        changed = ts(day, minute + 30) if status != "planned" else None
        self.add("appointment", (aid, f"RDV{aid:08d}", i + 1, staff, ts(day, minute), 45 if kind ==
                                 "situation_interview" else 30, channel, kind, status, changed, None, created,
                                 changed or created))
        if status in ("done", "missed"):
            self.interaction(day=day, minute=minute, js=i, author=staff, channel=channel, direction="out",
                             kind=kind if kind in ("situation_interview", "follow_up", "review_6_9", "benefits")
                             else "follow_up", outcome="done" if status == "done" else "no_show", origin=origin,
                             appointment=aid)
        if status == "missed":
            due = day + 3
            self.add("task", (self.next_id("task"), staff, i + 1, None, "Rendez-vous manqué : recontacter",
                              iso(due), "done" if due < self.w.today_day - 5 else "open",
                              "missed_appointment", aid, ts(day, minute + 40),
                              ts(due, 11 * 60) if due < self.w.today_day - 5 else None))
        return status

    def contact(self, i: int, day: int, origin: str, m: int) -> bool:
        """One counselor contact; returns whether the person was actually reached."""
        p, rng = self.p, self.rng
        staff = int(self.referent[i])
        mod = int(p.modality[i])
        if origin == "exploration":
            channel = "phone" if rng.random() < 0.75 else "visio"
        else:
            chans, probs = CHANNELS[mod]
            channel = chans[rng.weighted(probs)]
        months_in = (day - int(p.reg_day[i])) / 30.4
        kind = "follow_up"
        if 6 <= months_in <= 9 and not self.review_done[i] and rng.random() < 0.6:
            kind = "review_6_9"
            self.review_done[i] = True
        if channel in ("in_person", "visio") or (channel == "phone" and rng.random() < 0.3):
            reached = self.appointment(i, day, staff=staff, kind=kind, channel=channel, origin=origin) == "done"
        else:
            if channel == "email":
                outcome = "done"
            else:
                u = rng.random()
                outcome = "reached" if u < 0.72 + 0.08 * (p.digital[i] == 0) else (
                    "not_reached" if u < 0.9 else "message_left")
            reached = outcome in MEANINGFUL
            self.interaction(day=day, minute=self.minute(), js=i, author=staff, channel=channel, direction="out",
                             kind=kind if channel != "email" else "job_search_advice", outcome=outcome, origin=origin)
        if not reached:
            return False
        self.last_contact_day[i] = day
        self.boost_month[i] = m
        if rng.random() < 0.1:
            due = day + 14
            self.add("task", (self.next_id("task"), staff, i + 1, None, "Faire le point sur les démarches",
                              iso(due), "done" if due < self.w.today_day - 3 else "open", "next_step",
                              None, ts(day, 17 * 60), ts(due, 10 * 60) if due < self.w.today_day - 3 else None))
        n_props = 1 if rng.random() < 0.6 else (2 if rng.random() < 0.35 else 0)
        for _ in range(n_props):
            kind = PROPOSAL_KINDS[rng.weighted(PROPOSAL_P)]
            source = "exploration" if origin == "exploration" and rng.random() < 0.5 else (
                "recommender" if day > self.w.today_day - 183 and rng.random() < 0.15 else "counselor")
            self.propose(i, day, kind, staff, source)
        return True

    # ------------------------------------------------------------------ proposals
    def eligible(self, i: int, item: dict, day: int) -> bool:
        p, el = self.p, item["eligibility"]
        if not el:
            return True
        age = (day - int(p.birth_day[i])) / 365.25
        if "max_age" in el and age > el["max_age"] + 1:
            return False
        req = el.get("requires", [])
        if "rqth" in req and not p.rqth[i]:
            return False
        if "rsa" in req and not p.rsa[i]:
            return False
        if "pass_iae" in req and not (p.n_barriers[i] >= 2 or p.rsa[i]):
            return False
        if "min_education" in el:
            from seeds.demo.world import EDUCATION

            if int(p.edu[i]) < EDUCATION.index(el["min_education"]):
                return False
        if "barriers" in el and not set(el["barriers"]) & set(p.barriers[i]):
            return False
        return True

    def match(self, i: int, rome_list: list[int]) -> float:
        """Occupation fit: 1 first target, 0.7 other target, 0.5 related, 0.25 same family, 0 else."""
        best = 0.0
        tg = self.tg[i]
        first = tg[0]
        for r in rome_list:
            if r == first:
                return 1.0
            if r in tg:
                best = max(best, 0.7)
            elif r in self.related_set.get(first, ()):
                best = max(best, 0.5)
            elif self.family[r] == self.family[first]:
                best = max(best, 0.25)
        return best

    def km(self, i: int, commune_code: str | None) -> float:
        if commune_code is None:
            return 0.0
        key = (self.commune[i], self.w.commune_idx[commune_code])
        d = self.km_cache.get(key)
        if d is None:
            ref, (j, c) = self.w.ref, key
            d = self.km_cache[key] = float(haversine_km(ref.commune_lat[j], ref.commune_lon[j], ref.commune_lat[c],
                                                        ref.commune_lon[c]))
        return d

    def propose(self, i: int, day: int, kind: str, staff: int, source: str) -> None:
        w, p, rng = self.w, self.p, self.rng
        item = None
        offer = None
        if kind == "offer":
            pool: list[int] = []
            for r in p.targets[i]:
                if r >= 0:
                    pool += self.open_offers.get((int(p.agency[i]), int(r)), [])
            if source == "exploration" or not pool:
                pool = [o for lst in islice(self.open_offers.values(), 50) for o in lst] if source == "exploration" \
                    else pool
            pool = [o for o in pool if self.offers[o]["created"] <= day]
            if not pool:
                kind = "workshop"
            else:
                offer = self.offers[pool[int(rng.integers(len(pool)))]]
        if kind == "training":
            cands: list[dict] = []
            if source != "exploration":
                for r in p.targets[i]:
                    if r >= 0:
                        cands += w.trainings_by_rome.get(int(r), [])
                for r, _sc in w.ref.related.get(int(p.targets[i, 0]), [])[:5]:
                    cands += w.trainings_by_rome.get(r, [])
            if not cands:
                cands = w.items_by_kind.get("training", [])
            cands = [c for c in cands if (i, c["id"]) not in self.entered_training and self.eligible(i, c, day)]
            if not cands:
                return
            item = cands[int(rng.integers(len(cands)))]
        elif kind == "partner_service":
            wanted = [BARRIER_PARTNER[b] for b in p.barriers[i]]
            age = (day - int(p.birth_day[i])) / 365.25
            if age < 26:
                wanted.append("mission_locale")
            if p.rqth[i]:
                wanted.append("cap_emploi")
            if p.rsa[i]:
                wanted.append("conseil_departemental")
            if p.edu[i] >= 4:
                wanted.append("apec")
            if not wanted or source == "exploration":
                wanted = list(w.partner_by_kind)
            cands = [w.partner_by_kind[k] for k in wanted if k in w.partner_by_kind]
            cands = [c for c in cands if self.eligible(i, c, day)]
            if not cands:
                return
            item = cands[int(rng.integers(len(cands)))]
        elif kind in ("workshop", "prestation", "event"):
            cands = [c for c in w.items_by_kind.get(kind, []) if self.eligible(i, c, day)]
            if kind == "event":
                home = w.ref.commune_codes[int(w.agency_commune[int(p.agency[i])])]
                cands = [c for c in cands if c["commune"] == home and any(day <= s[1] <= day + 60
                                                                          for s in c["sessions"])]
            if not cands:
                return
            item = self.by_need(i, cands, source)
        pid = self.next_id("proposal")
        motivation = float(p.motivation[i])
        if offer is not None:
            fit = self.match(i, [offer["rome"]])
            dist = self.km(i, offer["commune"])
            logit = -0.6 + 1.6 * fit - 0.04 * dist - 0.6 * (dist > p.mobility_km[i]) + 0.5 * motivation
            args = self.arguments(fit, dist, offer["rome"])
        else:
            fit = self.match(i, item["rome"]) if item["rome"] else 0.5
            dist = self.km(i, item["commune"])
            logit = (-0.3 + (1.2 * fit if item["kind"] == "training" else 0.3) + 0.9 * item["quality"]
                     - 0.02 * dist + 0.4 * motivation)
            args = self.arguments(fit, dist, item["rome"][0] if item["rome"] else None)
        u = rng.random()
        pa = sigmoid(logit)
        response = "accepted" if u < pa else ("declined" if u < pa + (1 - pa) * 0.7 else "no_answer")
        responded = day + int(rng.integers(0, 8))
        if responded > w.today_day:
            response, responded = "pending", None
        outcome, outcome_on, prescribed, started, session = "none", None, None, None, None
        rid = None
        if response == "accepted" and offer is not None:
            self.apply(i, offer, responded, origin="counselor", author=staff)
        elif response == "accepted" and item["kind"] == "training":
            outcome, outcome_on, prescribed, started, session = self.training(i, item, responded, staff)
        elif response == "accepted" and item["kind"] == "partner_service":
            rid, outcome, outcome_on = self.referral(i, item, responded, staff)
        elif response == "accepted":
            session, outcome, outcome_on = self.attend(i, item, responded, staff)
        self.add("proposal", (pid, f"PRO{pid:08d}", i + 1, staff, ts(day, self.minute()),
                              "offer" if offer is not None else item["kind"], offer["id"] if offer else None,
                              None if offer else item["id"], session, source, response,
                              ts(responded, 12 * 60) if responded else None,
                              ts(prescribed, 11 * 60) if prescribed else None,
                              iso(started) if started else None, outcome,
                              iso(outcome_on) if outcome_on else None, args))
        self.interaction(day=day, minute=self.minute(), js=i, author=staff, channel="email" if rng.random() < 0.3
                         else "in_person", direction="out", kind="referral" if rid else "proposal", outcome="done",
                         origin="exploration" if source == "exploration" else "manual",
                         offer=offer["id"] if offer else None, item=None if offer else item["id"], referral=rid)

    def by_need(self, i: int, cands: list[dict], source: str) -> dict:
        """A workshop, prestation or event: mostly one the person's work axes call for."""
        rng = self.rng
        needed = [c for c in cands if c["code"] in self.needs[i]]
        pool = needed if needed and source != "exploration" and rng.random() < BY_NEED else cands
        return pool[int(rng.integers(len(pool)))]

    def arguments(self, fit: float, dist: float, rome: int | None) -> str:
        """The proposal's arguments, as the JSON text the bulk writer stores."""
        args = []
        if fit >= 1:
            args.append("Métier recherché en priorité")
        elif fit >= 0.5:
            args.append("Métier proche du projet")
        if rome is not None and self.w.ref.shortage[rome] >= 60:
            args.append("Métier en tension : les recruteurs peinent à recruter")
        if dist > 0:
            args.append(f"À {dist:.0f} km du domicile")
        return json.dumps(args, ensure_ascii=False)

    def next_session(self, item: dict, day: int, agency_code: str | None, i: int) -> tuple | None:
        """The first session of the item from ``day`` on, with room, at the place (trainings: anywhere)."""
        place = None if agency_code is None or item["kind"] == "training" else agency_code
        entry = self.sessions_at.get((item["id"], place))
        if entry is None:
            return None
        starts, sessions = entry
        load = self.w.session_load
        for k in range(bisect_left(starts, day), len(sessions)):
            sess = sessions[k]
            if load[sess[0]] < sess[2] and (sess[0], i) not in self.registered:
                return sess
        return None

    def training(self, i: int, item: dict, day: int, staff: int) -> tuple:
        """The training funnel (seed 001: 44 % mentioned → 16 % prescribed → 7 % started)."""
        w, p, rng = self.w, self.p, self.rng
        if rng.random() > 0.38:
            return "none", None, None, None, None
        prescribed = day + int(rng.integers(3, 30))
        if prescribed > w.today_day:
            return "none", None, None, None, None
        sess = self.next_session(item, prescribed + 20, None, i)
        if sess is None or rng.random() > 0.5 + 0.2 * item["quality"]:
            return "none", None, prescribed, None, None
        sid, start, _cap, _place = sess
        if start > w.today_day:
            w.session_load[sid] += 1
            self.registration(sid, i, prescribed, staff, "registered")
            return "none", None, prescribed, None, sid
        w.session_load[sid] += 1
        self.entered_training.add((i, item["id"]))
        weeks = max(2, int(item["hours"] // 35))
        end = start + weeks * 7
        completed = rng.random() < 0.78 + 0.1 * item["quality"]
        end_real = end if completed else start + int(rng.integers(7, weeks * 7 + 1))
        self.registration(sid, i, prescribed, staff, "attended")
        self.training_until[i] = end_real
        eid = self.next_id("outcome_episode")
        self.add("outcome_episode", (eid, f"EPI{eid:08d}", i + 1, "training", iso(start),
                                     iso(end_real) if end_real <= w.today_day else None, None,
                                     w.ref.rome_codes[item["rome"][0]] if item["rome"] else None, None, None,
                                     item["id"]))
        self.interaction(day=start, minute=9 * 60, js=i, author=None, channel="partner", direction="in",
                         kind="training", outcome="done", origin="system", item=item["id"],
                         notes="Entrée en formation")
        if completed and end <= w.today_day:
            rome = item["rome"][0] if item["rome"] else int(p.targets[i, 0])
            gain = max(0.0, 0.9 * p.gainable[i] + 0.5 * item["quality"] + 0.25 * w.ref.shortage_z[rome]
                       + 0.2 * (self.match(i, item["rome"]) > 0))
            self.pending_gain.append((end, i, gain))
            return "completed", end, prescribed, start, sid
        return "entered", start, prescribed, start, sid

    pending_gain: list[tuple[int, int, float]]

    def referral(self, i: int, item: dict, day: int, staff: int) -> tuple:
        w, p, rng = self.w, self.p, self.rng
        rid = self.next_id("referral")
        showed = rng.random() < 0.78
        age = w.today_day - day
        if age < 10:
            status, showed_v, fb = "sent", None, None
        elif not showed:
            status, showed_v, fb = "cancelled" if rng.random() < 0.3 else "sent", False, day + int(rng.integers(7, 20))
        else:
            status = "completed" if age > 60 and rng.random() < 0.7 else ("in_progress" if rng.random() < 0.8
                                                                          else "refused")
            showed_v, fb = True, day + int(rng.integers(7, 20))
        self.add("referral", (rid, f"ORI{rid:08d}", i + 1, item["id"], staff, ts(day, 11 * 60), status, showed_v,
                              "Personne reçue, accompagnement engagé" if showed_v else (
                                  "Ne s'est pas présenté(e) au rendez-vous" if showed_v is False else None),
                              ts(fb, 15 * 60) if fb and fb <= w.today_day else None,
                              ts(fb + 3, 10 * 60) if showed_v is False and fb and fb + 3 <= w.today_day else None))
        if showed_v is False and fb and fb <= w.today_day:
            self.add("task", (self.next_id("task"), staff, i + 1, None, "Absence chez le partenaire : faire le point",
                              iso(fb + 3), "done" if fb + 3 < w.today_day else "open", "referral_no_show",
                              None, ts(fb, 16 * 60), ts(fb + 3, 10 * 60) if fb + 3 < w.today_day else None))
        if status == "completed":
            # A completed partner referral lifts the matching barrier: a real effect on employability.
            for k in p.barrier_index.get(i, []):
                row = p.barrier_rows[k]
                if row[4] is None and BARRIER_PARTNER.get(row[2]) == item["partner"]:
                    done = day + int(rng.integers(30, 60))
                    if done <= w.today_day:
                        row[4] = date.fromordinal(done)
                        self.pending_barrier.append((done, i))
            return rid, "completed", min(day + 60, w.today_day)
        return rid, ("entered" if showed_v else "none"), (fb if showed_v else None)

    pending_barrier: list[tuple[int, int]]

    def registration(self, sid: int, i: int, day: int, staff: int | None, status: str) -> None:
        self.registered.add((sid, i))
        self.add("session_registration", (self.next_id("session_registration"), sid, i + 1, None, ts(day, 10 * 60),
                                          staff, status))

    def attend(self, i: int, item: dict, day: int, staff: int) -> tuple:
        w, p, rng = self.w, self.p, self.rng
        home = w.ref.commune_codes[int(w.agency_commune[int(p.agency[i])])]
        sess = self.next_session(item, day + 2, home, i)
        if sess is None:
            return None, "none", None
        sid, start, _cap, _place = sess
        w.session_load[sid] += 1
        if start > w.today_day:
            self.registration(sid, i, day, staff, "registered")
            return sid, "none", None
        attended = rng.random() < 0.82 - 0.1 * (p.digital[i] == 2)
        self.registration(sid, i, day, staff, "attended" if attended else ("absent" if rng.random() < 0.8
                                                                           else "cancelled"))
        if not attended:
            return sid, "none", None
        kind = {"workshop": "workshop_attendance", "event": "event_attendance"}.get(item["kind"], "workshop_attendance")
        self.interaction(day=start, minute=9 * 60 + 30, js=i, author=None if item["kind"] == "event" else staff,
                         channel="event" if item["kind"] == "event" else "workshop", direction="in", kind=kind,
                         outcome="done", origin="system", item=item["id"])
        if item["code"] in ("POPS-MDPH", "REBOND", "REGARDS-CROISES"):
            psy = self.psychologist(int(p.agency[i]) + 1)
            if psy:
                self.appointment(i, start, staff=psy, kind="other", channel="in_person", origin="manual")
        gain = 0.06 * p.gainable[i] * (1 + item["quality"]) if item["kind"] != "event" else 0.0
        self.pending_gain.append((start, i, max(0.0, gain)))
        if item["kind"] == "event" and item["employer"] and rng.random() < 0.12 * (1 + self.match(i, item["rome"])):
            self.hire(i, start + int(rng.integers(7, 21)), emp=item["employer"] - 1,
                      rome=item["rome"][0] if item["rome"] else int(p.targets[i, 0]), contract=None, application=None)
            return sid, "hired", start
        return sid, "completed", start

    def psychologist(self, agency: int) -> int | None:
        st = self.w.staff
        for a in range(agency, 0, -1):
            lst = st.by_role.get((a, "psychologist"))
            if lst:
                return lst[0]
        return None

    # ------------------------------------------------------------------ offers and MER
    def employer_month(self, m: int, s: int, e: int, cal_month: int) -> None:
        w, ref, rng = self.w, self.w.ref, self.rng
        season = self.emp_season[:, cal_month]
        lam = w.emp_lambda * self.offer_base * season * (e - s) / 30.4
        counts = self.vec.poisson(lam)
        for emp in np.flatnonzero(counts):
            for _ in range(int(counts[emp])):
                self.new_offer(int(emp), int(rng.integers(s, e)))
        # prospection by employer counselors, weighted by hiring potential
        for emp in np.flatnonzero(self.vec.random(w.n_employers) < 0.05 * np.sqrt(w.emp_lambda)):
            self.prospect(int(emp), int(rng.integers(s, e)))
        if cal_month == 3:  # BMO survey answers in April
            for emp in np.flatnonzero(self.vec.random(w.n_employers) < 0.2 * np.minimum(2, w.emp_lambda)):
                self.need(int(emp), s + 14, "bmo")

    def new_offer(self, emp: int, day: int) -> None:
        w, ref, rng = self.w, self.w.ref, self.rng
        pair = self.naf_romes.get(int(w.emp_naf[emp]))
        rome = int(pair[0][rng.draw(pair[1])]) if pair is not None else rng.draw(self.rome_p)
        oid = self.next_id("job_offer")
        apps = ref.appellations.get(rome, [])
        ogr, title = apps[int(rng.integers(len(apps)))] if apps else (None, ref.rome_labels[rome])
        seasonal = self.season[rome].max() > 0.3
        kinds = ["cdi", "cdd", "interim", "apprenticeship"] + (["seasonal"] if seasonal else [])
        probs = (0.38, 0.34, 0.16, 0.05, 0.2) if seasonal else (0.38, 0.34, 0.16, 0.05)
        contract = kinds[rng.weighted(probs)]
        months = None if contract == "cdi" else int(rng.integers(1, 13))
        commune = w.ref.commune_codes[int(w.emp_commune[emp])]
        positions = 1 if rng.random() < 0.85 else int(rng.integers(2, 4))
        accompanied = bool(rng.random() < 0.45)
        counselor = int(w.emp_counselor[emp])
        status = "draft" if day > w.today_day - 3 and rng.random() < 0.3 else "open"
        self.add("job_offer", (oid, f"OFF{oid:07d}", emp + 1, counselor, ref.rome_codes[rome], ogr, title[:200],
                               f"{title} – {ref.rome_labels[rome]}. Poste basé à {ref.commune_names[int(w.emp_commune[emp])].title()}.",
                               contract, months, 35 if rng.random() < 0.8 else 24, commune, iso(day),
                               iso(min(day + int(rng.integers(0, 3)), w.today_day)) if status == "open"
                               else None, positions, accompanied, status, ts(day, 9 * 60), ts(day, 9 * 60)))
        self.offers[oid] = {"id": oid, "emp": emp, "rome": rome, "commune": commune, "created": day,
                            "positions": positions, "hired": 0, "accompanied": accompanied, "status": status,
                            "filled": None, "closed": None, "contract": contract, "months": months, "apps": [],
                            "new_apps": [], "mer_done": False}
        self.open_offers.setdefault((int(w.emp_agency[emp]), rome), []).append(oid)
        self.new_offers.append(oid)
        self.interaction(day=day, minute=self.minute(), emp=emp, author=counselor,
                         channel=("phone", "email", "company_visit")[rng.weighted((0.5, 0.4, 0.1))],
                         direction="in", kind="offer_intake", outcome="done", offer=oid)

    def apply(self, i: int, offer: dict, day: int, *, origin: str, author: int | None) -> None:
        if any(a[1] == i for a in offer["apps"]) or offer["status"] != "open":
            return
        aid = self.next_id("application")
        offer["apps"].append((aid, i, day, origin, author))
        offer["new_apps"].append((aid, i, day, origin, author))

    def mer_month(self, s: int, e: int) -> None:
        """Counselors put candidates forward on new offers; employers decide; offers close."""
        w, p, rng = self.w, self.p, self.rng
        act = np.flatnonzero(self.active)
        act_l, agency_l = act.tolist(), p.agency[act].tolist()
        by_key: dict[tuple[int, int], list[int]] = {}
        for k in range(3):
            for i, a, r in zip(act_l, agency_l, p.targets[act, k].tolist()):
                if r >= 0:
                    by_key.setdefault((a, r), []).append(i)
        new_offers, self.new_offers = self.new_offers, []
        for oid in new_offers:
            offer = self.offers[oid]
            if offer["status"] != "open":
                offer["mer_done"] = True
                continue
            offer["mer_done"] = True
            pool = by_key.get((int(w.emp_agency[offer["emp"]]), offer["rome"]), [])
            if not pool:
                continue
            sample = [pool[j] for j in rng.sample(len(pool), min(30, len(pool)))]
            scores = [self.match(i, [offer["rome"]]) + 0.4 * (p.e0[i] + self.bonus[i]) - self.km(i, offer["commune"])
                      / 25 + rng.normal(0, 0.3) for i in sample]
            k = int(rng.integers(1, 5))
            day = offer["created"] + int(rng.integers(1, 10))
            if day > w.today_day:
                continue
            chosen = [sample[j] for j in np.argsort(scores)[::-1][:k]]
            for i in chosen:
                self.apply(i, offer, day, origin="counselor", author=int(w.emp_counselor[offer["emp"]]))
            self.interaction(day=day, minute=self.minute(), emp=offer["emp"], author=int(w.emp_counselor[offer["emp"]]),
                             channel="email", direction="out", kind="candidate_presentation", outcome="done",
                             offer=oid)
        for oid, offer in self.offers.items():
            if offer["new_apps"]:
                self.decide(offer)
            if offer["status"] == "open":
                age = e - offer["created"]
                if offer["hired"] >= offer["positions"]:
                    self.close(offer, "filled", min(offer["filled"] or e - 1, w.today_day))
                elif age > 20 and rng.random() < 0.28:
                    self.close(offer, "filled", min(int(rng.integers(max(s, offer["created"] + 1), e)), w.today_day))
                elif age > 90:
                    self.close(offer, "expired", offer["created"] + 90)
                elif rng.random() < 0.02:
                    self.close(offer, "cancelled", min(int(rng.integers(max(s, offer["created"]), e)), w.today_day))

    def close(self, offer: dict, status: str, day: int) -> None:
        offer["status"] = status
        offer["closed"] = day
        if status == "filled":
            offer["filled"] = day
        key = (int(self.w.emp_agency[offer["emp"]]), offer["rome"])
        lst = self.open_offers.get(key, [])
        if offer["id"] in lst:
            lst.remove(offer["id"])
        w, rng = self.w, self.rng
        if status == "filled" and rng.random() < 0.35 and day + 20 <= w.today_day:
            mer_hire = any(True for a in offer.get("hired_ids", []))
            score = int(np.clip(round(6.5 + 1.5 * mer_hire - (day - offer["created"]) / 30 + rng.normal(0, 1.5)), 0, 10))
            self.add("satisfaction_answer", (self.next_id("satisfaction_answer"), offer["emp"] + 1,
                                             iso(day + 20), score, score >= 8,
                                             "Recrutement réussi grâce à l'agence" if mer_hire and score >= 8 else None))
            self.interaction(day=day + 20, minute=self.minute(), emp=offer["emp"], author=int(w.emp_counselor[offer["emp"]]),
                             channel="email", direction="in", kind="satisfaction_survey", outcome="positive"
                             if score >= 8 else "negative", offer=offer["id"])

    def decide(self, offer: dict) -> None:
        w, p, rng = self.w, self.p, self.rng
        apps = offer["new_apps"]
        offer["new_apps"] = []
        scored = []
        for aid, i, day, origin, author in apps:
            fit = self.match(i, [offer["rome"]])
            dist = self.km(i, offer["commune"])
            logit = (-1.6 + 1.0 * (p.e0[i] + self.bonus[i] - 0.45 * p.n_barriers[i]) + 1.3 * fit - 0.05 * dist
                     + 0.5 * offer["accompanied"] + 0.3 * p.motivation[i])
            scored.append((float(rng.random()) - sigmoid(logit), aid, i, day, origin, author, fit, dist))
        scored.sort()
        for u, aid, i, day, origin, author, fit, dist in scored:
            outcome_day = day + int(rng.integers(7, 28))
            if outcome_day > w.today_day or not self.active[i]:
                status, reason, od = ("interview" if rng.random() < 0.4 else "sent"), None, None
                if not self.active[i]:
                    status, reason, od = "withdrawn", None, min(outcome_day, w.today_day)
            elif u < 0 and offer["hired"] < offer["positions"]:
                offer["hired"] += 1
                offer.setdefault("hired_ids", []).append(aid)
                offer["filled"] = outcome_day
                status, reason, od = "hired", None, outcome_day
            elif rng.random() < 0.08:
                status, reason, od = "withdrawn", "candidate_declined", outcome_day
            else:
                status = "refused"
                reason = ("offer_filled" if offer["hired"] >= offer["positions"] else "distance"
                          if dist > p.mobility_km[i] else "profile_mismatch" if fit < 0.5 else
                          ("experience", "qualification", "other", "no_show")[int(rng.integers(4))])
                od = outcome_day
            self.add("application", (aid, f"MER{aid:08d}", offer["id"], i + 1, ts(day, 10 * 60), author, origin,
                                     status, reason, iso(od) if od else None,
                                     "Candidat retenu" if status == "hired" else None))
            if origin != "self":
                self.interaction(day=day, minute=self.minute(), js=i, author=author, channel="email", direction="out",
                                 kind="application", outcome="done", offer=offer["id"], application=aid)
            if status == "hired":
                self.hire(i, outcome_day + int(rng.integers(1, 10)), emp=offer["emp"], rome=offer["rome"],
                          contract=offer["contract"], application=aid, months=offer["months"])
                if offer["contract"] in ("apprenticeship", "subsidised") or rng.random() < 0.1:
                    self.interaction(day=outcome_day, minute=self.minute(), emp=offer["emp"],
                                     author=int(w.emp_counselor[offer["emp"]]), channel="phone", direction="out",
                                     kind="hiring_aid", outcome="reached", offer=offer["id"])

    def hire(self, i: int, start: int, *, emp: int | None, rome: int, contract: str | None,
             application: int | None, months: int | None = None) -> None:
        """An employment episode; 28 days or more ends the registration (exit to employment)."""
        w, rng = self.w, self.rng
        start = min(start, w.today_day)
        if contract is None:
            contract = CONTRACT_KINDS[rng.weighted(CONTRACT_PROBS)]
        if contract == "cdi":
            end = None
        elif contract == "interim":
            end = start + int(np.clip(rng.lognormal(3.2, 0.8), 3, 180))
        elif contract == "seasonal":
            end = start + int(rng.integers(45, 130))
        else:
            end = start + 30 * (months or int(rng.integers(1, 13))) - 1
        eid = self.next_id("outcome_episode")
        self.add("outcome_episode", (eid, f"EPI{eid:08d}", i + 1, "employment", iso(start),
                                     iso(end) if end is not None else None, contract,
                                     w.ref.rome_codes[rome], None if emp is None else emp + 1, application, None))
        if end is None or end - start + 1 >= 28:
            self.leave(i, start, "employment")
        else:
            self.short_job_until[i] = end

    def leave(self, i: int, day: int, reason: str) -> None:
        if not self.active[i]:
            return
        self.active[i] = False
        self.exited[i] = True
        self.exit_day[i] = day
        self.exit_reason[i] = reason
        self.w.staff.load[int(self.referent[i])] -= 1

    def hazard_month(self, act: np.ndarray, m: int, s: int, e: int, cal_month: int) -> None:
        """Monthly hazard of a hire outside MER, then other exits (non-renewal, moves)."""
        w, p, ref, rng = self.w, self.p, self.w.ref, self.rng
        for lst_name in ("pending_gain", "pending_barrier"):
            keep = []
            for item in getattr(self, lst_name):
                if item[0] < e:
                    if lst_name == "pending_gain":
                        self.bonus[item[1]] += item[2]
                    else:
                        p.n_barriers[item[1]] = max(0, p.n_barriers[item[1]] - 1)
                else:
                    keep.append(item)
            setattr(self, lst_name, keep)
        act = act[self.active[act]]
        t0 = p.targets[act, 0]
        emp_now = p.e0[act] + self.bonus[act] - 0.45 * p.n_barriers[act]
        dur = (s - p.reg_day[act]) / 30.4
        tau = contact_effect(p.e0[act] + self.bonus[act], p.n_barriers[act])
        boosted = (m - self.boost_month[act]) <= 1
        ending = (p.are_end[act] > s) & (p.are_end[act] - s < 60)
        logit = (-3.5 + 1.0 * emp_now + 0.8 * ref.shortage_z[t0] + 1.2 * self.season[t0, cal_month]
                 - 0.3 * np.log1p(np.maximum(dur, 0) / 6) + 0.3 * p.motivation[act] + tau * boosted + 0.25 * ending)
        in_training = self.training_until[act] >= s
        logit = np.where(in_training, logit - 1.8, logit)
        h = sigmoid(logit) * (e - s) / 30.4
        hired = self.vec.random(len(act)) < h
        for i in act[hired]:
            i = int(i)
            rome = int(p.targets[i, 0]) if rng.random() < 0.75 else int(
                rng.pick([x for x in p.targets[i] if x >= 0]))
            self.hire(i, int(rng.integers(s, e)), emp=self.pick_employer(i, rome), rome=rome, contract=None,
                      application=None)
        still = act[self.active[act]]
        no_contact = (s - self.last_contact_day[still]) > 120
        q = 0.005 + 0.012 * (p.digital[still] == 2) + 0.01 * no_contact
        u = self.vec.random(len(still))
        for k in np.flatnonzero(u < q + 0.006):
            i = int(still[k])
            reason = "non_renewal" if u[k] < q[k] else ("moved" if u[k] < q[k] + 0.003 else "other")
            self.leave(i, int(rng.integers(s, e)), reason)

    def pick_employer(self, i: int, rome: int) -> int | None:
        """Hires outside MER still go to local employers of hiring sectors, in proportion to their potential."""
        w, rng = self.w, self.rng
        key = (int(self.p.agency[i]), rome)
        if key not in self.emp_cache:
            local = w.emp_by_agency[key[0]]
            nafs = w.ref.rome_nafs.get(rome)
            cands = local[np.isin(w.emp_naf[local], nafs)] if nafs is not None else local[:0]
            self.emp_cache[key] = (cands.tolist(), cumulative(w.emp_lambda[cands].tolist())) if len(cands) else None
        entry = self.emp_cache[key]
        if entry is None or rng.random() < 0.3:
            return None
        return entry[0][rng.draw(entry[1])]

    # ------------------------------------------------------------------ other activity
    def benefits_month(self, act: np.ndarray, s: int, e: int) -> None:
        """Rights ending and decisions: proactive contacts by the agency's benefits counselor (GDD)."""
        w, p, rng = self.w, self.p, self.rng
        ending = act[(p.are_end[act] - 30 >= s) & (p.are_end[act] - 30 < e)]
        for i in ending:
            i = int(i)
            self.benefit_event(i, int(p.are_end[i]) - 30, "rights_ending", None, "Fin de droits ARE dans 30 jours")
        pending = act[self.vec.random(len(act)) < 0.006]
        for i in pending:
            self.benefit_event(int(i), int(rng.integers(s, e)), "pending_decision", None,
                               "Décision en attente : pièce justificative")
        over = act[self.vec.random(len(act)) < 0.002]
        for i in over:
            self.benefit_event(int(i), int(rng.integers(s, e)), "overpayment", round(float(rng.uniform(80, 1500)), 2),
                               "Trop-perçu à expliquer")

    def benefit_event(self, i: int, day: int, kind: str, amount: float | None, text: str) -> None:
        w, rng = self.w, self.rng
        gdd = w.staff.by_role[(int(self.p.agency[i]) + 1, "benefits_counselor")][0]
        resolved = day + int(rng.integers(5, 40))
        self.add("benefit_event", (self.next_id("benefit_event"), i + 1, kind, iso(day), amount, text,
                                   iso(resolved) if resolved <= w.today_day else None))
        contacted = rng.random() < 0.6 and day + 3 <= w.today_day
        self.add("task", (self.next_id("task"), gdd, i + 1, None, f"Indemnisation : {text}", iso(day + 3),
                          "done" if contacted else ("open" if day + 3 > w.today_day - 30 else "cancelled"),
                          "benefits_event", None, ts(day, 8 * 60), ts(day + 3, 14 * 60) if contacted else None))
        if contacted:
            u = rng.random()
            self.interaction(day=day + 3, minute=self.minute(), js=i, author=gdd, channel="phone", direction="out",
                             kind="benefits", outcome="reached" if u < 0.7 else "not_reached", origin="system")

    def online_month(self, act: np.ndarray, s: int, e: int) -> None:
        """Online activity on the personal space, heavier for autonomous and suivi people (vectorised)."""
        w, p, rng = self.w, self.p, self.rng
        rate = (w.profile.online_per_month * np.array([1.0, 0.4, 0.07])[p.digital[act]]
                * np.array([1.3, 1.0, 0.75, 0.6, 1.0])[p.modality[act]] * np.exp(0.6 * p.motivation[act])
                * (e - s) / 30.4)
        counts = self.vec.poisson(rate)
        who = np.repeat(act, counts)
        if len(who) == 0:
            return
        kinds = self.vec.choice(4, size=len(who), p=ONLINE_P)
        days = self.vec.integers(s, e, size=len(who))
        minutes = self.cosmetic_vec.integers(7 * 60, 23 * 60, size=len(who))
        start = self.ids.get("interaction", 0)
        rows = self.buf.setdefault("interaction", [])
        for k, (i, kind, day, minute) in enumerate(zip(who.tolist(), kinds.tolist(), days.tolist(), minutes.tolist())):
            iid = start + k + 1
            stamp = ts(day, minute)
            rows.append((iid, f"INT{iid:09d}", stamp, i + 1, None, None, "online", "in", ONLINE[kind], "done", None,
                         "system", None, None, None, None, None, stamp))
        self.ids["interaction"] = start + len(who)
        when = days.astype(np.int64) * 1440 + minutes
        np.maximum.at(self.last_online, who, when)
        # A few online applications go to offers in Proxima (self-applications).
        apply_k = np.flatnonzero((kinds == 3) & (self.vec.random(len(who)) < 0.12))
        for k in apply_k:
            i = int(who[k])
            if not self.active[i]:
                continue
            key = (int(p.agency[i]), int(p.targets[i, 0]))
            pool = [o for o in self.open_offers.get(key, []) if self.offers[o]["created"] <= days[k]]
            if pool:
                self.apply(i, self.offers[pool[int(rng.integers(len(pool)))]], int(days[k]), origin="self",
                           author=None)

    def prospect(self, emp: int, day: int) -> None:
        w, rng = self.w, self.rng
        counselor = int(w.emp_counselor[emp])
        kind = "visit" if rng.random() < 0.4 else "call"
        self.add("prospection_action", (self.next_id("prospection_action"), emp + 1, counselor, kind, iso(
            day - int(rng.integers(0, 10))), iso(day), None, "Point sur les besoins de recrutement",
            ts(day - 10, 9 * 60)))
        self.interaction(day=day, minute=self.minute(), emp=emp, author=counselor,
                         channel="company_visit" if kind == "visit" else "phone", direction="out", kind="prospection",
                         outcome="reached" if rng.random() < 0.85 else "not_reached")
        if rng.random() < 0.3 * min(2.0, w.emp_lambda[emp]):
            self.need(emp, day, "visit" if kind == "visit" else "call")

    def need(self, emp: int, day: int, source: str) -> None:
        w, ref, rng = self.w, self.w.ref, self.rng
        pair = self.naf_romes.get(int(w.emp_naf[emp]))
        rome = ref.rome_codes[int(pair[0][rng.draw(pair[1])])] if pair is not None else None
        positions = max(1, rng.poisson(float(w.emp_lambda[emp])))
        self.add("recruitment_need", (self.next_id("recruitment_need"), emp + 1, rome, positions,
                                      iso(day + int(rng.integers(15, 180))), source, iso(day),
                                      "Enquête BMO" if source == "bmo" else None))

    def future(self, today: int) -> None:
        """Planned appointments and prospection ahead of today, so agendas are not empty."""
        w, p, rng = self.w, self.p, self.rng
        share = np.array([0.12, 0.45, 0.75, 0.7, 0.75])
        for i in np.flatnonzero(self.active):
            i = int(i)
            if rng.random() < share[p.modality[i]]:
                self.appointment(i, today + int(rng.integers(1, 40)), staff=int(self.referent[i]), kind="follow_up",
                                 channel="in_person" if rng.random() < 0.6 else "visio", origin="manual", planned=True)
        for emp in np.flatnonzero(self.vec.random(w.n_employers) < 0.05):
            self.add("prospection_action", (self.next_id("prospection_action"), int(emp) + 1,
                                            int(w.emp_counselor[emp]), "visit", iso(today +
                                                                                                 int(rng.integers(1, 30))),
                                            None, None, "Visite planifiée", ts(today, 9 * 60)))
        # Profile promotion: employer counselors push a few job seekers' profiles.
        act = np.flatnonzero(self.active)
        for i in self.vec.choice(act, size=min(len(act), max(5, len(act) // 200)), replace=False):
            i = int(i)
            local = w.emp_by_agency[int(p.agency[i])]
            if len(local):
                emp = int(local[int(rng.integers(len(local)))])
                day = today - int(rng.integers(1, 60))
                self.add("prospection_action", (self.next_id("prospection_action"), emp + 1, int(w.emp_counselor[emp]),
                                                "profile_promotion", iso(day), iso(day), i + 1,
                                                "Promotion de profil", ts(day, 9 * 60)))
                self.interaction(day=day, minute=self.minute(), emp=emp, author=int(w.emp_counselor[emp]),
                                 channel="email", direction="out", kind="profile_promotion", outcome="done")
