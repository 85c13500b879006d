"""Demo data generator: a synthetic but structured history for an employment agency network.

Entry point: ``generate_demo``; the command is ``flask --app crm seed demo`` (seeds/cli.py).
The generative model is documented in seeds/README.md.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from seeds.demo.bulk import BulkWriter
from seeds.accounts import DEMO_PASSWORD
from seeds.demo.profiles import HISTORY_MONTHS, SIZES

REFERENCE_TABLES = frozenset({
    "rome_domain", "rome_family", "rome_occupation", "rome_appellation", "naf_section", "naf_code", "bassin",
    "commune", "related_occupation", "labour_shortage", "occupation_sector_hires", "size_band",
})


class DemoRefused(Exception):
    """The database already holds data and neither ``--if-empty`` nor ``--reset`` was given."""


@dataclass
class DemoReport:
    skipped: bool = False
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def demo_password_hash(seed: int) -> str:
    """Argon2id hash of the demo password with a salt derived from the seed.

    Same parameters as ``crm.organisation.passwords`` (so ``verify_password`` accepts it),
    but a fixed salt: the same seed must give byte-identical rows. The password is public.
    """
    from argon2 import low_level

    from crm.organisation.passwords import _hasher

    salt = hashlib.sha256(f"proxima-demo-{seed}".encode()).digest()[:16]
    return low_level.hash_secret(
        DEMO_PASSWORD.encode(), salt, time_cost=_hasher.time_cost, memory_cost=_hasher.memory_cost,
        parallelism=_hasher.parallelism, hash_len=_hasher.hash_len, type=_hasher.type,
    ).decode()


def operational_tables(metadata: sa.MetaData) -> list[sa.Table]:
    """Every table but the reference ones, children first (safe deletion order)."""
    return [t for t in reversed(metadata.sorted_tables) if t.name not in REFERENCE_TABLES]


def count_job_seekers(conn: sa.Connection) -> int:
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM job_seeker")).scalar_one())


def generate_demo(*, engine: sa.Engine, metadata: sa.MetaData, size: str = "small", seed: int = 1,
                  today: date, reset: bool = False, if_empty: bool = False, progress: bool = False,
                  echo: Any = None, history_months: int = HISTORY_MONTHS) -> DemoReport:
    """Write the demo history into a database whose reference tables are loaded.

    One transaction for everything: a failure leaves the database as it was.
    """
    from seeds.demo.people import People
    from seeds.demo.reference import load_reference
    from seeds.demo.simulate import Simulation
    from seeds.demo.world import World, ts

    started = time.perf_counter()
    profile = SIZES[size]
    echo = echo or (lambda _msg: None)

    def say(msg: str) -> None:
        echo(f"[{time.perf_counter() - started:6.1f} s] {msg}")

    with engine.connect() as conn, bulk_load_settings(conn), conn.begin():
        if count_job_seekers(conn):
            if if_empty:
                return DemoReport(skipped=True)
            if not reset:
                raise DemoRefused("the database already holds job seekers; use --reset to replace them "
                                  "or --if-empty to keep them")
            for table in operational_tables(metadata):
                conn.execute(table.delete())
        writer = BulkWriter(conn)
        ref = load_reference(conn)
        world = World(writer=writer, ref=ref, profile=profile, seed=seed, today=today,
                      password_hash=demo_password_hash(seed), history_months=history_months)
        say("organisation, employers, catalogue…")
        world.build_organisation()
        world.build_employers()
        world.build_catalogue()
        say(f"{profile.job_seekers:,} job seekers…")
        people = People(world)
        people.write(world)
        sim = Simulation(world, people)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(sim.month_starts()), desc="history", unit="month")
        sim.run(bar)
        if bar is not None:
            bar.close()
        say("derived fields…")
        finalise(world, people, sim, ts)
        writer.reset_sequences(t.name for t in metadata.sorted_tables
                               if t.name not in REFERENCE_TABLES and "id" in t.c and t.c.id.autoincrement is not False
                               and t.name != "catalogue_item_rome")
        say("commit…")
    # Fresh statistics for the query planner: without them SQLite picks a low-selectivity
    # index (appointment.status) and a 350-person portfolio page takes a second, not 30 ms.
    say("statistics (ANALYZE)…")
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    counts = {k: v for k, v in writer.counts.items() if "#" not in k}
    say(f"done; {sum(counts.values()):,} rows, {writer.seconds:.1f} s of it in the database driver "
        f"({writer.cpu_seconds:.1f} s CPU)")
    return DemoReport(seconds=time.perf_counter() - started, counts=counts)


@contextmanager
def bulk_load_settings(conn: sa.Connection) -> Iterator[None]:
    """SQLite only: settings for one big load on this connection, restored afterwards.

    No foreign-key checks row by row (the same rows go through PostgreSQL with its
    constraints in the tests), no fsync, a large page cache (the indexes of the big
    tables outgrow the default 2 MB one and every insert then waits on the disk), and a
    rollback journal instead of WAL when no other connection holds the file (WAL would
    write every page twice: into the log, then into the database at the checkpoint; the
    rollback journal only keeps the pages that existed before, so a failure still rolls
    everything back). The engine's own settings (WAL, ``synchronous=NORMAL``, foreign
    keys) come back at the end. PRAGMAs run on the driver connection outside any
    transaction: SQLite ignores ``foreign_keys`` and cannot change the journal inside one.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    names = ("foreign_keys", "synchronous", "cache_size", "temp_store", "journal_mode")
    before = {name: raw.execute(f"PRAGMA {name}").fetchone()[0] for name in names}
    for name, value in (("foreign_keys", "OFF"), ("synchronous", "OFF"), ("cache_size", "-524288"),
                        ("temp_store", "MEMORY"), ("journal_mode", "DELETE")):
        raw.execute(f"PRAGMA {name}={value}").fetchall()
    try:
        yield
    finally:
        for name in names:
            raw.execute(f"PRAGMA {name}={before[name]}").fetchall()


def finalise(world: Any, people: Any, sim: Any, ts: Any) -> None:
    """Write what only the end of the history knows: status, referents, last contacts, offer fates."""
    w, today = world.w, world.today_day
    stamp = ts(today, 7 * 60)
    gdd = {a: world.staff.by_role[(a, "benefits_counselor")][0] for a in range(1, world.n_agencies + 1)}

    def moment(value: int) -> str | None:
        return None if value < 0 else ts(int(value // 1440), int(value % 1440))

    rows = []
    for i in range(people.n):
        exited = bool(sim.exited[i])
        category = None
        if not exited and sim.training_until[i] >= today:
            category = "D"
        elif not exited and sim.short_job_until[i] >= today:
            category = "C"
        rows.append((int(sim.referent[i]), gdd[int(people.agency[i]) + 1], "exited" if exited else "active",
                     date.fromordinal(int(sim.exit_day[i])) if exited else None, sim.exit_reason[i],
                     moment(int(sim.last_contact[i])), moment(int(sim.last_online[i])), stamp, i + 1))
    w.update("job_seeker", ["referent_id", "benefits_counselor_id", "status", "exit_date", "exit_reason",
                            "last_contact_at", "last_online_at", "updated_at"], rows)
    cat_rows = []
    for i in range(people.n):
        if not sim.exited[i] and sim.training_until[i] >= today:
            cat_rows.append(("D", i + 1))
        elif not sim.exited[i] and sim.short_job_until[i] >= today:
            cat_rows.append(("C", i + 1))
    w.update("job_seeker", ["registration_category"], cat_rows)
    w.insert("barrier", ["id", "job_seeker_id", "kind", "noted_on", "resolved_on", "notes"],
             [tuple(r) for r in people.barrier_rows])
    offer_rows = []
    for oid, o in sim.offers.items():
        shared = o["created"] + 15 if (o["filled"] is None or o["filled"] > o["created"] + 15) and \
            o["created"] + 15 <= min(today, o["closed"] or today) and o["status"] != "draft" else None
        offer_rows.append((o["status"], date.fromordinal(o["filled"]) if o["status"] == "filled" else None,
                           date.fromordinal(o["closed"]) if o["closed"] else None,
                           date.fromordinal(shared) if shared else None,
                           ts(o["closed"], 18 * 60) if o["closed"] else ts(o["created"], 9 * 60), oid))
    w.update("job_offer", ["status", "filled_on", "closed_on", "shared_with_partners_on", "updated_at"], offer_rows)
    emp_rows = [(moment(int(v)), stamp, e + 1) for e, v in enumerate(sim.emp_last_contact) if v >= 0]
    w.update("employer", ["last_contact_at", "updated_at"], emp_rows)
