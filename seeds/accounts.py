"""The demo accounts: one per role, all with the same development-only password.

A light module (no numpy): the login page reads it to list the demo accounts in
development, the demo generator to create them, the benchmarks to log in.
"""

from __future__ import annotations

DEMO_EMAIL_DOMAIN = "proxima.demo"

DEMO_PASSWORD = "Proxima-demo-2026"

# (role, e-mail, what the account shows) — one per role, printed by ``seed accounts``.
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("counselor", "conseiller@proxima.demo", "conseiller emploi, portefeuille « guidé »"),
    ("employer_counselor", "conseiller.entreprise@proxima.demo", "conseiller entreprise, portefeuille d'entreprises"),
    ("benefits_counselor", "gdd@proxima.demo", "conseiller indemnisation (GDD)"),
    ("psychologist", "psychologue@proxima.demo", "psychologue du travail"),
    ("team_manager", "rep@proxima.demo", "responsable d'équipe"),
    ("director", "directeur@proxima.demo", "directeur d'agence"),
    ("admin", "admin@proxima.demo", "administrateur"),
]
