"""French labels (translatable) for every stored enumeration code.

Stored values are stable English codes; the interface never shows them. Labels are
keyed by enum class because ``Choice`` members are strings: ``Channel.EVENT`` and
``ItemKind.EVENT`` compare equal and would collide in a flat dictionary.
Templates use the ``label`` filter: ``{{ job_seeker.modality|label }}``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from crm.catalogue.models import CatalogueKind, EventKind, PartnerKind, RegistrationStatus
from crm.db import Choice
from crm.employers.models import EmployerSegment, NeedSource, ProspectionKind
from crm.enums import ContractType, ItemKind, Modality, PartyKind
from crm.interactions.models import (
    AppointmentKind, AppointmentStatus, Channel, Direction, FeedbackAction, FeedbackContext, InteractionKind,
    InteractionOrigin, InteractionOutcome, ProposalOutcome, ProposalResponse, ProposalSource, ReferralStatus,
    TaskOrigin, TaskStatus,
)
from crm.jobseekers.models import (
    ActionStatus, BarrierKind, BenefitEventKind, BenefitKind, ConsentKind, DigitalAutonomy, EducationLevel,
    ExitReason, Gender, JobSeekerStatus, Nationality, RegistrationCategory,
)
from crm.modelregistry.models import ModelKind, ModelStatus
from crm.offers.models import ApplicationOrigin, ApplicationStatus, OfferStatus, RefusalReason
from crm.organisation.models import Role
from crm.outcomes.models import OutcomeKind

LABELS: dict[type[Choice], dict[Any, LazyString]] = {
    # organisation
    Role: {
        Role.COUNSELOR: _l("Conseiller emploi"),
        Role.EMPLOYER_COUNSELOR: _l("Conseiller entreprise"),
        Role.BENEFITS_COUNSELOR: _l("Conseiller indemnisation"),
        Role.PSYCHOLOGIST: _l("Psychologue du travail"),
        Role.TEAM_MANAGER: _l("Responsable d'équipe"),
        Role.DIRECTOR: _l("Directeur d'agence"),
        Role.ADMIN: _l("Administrateur"),
    },
    # shared
    Modality: {
        Modality.SUIVI: _l("Suivi"),
        Modality.GUIDE: _l("Guidé"),
        Modality.RENFORCE: _l("Renforcé"),
        Modality.GLOBAL: _l("Accompagnement global"),
        Modality.AIJ: _l("Accompagnement intensif jeunes"),
    },
    ContractType: {
        ContractType.CDI: _l("CDI"),
        ContractType.CDD: _l("CDD"),
        ContractType.INTERIM: _l("Intérim"),
        ContractType.SEASONAL: _l("Saisonnier"),
        ContractType.APPRENTICESHIP: _l("Apprentissage"),
        ContractType.SUBSIDISED: _l("Contrat aidé"),
        ContractType.FREELANCE: _l("Indépendant"),
    },
    ItemKind: {
        ItemKind.OFFER: _l("Offre d'emploi"),
        ItemKind.TRAINING: _l("Formation"),
        ItemKind.WORKSHOP: _l("Atelier"),
        ItemKind.PRESTATION: _l("Prestation"),
        ItemKind.PARTNER_SERVICE: _l("Service partenaire"),
        ItemKind.EVENT: _l("Événement"),
    },
    PartyKind: {
        PartyKind.JOB_SEEKER: _l("Demandeur d'emploi"),
        PartyKind.EMPLOYER: _l("Entreprise"),
    },
    # job seekers
    Gender: {
        Gender.FEMALE: _l("Femme"),
        Gender.MALE: _l("Homme"),
    },
    Nationality: {
        Nationality.FRENCH: _l("Française"),
        Nationality.EU: _l("Union européenne"),
        Nationality.NON_EU: _l("Hors Union européenne"),
    },
    RegistrationCategory: {
        RegistrationCategory.A: _l("Catégorie A"),
        RegistrationCategory.B: _l("Catégorie B"),
        RegistrationCategory.C: _l("Catégorie C"),
        RegistrationCategory.D: _l("Catégorie D"),
        RegistrationCategory.E: _l("Catégorie E"),
    },
    EducationLevel: {
        EducationLevel.NONE: _l("Sans diplôme"),
        EducationLevel.CAP_BEP: _l("CAP, BEP"),
        EducationLevel.BAC: _l("Baccalauréat"),
        EducationLevel.BAC_2: _l("Bac + 2"),
        EducationLevel.BAC_3: _l("Bac + 3"),
        EducationLevel.BAC_5: _l("Bac + 5 et plus"),
    },
    DigitalAutonomy: {
        DigitalAutonomy.AUTONOMOUS: _l("Autonome"),
        DigitalAutonomy.PARTIAL: _l("Partiellement autonome"),
        DigitalAutonomy.NONE: _l("Non autonome"),
    },
    JobSeekerStatus: {
        JobSeekerStatus.ACTIVE: _l("Inscrit"),
        JobSeekerStatus.EXITED: _l("Sorti"),
    },
    ExitReason: {
        ExitReason.EMPLOYMENT: _l("Reprise d'emploi"),
        ExitReason.TRAINING: _l("Entrée en formation"),
        ExitReason.NON_RENEWAL: _l("Défaut d'actualisation"),
        ExitReason.SANCTION: _l("Radiation"),
        ExitReason.MOVED: _l("Déménagement"),
        ExitReason.OTHER: _l("Autre motif"),
    },
    BarrierKind: {
        BarrierKind.HOUSING: _l("Logement"),
        BarrierKind.MOBILITY: _l("Mobilité"),
        BarrierKind.CHILDCARE: _l("Garde d'enfants"),
        BarrierKind.HEALTH: _l("Santé"),
        BarrierKind.LITERACY: _l("Savoirs de base"),
        BarrierKind.LANGUAGE: _l("Maîtrise du français"),
        BarrierKind.FINANCIAL: _l("Difficultés financières"),
    },
    ActionStatus: {
        ActionStatus.TODO: _l("À faire"),
        ActionStatus.IN_PROGRESS: _l("En cours"),
        ActionStatus.DONE: _l("Réalisée"),
        ActionStatus.ABANDONED: _l("Abandonnée"),
    },
    BenefitKind: {
        BenefitKind.ARE: _l("ARE (aide au retour à l'emploi)"),
        BenefitKind.ASS: _l("ASS (allocation de solidarité spécifique)"),
        BenefitKind.AREF: _l("AREF (ARE formation)"),
    },
    BenefitEventKind: {
        BenefitEventKind.PENDING_DECISION: _l("Décision en attente"),
        BenefitEventKind.OVERPAYMENT: _l("Trop-perçu"),
        BenefitEventKind.RIGHTS_RECHARGE: _l("Rechargement des droits"),
        BenefitEventKind.RIGHTS_ENDING: _l("Fin de droits"),
        BenefitEventKind.SUSPENSION: _l("Suspension"),
    },
    ConsentKind: {
        ConsentKind.DATA_PROCESSING_INFORMATION: _l("Information sur le traitement des données"),
        ConsentKind.PARTNER_SHARING: _l("Partage avec les partenaires"),
        ConsentKind.SMS: _l("Contact par SMS"),
        ConsentKind.EMAIL: _l("Contact par courriel"),
        ConsentKind.PROFILE_PROMOTION: _l("Promotion du profil auprès des entreprises"),
    },
    # employers
    EmployerSegment: {
        EmployerSegment.KEY_ACCOUNT: _l("Grand compte"),
        EmployerSegment.SME: _l("PME"),
        EmployerSegment.VERY_SMALL: _l("TPE"),
        EmployerSegment.PUBLIC_SECTOR: _l("Secteur public"),
    },
    ProspectionKind: {
        ProspectionKind.VISIT: _l("Visite"),
        ProspectionKind.CALL: _l("Appel"),
        ProspectionKind.FORUM: _l("Forum"),
        ProspectionKind.PROFILE_PROMOTION: _l("Promotion de profil"),
    },
    NeedSource: {
        NeedSource.BMO: _l("Enquête BMO"),
        NeedSource.VISIT: _l("Visite"),
        NeedSource.CALL: _l("Appel"),
        NeedSource.OFFER: _l("Offre déposée"),
    },
    # offers
    OfferStatus: {
        OfferStatus.DRAFT: _l("Brouillon"),
        OfferStatus.OPEN: _l("Ouverte"),
        OfferStatus.FILLED: _l("Pourvue"),
        OfferStatus.CANCELLED: _l("Annulée"),
        OfferStatus.EXPIRED: _l("Expirée"),
    },
    ApplicationStatus: {
        ApplicationStatus.PROPOSED: _l("Proposée"),
        ApplicationStatus.SENT: _l("Envoyée"),
        ApplicationStatus.INTERVIEW: _l("Entretien"),
        ApplicationStatus.HIRED: _l("Embauche"),
        ApplicationStatus.REFUSED: _l("Refusée"),
        ApplicationStatus.WITHDRAWN: _l("Retirée"),
    },
    RefusalReason: {
        RefusalReason.PROFILE_MISMATCH: _l("Profil inadapté"),
        RefusalReason.EXPERIENCE: _l("Expérience insuffisante"),
        RefusalReason.QUALIFICATION: _l("Qualification insuffisante"),
        RefusalReason.DISTANCE: _l("Distance"),
        RefusalReason.AVAILABILITY: _l("Disponibilité"),
        RefusalReason.OFFER_FILLED: _l("Offre déjà pourvue"),
        RefusalReason.CANDIDATE_DECLINED: _l("Refus du candidat"),
        RefusalReason.NO_SHOW: _l("Absence à l'entretien"),
        RefusalReason.OTHER: _l("Autre motif"),
    },
    ApplicationOrigin: {
        ApplicationOrigin.COUNSELOR: _l("Conseiller"),
        ApplicationOrigin.RECOMMENDER: _l("Suggestion de Proxima"),
        ApplicationOrigin.SELF: _l("Candidature spontanée en ligne"),
    },
    # catalogue
    CatalogueKind: {
        CatalogueKind.TRAINING: _l("Formation"),
        CatalogueKind.WORKSHOP: _l("Atelier"),
        CatalogueKind.PRESTATION: _l("Prestation"),
        CatalogueKind.PARTNER_SERVICE: _l("Service partenaire"),
        CatalogueKind.EVENT: _l("Événement"),
    },
    PartnerKind: {
        PartnerKind.MISSION_LOCALE: _l("Mission locale"),
        PartnerKind.CAP_EMPLOI: _l("Cap emploi"),
        PartnerKind.APEC: _l("APEC"),
        PartnerKind.CONSEIL_DEPARTEMENTAL: _l("Conseil départemental"),
        PartnerKind.CAF: _l("CAF"),
        PartnerKind.PLIE: _l("PLIE"),
        PartnerKind.SIAE: _l("Structure d'insertion par l'activité économique"),
        PartnerKind.HOUSING: _l("Aide au logement"),
        PartnerKind.MOBILITY: _l("Aide à la mobilité"),
        PartnerKind.CHILDCARE: _l("Aide à la garde d'enfants"),
        PartnerKind.HEALTH: _l("Accompagnement santé"),
    },
    EventKind: {
        EventKind.INFORMATION_SESSION: _l("Réunion d'information"),
        EventKind.JOB_DATING: _l("Job dating"),
        EventKind.FORUM: _l("Forum"),
        EventKind.MRS_SESSION: _l("Session MRS"),
        EventKind.EMPLOYER_MEETING: _l("Rencontre entreprises"),
    },
    RegistrationStatus: {
        RegistrationStatus.REGISTERED: _l("Inscrit"),
        RegistrationStatus.ATTENDED: _l("Présent"),
        RegistrationStatus.ABSENT: _l("Absent"),
        RegistrationStatus.CANCELLED: _l("Désinscrit"),
    },
    # interactions
    Channel: {
        Channel.IN_PERSON: _l("En agence"),
        Channel.PHONE: _l("Téléphone"),
        Channel.VISIO: _l("Visio"),
        Channel.EMAIL: _l("Courriel"),
        Channel.SMS: _l("SMS"),
        Channel.LETTER: _l("Courrier"),
        Channel.COMPANY_VISIT: _l("Visite en entreprise"),
        Channel.EVENT: _l("Forum ou événement"),
        Channel.WORKSHOP: _l("Atelier"),
        Channel.PARTNER: _l("Chez un partenaire"),
        Channel.ONLINE: _l("Espace personnel en ligne"),
    },
    Direction: {
        Direction.INBOUND: _l("Entrant"),
        Direction.OUTBOUND: _l("Sortant"),
    },
    InteractionKind: {
        InteractionKind.SITUATION_INTERVIEW: _l("Entretien de situation"),
        InteractionKind.FOLLOW_UP: _l("Entretien de suivi"),
        InteractionKind.REVIEW_6_9: _l("Entretien des 6 à 9 mois"),
        InteractionKind.BENEFITS: _l("Indemnisation"),
        InteractionKind.INFORMATION: _l("Information"),
        InteractionKind.JOB_SEARCH_ADVICE: _l("Conseil en recherche d'emploi"),
        InteractionKind.PROPOSAL: _l("Proposition"),
        InteractionKind.REFERRAL: _l("Orientation vers un partenaire"),
        InteractionKind.APPLICATION: _l("Mise en relation"),
        InteractionKind.TRAINING: _l("Formation"),
        InteractionKind.WORKSHOP_ATTENDANCE: _l("Participation à un atelier"),
        InteractionKind.EVENT_ATTENDANCE: _l("Participation à un événement"),
        InteractionKind.ADMINISTRATIVE: _l("Démarche administrative"),
        InteractionKind.LOGIN: _l("Connexion à l'espace personnel"),
        InteractionKind.CV_UPDATE: _l("Mise à jour du CV"),
        InteractionKind.JOB_SEARCH: _l("Recherche d'offres"),
        InteractionKind.ONLINE_APPLICATION: _l("Candidature en ligne"),
        InteractionKind.PROSPECTION: _l("Prospection"),
        InteractionKind.OFFER_INTAKE: _l("Recueil d'offre"),
        InteractionKind.OFFER_FOLLOW_UP: _l("Suivi d'offre"),
        InteractionKind.CANDIDATE_PRESENTATION: _l("Présentation de candidats"),
        InteractionKind.EMPLOYER_ADVICE: _l("Conseil en recrutement"),
        InteractionKind.HIRING_AID: _l("Aides à l'embauche"),
        InteractionKind.SATISFACTION_SURVEY: _l("Enquête de satisfaction"),
        InteractionKind.PROFILE_PROMOTION: _l("Promotion de profil"),
        InteractionKind.OTHER: _l("Autre"),
    },
    InteractionOutcome: {
        InteractionOutcome.DONE: _l("Réalisé"),
        InteractionOutcome.REACHED: _l("Joint"),
        InteractionOutcome.NOT_REACHED: _l("Non joint"),
        InteractionOutcome.MESSAGE_LEFT: _l("Message laissé"),
        InteractionOutcome.NO_SHOW: _l("Absent"),
        InteractionOutcome.POSITIVE: _l("Positif"),
        InteractionOutcome.NEGATIVE: _l("Négatif"),
        InteractionOutcome.FOLLOW_UP_NEEDED: _l("Suite à donner"),
        InteractionOutcome.NONE: _l("Sans suite"),
    },
    InteractionOrigin: {
        InteractionOrigin.MANUAL: _l("Saisie du conseiller"),
        InteractionOrigin.PRIORITY_LIST: _l("Liste de priorités"),
        InteractionOrigin.EXPLORATION: _l("Contact d'exploration"),
        InteractionOrigin.SYSTEM: _l("Automatique"),
        InteractionOrigin.IMPORT: _l("Import"),
    },
    AppointmentStatus: {
        AppointmentStatus.PLANNED: _l("Prévu"),
        AppointmentStatus.DONE: _l("Honoré"),
        AppointmentStatus.MISSED: _l("Non honoré"),
        AppointmentStatus.CANCELLED: _l("Annulé"),
    },
    AppointmentKind: {
        AppointmentKind.SITUATION_INTERVIEW: _l("Entretien de situation"),
        AppointmentKind.FOLLOW_UP: _l("Entretien de suivi"),
        AppointmentKind.REVIEW_6_9: _l("Entretien des 6 à 9 mois"),
        AppointmentKind.BENEFITS: _l("Indemnisation"),
        AppointmentKind.WORKSHOP: _l("Atelier"),
        AppointmentKind.OTHER: _l("Autre"),
    },
    TaskStatus: {
        TaskStatus.OPEN: _l("À faire"),
        TaskStatus.DONE: _l("Faite"),
        TaskStatus.CANCELLED: _l("Annulée"),
    },
    TaskOrigin: {
        TaskOrigin.NEXT_STEP: _l("Prochaine étape"),
        TaskOrigin.MISSED_APPOINTMENT: _l("Rendez-vous non honoré"),
        TaskOrigin.REFERRAL_NO_SHOW: _l("Absence chez le partenaire"),
        TaskOrigin.BENEFITS_EVENT: _l("Événement d'indemnisation"),
        TaskOrigin.MANUAL: _l("Saisie manuelle"),
    },
    ProposalResponse: {
        ProposalResponse.PENDING: _l("En attente"),
        ProposalResponse.ACCEPTED: _l("Acceptée"),
        ProposalResponse.DECLINED: _l("Déclinée"),
        ProposalResponse.NO_ANSWER: _l("Sans réponse"),
    },
    ProposalOutcome: {
        ProposalOutcome.NONE: _l("Aucun"),
        ProposalOutcome.ENTERED: _l("Entrée"),
        ProposalOutcome.COMPLETED: _l("Terminée"),
        ProposalOutcome.HIRED: _l("Embauche"),
    },
    ProposalSource: {
        ProposalSource.COUNSELOR: _l("Conseiller"),
        ProposalSource.RECOMMENDER: _l("Suggestion de Proxima"),
        ProposalSource.EXPLORATION: _l("Exploration"),
    },
    ReferralStatus: {
        ReferralStatus.SENT: _l("Envoyée"),
        ReferralStatus.ACCEPTED: _l("Acceptée"),
        ReferralStatus.IN_PROGRESS: _l("En cours"),
        ReferralStatus.COMPLETED: _l("Terminée"),
        ReferralStatus.REFUSED: _l("Refusée"),
        ReferralStatus.CANCELLED: _l("Annulée"),
    },
    FeedbackContext: {
        FeedbackContext.PRIORITY_LIST: _l("Liste de priorités"),
        FeedbackContext.RECOMMENDATION: _l("Recommandation"),
        FeedbackContext.CANDIDATE: _l("Candidat"),
    },
    FeedbackAction: {
        FeedbackAction.DISMISS: _l("Écarter"),
        FeedbackAction.SNOOZE: _l("Reporter"),
        FeedbackAction.NOT_RELEVANT: _l("Non pertinent"),
        FeedbackAction.DISCARD: _l("Candidat écarté"),
    },
    # outcomes and models
    OutcomeKind: {
        OutcomeKind.EMPLOYMENT: _l("Emploi"),
        OutcomeKind.TRAINING: _l("Formation"),
        OutcomeKind.EXIT_OTHER: _l("Autre sortie"),
    },
    ModelKind: {
        ModelKind.JOB_SEEKER_PRIORITY: _l("Priorités demandeurs d'emploi"),
        ModelKind.EMPLOYER_PRIORITY: _l("Priorités entreprises"),
        ModelKind.RECOMMENDATIONS: _l("Recommandations"),
        ModelKind.CANDIDATES: _l("Candidats pour une offre"),
    },
    ModelStatus: {
        ModelStatus.CANDIDATE: _l("À valider"),
        ModelStatus.PUBLISHED: _l("Publié"),
        ModelStatus.RETIRED: _l("Retiré"),
        ModelStatus.REJECTED: _l("Refusé"),
    },
}


def label(value: Choice | str | None, default: str = "—") -> str | LazyString:
    """The French (translated) label of an enum member; ``default`` for ``None``;
    anything else (a name, a number) as is."""
    if value is None:
        return default
    if not isinstance(value, Choice):
        return str(value)
    try:
        return LABELS[type(value)][value]
    except KeyError:
        # A code without a label is a bug (a test checks every member); show the code
        # rather than breaking the page.
        return str(value)


def choices(enum_cls: type[Choice]) -> list[tuple[str, LazyString]]:
    """``(value, label)`` pairs in declaration order, for WTForms select fields."""
    return [(member.value, LABELS[enum_cls][member]) for member in enum_cls]
