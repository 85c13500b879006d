"""Browser tests: Playwright drives Debian's Chromium against Proxima served on 127.0.0.1.

The session migrates a fresh database (SQLite, or a scratch PostgreSQL database when
``TEST_DATABASE_URL`` is set), seeds the small demo (``seed demo --size small --seed 1``)
and serves it with ``flask run`` in a subprocess on a free port. Chromium is never
downloaded by Playwright: ``/usr/bin/chromium`` (``PROXIMA_CHROMIUM`` overrides) is
installed with apt when missing and the machine allows it; otherwise the tests skip —
except under CI (``CI`` set), where a missing browser is a failure.

Each journey saves its screenshots (desktop 1366×768, phone 390×844) under
``build/e2e-artifacts/`` (git-ignored) and runs axe-core (``node_modules/axe-core``,
installed by ``npm install``) on the pages it visits.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright

from crm import create_app
from crm.config import normalise_database_url
from crm.extensions import db
from seeds.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.conftest import reset_database, scratch_postgres_database

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "e2e-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
HTMX = ROOT / "crm" / "static" / "vendor" / "htmx.min.js"
CATALOGUE = ROOT / "crm" / "translations" / "en" / "LC_MESSAGES"

CHROMIUM = Path(os.environ.get("PROXIMA_CHROMIUM", "/usr/bin/chromium"))
# Headless and off the network: no background downloads, updates, sync or first-run UI.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
# axe-core impacts that fail a page.
BLOCKING_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 15_000

ACCOUNTS = {role: email for role, email, _what in DEMO_ACCOUNTS}


def _unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail under CI, where these tests must run."""
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- the browser


def _apt_install_chromium() -> str:
    """Install Debian's Chromium (as root, with apt): the output, for the skip message."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600", "chromium"]
    result = subprocess.run(install, env=env, capture_output=True, text=True, timeout=1200)
    if result.returncode != 0:  # an old package list: refresh it once
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
        result = subprocess.run(install, env=env, capture_output=True, text=True, timeout=1200)
    return (result.stdout + result.stderr)[-500:]


def find_chromium() -> tuple[str | None, str]:
    """The Chromium executable, installed when missing and possible; else why not."""
    if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
        return str(CHROMIUM), ""
    if CHROMIUM != Path("/usr/bin/chromium"):
        return None, f"PROXIMA_CHROMIUM={CHROMIUM} is not an executable"
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        output = _apt_install_chromium()
        if CHROMIUM.exists():
            return str(CHROMIUM), ""
        return None, f"apt-get install chromium failed: {output}"
    return None, ("Chromium is not installed at /usr/bin/chromium and cannot be installed here "
                  "(needs root and apt-get): run `sudo apt-get install chromium` to run the browser tests")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path, reason = find_chromium()
    if path is None:
        _unavailable(reason)
    return path  # type: ignore[return-value]


@pytest.fixture(scope="session")
def playwright_api() -> Iterator[Any]:
    with sync_playwright() as api:
        yield api


@pytest.fixture(scope="session")
def browser(playwright_api: Any, chromium_path: str) -> Iterator[Any]:
    # launch() starts Chromium on a fresh temporary profile (user-data dir), removed at close.
    browser = playwright_api.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


# --------------------------------------------------------------------------- the app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _compile_english() -> None:
    """``make translations`` compiles the catalogue; do it here when it is missing or stale."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po, mo = CATALOGUE / "messages.po", CATALOGUE / "messages.mo"
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        with po.open("rb") as fh:
            catalog = read_po(fh, locale="en")
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=True)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {process.returncode}):\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url + "/login", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within 60 s:\n{log.read_text()[-4000:]}")


@dataclass
class LiveServer:
    """The app under test: its base URL, and an in-process app on the same database for
    looking up test data (never for changing it: the browser does that)."""

    url: str
    database_url: str
    app: Any

    def query(self, statement: Any) -> list[Any]:
        with self.app.app_context():
            try:
                return list(db.session.execute(statement).all())
            finally:
                db.session.remove()

    def scalar(self, statement: Any) -> Any:
        rows = self.query(statement)
        return rows[0][0] if rows else None


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        with scratch_postgres_database(normalise_database_url(url), "e2e") as scratch:
            yield scratch
    else:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("e2e-db") / "proxima.sqlite3")


@pytest.fixture(scope="session")
def live_server(e2e_database_url: str, tmp_path_factory: pytest.TempPathFactory,
                chromium_path: str) -> Iterator[LiveServer]:
    """Migrate, seed the small demo and serve it (about 20 s, once per session)."""
    if not HTMX.exists():
        _unavailable(f"{HTMX.relative_to(ROOT)} is missing: run `make assets`")
    _compile_english()
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = {**os.environ, "DATABASE_URL": e2e_database_url, "PROXIMA_INSTANCE_PATH": str(instance),
           "PROXIMA_ENV": "development", "SECRET_KEY": "e2e-only-secret", "FLASK_DEBUG": "0",
           "PYTHONUNBUFFERED": "1"}
    env.pop("TEST_DATABASE_URL", None)
    reset_database(e2e_database_url)
    # Migrated and seeded in this process (one interpreter start less), served by another.
    with mock.patch.dict(os.environ, {"PROXIMA_INSTANCE_PATH": str(instance)}):
        app = create_app({"PROXIMA_ENV": "test", "DATABASE_URL": e2e_database_url, "SECRET_KEY": "e2e-only-secret"})
    with app.app_context():
        upgrade()
    seeded = app.test_cli_runner().invoke(args=["seed", "demo", "--size", "small", "--seed", "1"])
    assert seeded.exit_code == 0, f"seed demo failed:\n{seeded.output}"
    with app.app_context():
        db.engine.dispose()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = instance / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "crm", "run", "--host", "127.0.0.1", "--port", str(port),
             "--no-reload", "--no-debugger", "--with-threads"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(url, process, log)
        yield LiveServer(url=url, database_url=e2e_database_url, app=app)
        with app.app_context():
            db.engine.dispose()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def journal() -> dict[str, Any]:
    """What the journeys did (people contacted, offers, reassignments), for the audit journey."""
    return {}


# --------------------------------------------------------------------------- pages


@dataclass
class Shots:
    """Screenshots of one journey, at both viewports, numbered in order."""

    journey: str
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page: Any, step: str, *, focus: Any = None) -> None:
        size = page.viewport_size
        number = len(self.taken) // 2 + 1
        for name, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            if focus is not None:
                focus.evaluate("element => element.scrollIntoView({block: 'center'})")
            path = ARTIFACTS / f"{self.journey}-{number:02d}-{step}-{name}.png"
            page.screenshot(path=str(path), animations="disabled")
            self.taken.append(path)
        page.set_viewport_size(size)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The screenshots folder, emptied once per run (git-ignored: build/)."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture()
def shots(request: pytest.FixtureRequest, artifacts: Path) -> Shots:
    journey = request.node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    name = request.node.name.removeprefix("test_")
    return Shots(journey=f"{journey}-{name}" if name != "journey" else journey)


@pytest.fixture()
def new_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[[], Any]]:
    """Open pages in fresh browser contexts (their own cookies); JavaScript errors fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_page() -> Any:
        # bypass_csp: axe-core is injected as a script tag, which a strict CSP would refuse.
        context = browser.new_context(viewport=DESKTOP, locale="fr-FR", timezone_id="Europe/Paris",
                                      base_url=live_server.url, bypass_csp=True)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture()
def page(new_page: Callable[[], Any]) -> Any:
    return new_page()


def log_in(page: Any, role: str, *, check: bool = False) -> None:
    """Sign in through the login form with the demo account of ``role`` (``check``: run
    axe-core on the login page and on the home page it leads to)."""
    page.goto("/login")
    if check:
        assert_accessible(page, "the login page")
    page.locator("input[name=email]").fill(ACCOUNTS[role])
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/(\?.*)?$"))
    if check:
        assert_accessible(page, f"the home page ({role})")


def give_reason_if_asked(page: Any, reason: str) -> None:
    """A file outside one's portfolio opens after a reason (issue 9): give ``reason``
    (a label of the list) when the page asks for one."""
    heading = page.get_by_role("heading", level=1)
    if "hors de votre portefeuille" in heading.inner_text():
        assert_accessible(page, "the reason asked before opening a file")
        page.get_by_role("radio", name=reason).check()
        page.get_by_role("button", name="Ouvrir le dossier").click()
        page.wait_for_load_state()


def settle(page: Any) -> None:
    """Wait until htmx has no request in flight (sections load after the page)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


# --------------------------------------------------------------------------- accessibility


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page as it stands."""
    if not AXE.exists():
        _unavailable(f"{AXE.relative_to(ROOT)} is missing: run `npm install`")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                                                                  summary: n.failureSummary}))}));
    }""")
    return [v for v in result if v["impact"] in BLOCKING_IMPACTS]


def assert_accessible(page: Any, where: str) -> None:
    """No serious or critical axe-core violation on the page (as shown now)."""
    violations = axe_violations(page)
    report = json.dumps(violations, ensure_ascii=False, indent=1)
    assert not violations, f"axe-core on {where} ({page.url}):\n{report}"


def focused(page: Any) -> dict[str, Any]:
    """What has the keyboard focus: tag, id, text and the id of the closest region — once htmx
    has settled: the page moves the focus when a swapped region settles (``htmx:afterSettle``,
    after htmx's settle delay), so the new content shows a moment before the focus is placed."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    return page.evaluate("""() => {
        const e = document.activeElement;
        if (!e) return {tag: null};
        const region = e.closest("[id]");
        return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute("name"),
                text: (e.innerText || e.value || "").trim().slice(0, 80), region: region && region.id,
                invalid: e.getAttribute("aria-invalid")};
    }""")
