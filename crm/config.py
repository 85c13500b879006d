"""Configuration: defaults in code, then the environment, then an explicit mapping.

Environment variables:
- ``DATABASE_URL``: SQLAlchemy URL; default is a SQLite file in the instance folder.
  PostgreSQL URLs (``postgresql://`` or ``postgres://``) are rewritten to the
  psycopg 3 driver (``postgresql+psycopg://``).
- ``SECRET_KEY``: session signing key; when absent, one is generated on first run
  and stored in ``instance/secret_key`` (never a constant in the code).
- ``PROXIMA_ENV``: ``development`` (default), ``production`` or ``test``.
- ``PROXIMA_SESSION_IDLE_MINUTES``: a session expires after this many minutes without
  a request (default 30).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

ENVIRONMENTS = ("development", "production", "test")

# Expected contact interval (days) per modality; agencies may override (DOMAIN.md).
DEFAULT_CONTACT_INTERVAL_DAYS = {
    "renforce": 30,
    "aij": 30,
    "global": 30,
    "guide": 60,
    "suivi": 90,
}

# Target portfolio sizes per modality; agencies may override.
DEFAULT_PORTFOLIO_TARGETS = {
    "renforce": 70,
    "aij": 50,
    "global": 70,
    "guide": 130,
    "suivi": 300,
}


def normalise_database_url(url: str) -> str:
    """Route every PostgreSQL URL through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_secret_key(instance_path: str) -> str:
    """Read the instance secret key, creating it (mode 0600) on first run."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def build_config(instance_path: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    env = os.environ.get("PROXIMA_ENV", "development")
    if overrides and "PROXIMA_ENV" in overrides:
        env = overrides["PROXIMA_ENV"]
    if env not in ENVIRONMENTS:
        raise RuntimeError(f"PROXIMA_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")

    default_db = "sqlite:///" + str(Path(instance_path) / "proxima.sqlite3")
    config: dict[str, Any] = {
        "PROXIMA_ENV": env,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(os.environ.get("DATABASE_URL") or default_db),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SQLITE_BUSY_TIMEOUT_MS": 15000,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "LANGUAGES": ("fr", "en"),
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "SESSION_IDLE_MINUTES": int(os.environ.get("PROXIMA_SESSION_IDLE_MINUTES", "30")),
        # Login rate limiting (crm.auth.services): failures per account and per address in a window.
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
        "LOGIN_FAILURE_WINDOW_MINUTES": 15,
        # Request bodies: Proxima takes no upload, and its largest form (a team's reassignment)
        # is a few kilobytes; beyond, 413 with a clear page (JSON for the API, which has its own
        # smaller limit). A multipart text field is limited to MAX_FORM_MEMORY_SIZE.
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 500 * 1024,
        "DEFAULT_CONTACT_INTERVAL_DAYS": dict(DEFAULT_CONTACT_INTERVAL_DAYS),
        "DEFAULT_PORTFOLIO_TARGETS": dict(DEFAULT_PORTFOLIO_TARGETS),
        "MODEL_DIR": os.environ.get("PROXIMA_MODEL_DIR", str(Path(instance_path) / "models")),
        # Share of each priority list drawn at random (exploration slots), see recommender/priority.py.
        "PRIORITY_EXPLORATION_SHARE": float(os.environ.get("PROXIMA_EXPLORATION_SHARE", "0.05")),
        # Retention (RGPD): people no longer registered are anonymised after this many months
        # without activity (``flask gdpr purge``).
        "GDPR_RETENTION_MONTHS": int(os.environ.get("PROXIMA_GDPR_RETENTION_MONTHS", "24")),
    }
    if env == "test":
        config["TESTING"] = True
    if overrides:
        config.update(overrides)
    if "DATABASE_URL" in config:
        config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config.pop("DATABASE_URL"))
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or load_secret_key(instance_path)
    return config
