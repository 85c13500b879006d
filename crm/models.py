"""Import every model so the metadata is complete (Alembic, tests, CLI)."""

from crm.agency.models import AgencyFigures  # noqa: F401
from crm.audit.models import AuditEvent  # noqa: F401
from crm.catalogue.models import CatalogueItem, CatalogueSession, SessionRegistration, catalogue_item_rome  # noqa: F401
from crm.employers.models import (  # noqa: F401
    Employer, EmployerContact, EmployerSite, ProspectionAction, RecruitmentNeed, SatisfactionAnswer,
)
from crm.interactions.models import (  # noqa: F401
    Appointment, Feedback, Interaction, Proposal, Referral, Task,
)
from crm.jobseekers.models import (  # noqa: F401
    ActionPlanItem, Barrier, BenefitEvent, BenefitRight, ConsentRecord, JobSeeker, JobSeekerTarget,
)
from crm.modelregistry.models import ModelVersion, PriorityScore, StoredCandidate, StoredRecommendation  # noqa: F401
from crm.offers.models import Application, JobOffer  # noqa: F401
from crm.organisation.models import (  # noqa: F401
    Agency, AgencyModalitySetting, ApiToken, LoginAttempt, Region, Team, TerritorialDirection, User,
)
from crm.outcomes.models import OutcomeEpisode  # noqa: F401
from crm.referentials.models import (  # noqa: F401
    Bassin, Commune, LabourShortage, NafCode, NafSection, OccupationSectorHires, RelatedOccupation,
    RomeAppellation, RomeDomain, RomeFamily, RomeOccupation, SizeBand,
)
