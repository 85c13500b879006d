"""Demo sizes and the constants of the generative model (see seeds/README.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    job_seekers: int
    employers: int
    offers: int  # over the whole history, roughly
    trainings: int
    agencies: int
    online_per_month: float  # mean online actions a month per active, digitally autonomous person (see ONLINE_P)


SIZES: dict[str, Profile] = {
    "small": Profile(job_seekers=3_000, employers=400, offers=800, trainings=90, agencies=2, online_per_month=3.0),
    "medium": Profile(job_seekers=30_000, employers=3_000, offers=7_000, trainings=250, agencies=20,
                      online_per_month=3.0),
    "large": Profile(job_seekers=200_000, employers=20_000, offers=45_000, trainings=600, agencies=120,
                     online_per_month=3.0),
}

HISTORY_MONTHS = 18
# Share of registrations older than the history window (the stock of long-term unemployed).
OLD_STOCK_SHARE = 0.15
# Monthly probability that an active person gets a randomised contact (origin "exploration").
EXPLORATION_RATE = 0.10
# Probability of a counselor-initiated contact per month, by modality (before priorities).
CONTACT_RATE = {"renforce": 0.70, "aij": 0.80, "global": 0.60, "guide": 0.38, "suivi": 0.14}
PORTFOLIO_TARGET = {"renforce": 70, "aij": 50, "global": 70, "guide": 125, "suivi": 280}
CONTACT_INTERVAL_DAYS = {"renforce": 30, "aij": 30, "global": 30, "guide": 60, "suivi": 90}
MODALITIES = ("suivi", "guide", "renforce", "global", "aij")
# Appointment outcomes: done / missed (no-show) / cancelled.
APPOINTMENT_STATUS_P = (0.84, 0.12, 0.04)

# Hires per sector and calendar month: summer and Christmas peaks (NAF divisions).
SEASONAL_SECTORS = {
    "55": (0, 0, 0.1, 0.3, 0.6, 0.9, 0.8, 0.3, 0, 0, 0, 0.2),  # accommodation
    "56": (0, 0, 0.1, 0.3, 0.5, 0.8, 0.7, 0.3, 0, 0, 0, 0.3),  # restaurants
    "47": (0, 0, 0, 0, 0, 0.2, 0.2, 0, 0, 0.3, 0.7, 0.6),  # retail
    "01": (0, 0, 0.2, 0.3, 0.4, 0.6, 0.6, 0.8, 0.7, 0.2, 0, 0),  # agriculture
    "52": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0.4, 0.8, 0.6),  # logistics
    "93": (0, 0, 0, 0.2, 0.5, 0.9, 0.8, 0.2, 0, 0, 0, 0.1),  # leisure
}

REGIONS = {
    "Hauts-de-France": "02 59 60 62 80",
    "Île-de-France": "75 77 78 91 92 93 94 95",
    "Grand Est": "08 10 51 52 54 55 57 67 68 88",
    "Normandie": "14 27 50 61 76",
    "Bretagne": "22 29 35 56",
    "Pays de la Loire": "44 49 53 72 85",
    "Centre-Val de Loire": "18 28 36 37 41 45",
    "Bourgogne-Franche-Comté": "21 25 39 58 70 71 89 90",
    "Nouvelle-Aquitaine": "16 17 19 23 24 33 40 47 64 79 86 87",
    "Occitanie": "09 11 12 30 31 32 34 46 48 65 66 81 82",
    "Auvergne-Rhône-Alpes": "01 03 07 15 26 38 42 43 63 69 73 74",
    "Provence-Alpes-Côte d'Azur": "04 05 06 13 83 84",
    "Corse": "2A 2B",
}


def region_of(departement: str | None) -> str:
    for name, depts in REGIONS.items():
        if departement and departement in depts.split():
            return name
    return "Région de démonstration"
