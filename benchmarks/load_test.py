"""Load test: N simulated counselors do their daily round against Proxima served by gunicorn.

Usage::

    DATABASE_URL=sqlite:////path/demo.sqlite3 .venv/bin/python -m benchmarks.load_test \\
        [--users 50] [--seconds 60] [--max-requests 100000] [--think 5.0] [--ramp 10] [--workers 4] [--threads 4]
    .venv/bin/python -m benchmarks.load_test --seed-demo      # a fresh small demo in a temporary SQLite file

``DATABASE_URL`` may be a PostgreSQL URL (seed it first: ``flask --app crm seed demo --size small``).
The script starts gunicorn on 127.0.0.1 (a free port), waits for it, then runs one thread per
simulated counselor, each with its own HTTP session (``requests``), logged in as one of the
counselors of the database (round robin over those with a portfolio; the demo password, or
``--password``). Each counselor loops over ``ROUND`` until ``--seconds`` have passed or
``--max-requests`` have been sent:

1. the priority list (``/priorites``), from which a person is picked (else one of their portfolio);
2. that person's file;
3. the contact form (htmx fragment), then logging a contact with the CSRF token;
4. the recommendations widget — any step answering 404 is dropped from the round (a page
   not built yet), so the round is easy to extend: add a ``Step``.

Counselors arrive one after the other over ``--ramp`` seconds (logging in is slow on purpose:
Argon2). Between two requests a counselor thinks for ``--think`` seconds on average (uniform
between half and one and a half times it; 0: no pause, the server's saturation). Every request is
timed; an error is a 5xx, a connection failure, or an unexpected status. The report gives
requests/s, p50/p95/p99 overall and per step, and the errors.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
from datetime import date
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken":\s*"([^"]+)"')
FILE_LINK = re.compile(r'href="/beneficiaires/(\d+)"')
HX = {"HX-Request": "true"}


@dataclass(frozen=True)
class Step:
    """One request of the round. ``url`` is formatted with ``person``; ``data`` is posted
    (with the session's CSRF token) when given; ``ok`` are the expected statuses."""

    name: str
    url: str
    data: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    ok: tuple[int, ...] = (200,)
    optional: bool = False  # a 404 removes the step from the round instead of counting an error


CONTACT = {"channel": "phone", "direction": "out", "kind": "follow_up", "outcome": "reached",
           "notes": "Point d'étape téléphonique (test de charge)", "next_step": ""}

ROUND: tuple[Step, ...] = (
    Step("priority list", "/priorites"),
    Step("file", "/beneficiaires/{person}"),
    Step("contact form", "/beneficiaires/{person}/interactions/formulaire", headers=HX),
    Step("log a contact", "/beneficiaires/{person}/interactions", data=CONTACT, headers=HX),
    Step("recommendations", "/beneficiaires/{person}/recommandations", headers=HX, optional=True),
)


@dataclass
class Sample:
    step: str
    ms: float
    error: str | None = None
    at: float = field(default_factory=time.monotonic)  # when the request was sent


@dataclass
class Budget:
    """Shared bounds: the deadline and the number of requests left."""

    deadline: float
    left: int
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0 or time.monotonic() >= self.deadline:
                return False
            self.left -= 1
            return True


class Counselor(threading.Thread):
    def __init__(self, base: str, email: str, password: str, people: list[int], *, budget: Budget, think: float,
                 seed: int, missing: set[str], delay: float = 0.0) -> None:
        super().__init__(daemon=True)
        import requests

        self.base, self.email, self.password, self.people = base, email, password, people
        self.budget, self.think, self.rng, self.missing = budget, think, random.Random(seed), missing
        self.delay = delay  # counselors arrive one after the other (``--ramp``)
        self.http = requests.Session()
        self.samples: list[Sample] = []
        self.token = ""
        self.person = people[0] if people else 0

    def run(self) -> None:
        time.sleep(self.delay)
        try:
            self.log_in()
        except Exception as error:  # noqa: BLE001
            self.samples.append(Sample("log in", 0.0, f"{type(error).__name__}: {error}"[:200]))
            return
        while True:
            for step in ROUND:
                if step.name in self.missing:
                    continue
                self.pause()
                if not self.budget.take():
                    return
                self.request(step)

    def pause(self) -> None:
        if self.think > 0:
            time.sleep(self.rng.uniform(0.5, 1.5) * self.think)

    def log_in(self) -> None:
        page = self.http.get(self.base + "/login", timeout=60)
        token = CSRF_INPUT.search(page.text)
        data = {"email": self.email, "password": self.password, "csrf_token": token.group(1) if token else ""}
        sent, started = time.monotonic(), time.perf_counter()
        response = self.http.post(self.base + "/login", data=data, allow_redirects=False, timeout=60)
        error = None if response.status_code == 302 else f"log in as {self.email}: HTTP {response.status_code}"
        self.samples.append(Sample("log in", (time.perf_counter() - started) * 1000, error, sent))
        if error:
            raise RuntimeError(error)

    def request(self, step: Step) -> None:
        url = self.base + step.url.format(person=self.person)
        headers = dict(step.headers)
        sent, started = time.monotonic(), time.perf_counter()
        error = None
        try:
            if step.data is not None:
                headers["X-CSRFToken"] = self.token
                response = self.http.post(url, data=step.data, headers=headers, allow_redirects=False, timeout=60)
            else:
                response = self.http.get(url, headers=headers, allow_redirects=False, timeout=60)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code == 404 and step.optional:
                self.missing.add(step.name)
                return
            if response.status_code not in step.ok:
                error = f"HTTP {response.status_code}"
            else:
                self.learn(step, response.text)
        except Exception as exc:  # noqa: BLE001  (timeouts, refused connections…)
            elapsed = (time.perf_counter() - started) * 1000
            error = type(exc).__name__
        self.samples.append(Sample(step.name, elapsed, error, sent))

    def learn(self, step: Step, html: str) -> None:
        """Keep the CSRF token, and pick the next person from the priority list."""
        token = CSRF_HEADER.search(html) or CSRF_INPUT.search(html)
        if token:
            self.token = token.group(1)
        if step.name == "priority list":
            listed = [int(i) for i in FILE_LINK.findall(html)]
            choices = listed or self.people
            if choices:
                self.person = self.rng.choice(choices)


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url: str, *, port: int, workers: int, threads: int, instance: Path,
                   log: Path, extra: list[str] | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": database_url, "PROXIMA_INSTANCE_PATH": str(instance),
           "SECRET_KEY": "load-test-" + str(port), "PROXIMA_ENV": "development"}
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--threads", str(threads), "--timeout", "120", "--log-level", "warning",
               # Keep idle connections longer than a counselor thinks, as a reverse proxy would.
               "--keep-alive", "30", *(extra or []),
               "crm:create_app()"]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 300) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped:\n" + log.read_text()[-3000:])
        try:
            if requests.get(base + "/login", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer in time:\n" + log.read_text()[-3000:])


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # gunicorn and its workers (their own process group)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --------------------------------------------------------------------------- the data and the report


def counselors(database_url: str, limit: int) -> list[tuple[str, list[int]]]:
    """(e-mail, active people) of counselors who can log in, largest portfolios first."""
    import sqlalchemy as sa

    from crm.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT u.email, js.id FROM job_seeker js JOIN \"user\" u ON u.id = js.referent_id "
                "WHERE u.role = 'counselor' AND u.is_active_account AND u.password_hash IS NOT NULL "
                "AND js.status = 'active' AND js.anonymised_at IS NULL ORDER BY u.id, js.id")).all()
    finally:
        engine.dispose()
    portfolios: dict[str, list[int]] = defaultdict(list)
    for email, person in rows:
        portfolios[email].append(person)
    ranked = sorted(portfolios.items(), key=lambda item: -len(item[1]))
    return ranked[:limit]


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] if ordered else 0.0


def report(samples: list[Sample], seconds: float, *, measured_from: float, warmup: float = 0.0) -> list[str]:
    """Figures over the requests sent after the warm-up (errors: over every request)."""
    errors = [s for s in samples if s.error]
    samples = [s for s in samples if s.at >= measured_from + warmup]
    seconds -= warmup
    timed = [s for s in samples if s.step != "log in"]
    ordered = sorted(s.ms for s in timed)
    lines = [f"{len(timed)} requests in {seconds:.1f} s{' after the warm-up' if warmup else ''}: "
             f"{len(timed) / seconds:.1f} requests/s, {len(errors)} errors",
             f"latency (ms): p50 {percentile(ordered, .5):.0f}, p95 {percentile(ordered, .95):.0f}, "
             f"p99 {percentile(ordered, .99):.0f}, max {ordered[-1] if ordered else 0:.0f}"]
    by_step: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_step[sample.step].append(sample)
    for name in ["log in", *(step.name for step in ROUND)]:
        group = by_step.get(name)
        if not group:
            continue
        times = sorted(s.ms for s in group)
        lines.append(f"  {name:<18} n={len(group):<6} p50 {statistics.median(times):6.0f}  p95 "
                     f"{percentile(times, .95):6.0f}  p99 {percentile(times, .99):6.0f} ms  "
                     f"errors {sum(1 for s in errors if s.step == name)}")
    kinds: dict[str, int] = defaultdict(int)
    for sample in errors:
        kinds[f"{sample.step}: {sample.error}"] += 1
    for kind, count in sorted(kinds.items(), key=lambda item: -item[1])[:10]:
        lines.append(f"  {count} × {kind}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50, help="Simulated counselors.")
    parser.add_argument("--seconds", type=float, default=60.0, help="Duration of the run.")
    parser.add_argument("--max-requests", type=int, default=100_000, help="Requests at most, all users together.")
    parser.add_argument("--think", type=float, default=5.0,
                        help="Mean pause between two requests (seconds). 5 s: a counselor clicking, reading a list "
                             "and logging a call that fast is already a heavy user; 1: the server's saturation.")
    parser.add_argument("--ramp", type=float, default=10.0,
                        help="Seconds over which the counselors arrive and log in (0: all at once).")
    parser.add_argument("--warmup", type=float, default=0.0,
                        help="Seconds at the start left out of the latency figures (errors still count).")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes.")
    parser.add_argument("--threads", type=int, default=4, help="Threads per gunicorn worker.")
    parser.add_argument("--password", default=None, help="The counselors' password (default: the demo's).")
    parser.add_argument("--gunicorn-arg", action="append", default=[], metavar="ARG",
                        help="An extra gunicorn argument (repeat it), e.g. --gunicorn-arg=--preload.")
    parser.add_argument("--seed-demo", action="store_true",
                        help="Serve a fresh small demo in a temporary SQLite file (ignores DATABASE_URL).")
    args = parser.parse_args()

    from seeds.accounts import DEMO_PASSWORD

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if args.seed_demo:
            from benchmarks.concurrent_writers import seed_small_demo

            print("seeding the small demo into a temporary database…", flush=True)
            database_url = seed_small_demo(directory)
            # The nightly batch, as in production: what to propose is stored for the file's widget.
            subprocess.run([sys.executable, "-m", "flask", "--app", "crm", "recommender", "recommend", "--quiet",
                            "--as-of", date.today().isoformat(), "--out", str(directory / "recommendations.csv")],
                           env={**os.environ, "DATABASE_URL": database_url, "PROXIMA_INSTANCE_PATH": str(directory)},
                           check=True, capture_output=True)
        else:
            database_url = os.environ.get("DATABASE_URL") or ""
            if not database_url:
                raise SystemExit("set DATABASE_URL (a seeded database), or use --seed-demo")
        accounts = counselors(database_url, args.users)
        if not accounts:
            raise SystemExit("no counselor with a portfolio and a password: seed the database first")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = directory / "gunicorn.log"
        print(f"database: {database_url.split('@')[-1]}; gunicorn {args.workers} workers × {args.threads} threads "
              f"on {base}; {args.users} counselors ({len(accounts)} accounts), think {args.think} s, "
              f"ramp {args.ramp:.0f} s, {args.seconds:.0f} s or {args.max_requests} requests", flush=True)
        server = start_gunicorn(database_url, port=port, workers=args.workers, threads=args.threads,
                                instance=directory, log=log, extra=args.gunicorn_arg)
        try:
            wait_until_up(base, server, log)
            missing: set[str] = set()
            budget = Budget(deadline=float("inf"), left=args.max_requests)
            users = [Counselor(base, accounts[i % len(accounts)][0], args.password or DEMO_PASSWORD,
                               accounts[i % len(accounts)][1], budget=budget, think=args.think, seed=i,
                               missing=missing, delay=args.ramp * i / args.users) for i in range(args.users)]
            started = time.monotonic()
            budget.deadline = started + args.seconds
            for user in users:
                user.start()
            for user in users:
                user.join(timeout=args.seconds + 180)
            elapsed = time.monotonic() - started
        finally:
            stop(server)
        samples = [s for user in users for s in user.samples]
        for line in report(samples, elapsed, measured_from=started, warmup=args.warmup):
            print(line)
        if missing:
            print("skipped (404, not built yet): " + ", ".join(sorted(missing)))
        server_log = log.read_text().splitlines()
        tracebacks = [i for i, line in enumerate(server_log) if line.startswith("Traceback")]
        incidents = [line for line in server_log if "[CRITICAL]" in line or "[ERROR]" in line]
        if incidents:
            print(f"gunicorn log: {len(incidents)} incidents, e.g. {incidents[0][:200]}")
        if tracebacks:
            first = tracebacks[0]
            end = next((i for i in range(first + 1, len(server_log)) if server_log[i] and
                        not server_log[i].startswith((" ", "Traceback", "During", "The above"))), first + 40)
            print(f"gunicorn log: {len(tracebacks)} tracebacks; the first:")
            print("\n".join(server_log[first:end + 1][-40:]))
        sys.exit(1 if any(s.error for s in samples) else 0)


if __name__ == "__main__":
    main()
