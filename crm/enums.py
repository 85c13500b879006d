"""Enumerations shared by several domains. Stored values are stable codes (English);
the interface shows their French labels (see ``crm.labels``)."""

from __future__ import annotations

from crm.db import Choice


class Modality(Choice):
    """Follow-up modalities (seed 003 « 4 modalités » plus AIJ)."""

    SUIVI = "suivi"
    GUIDE = "guide"
    RENFORCE = "renforce"
    GLOBAL = "global"
    AIJ = "aij"


class ContractType(Choice):
    CDI = "cdi"
    CDD = "cdd"
    INTERIM = "interim"
    SEASONAL = "seasonal"
    APPRENTICESHIP = "apprenticeship"
    SUBSIDISED = "subsidised"
    FREELANCE = "freelance"


class ItemKind(Choice):
    """What can be proposed to a job seeker."""

    OFFER = "offer"
    TRAINING = "training"
    WORKSHOP = "workshop"
    PRESTATION = "prestation"
    PARTNER_SERVICE = "partner_service"
    EVENT = "event"


class PartyKind(Choice):
    JOB_SEEKER = "job_seeker"
    EMPLOYER = "employer"
