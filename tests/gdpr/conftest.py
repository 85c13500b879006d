"""A job seeker with a row in every table about people, and a neighbour who must never leak in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.audit.services import record
from crm.catalogue.models import SessionRegistration
from crm.employers.models import ProspectionAction, ProspectionKind
from crm.enums import ItemKind
from crm.extensions import db
from crm.interactions.models import (
    AppointmentStatus, Channel, Direction, Feedback, FeedbackAction, FeedbackContext, Interaction, InteractionKind,
    Proposal, Task,
)
from crm.jobseekers.models import (
    ActionPlanItem, Barrier, BarrierKind, BenefitEvent, BenefitEventKind, ConsentKind, ConsentRecord,
    JobSeeker, JobSeekerStatus, JobSeekerTarget,
)
from crm.organisation.models import Role, User
from tests.factories import (
    make_appointment, make_application, make_benefit_right, make_catalogue_item, make_employer,
    make_event_session, make_interaction, make_job_seeker, make_model_version, make_offer, make_outcome_episode,
    make_priority_score, make_referral, make_rome_occupation, make_task, make_team, make_user,
)

SECRET_NOTE = "Confie des problèmes de santé"  # free text that must never survive an anonymisation


@dataclass
class File:
    person: JobSeeker
    neighbour: JobSeeker
    referent: User
    admin: User


def build_file(*, status: JobSeekerStatus = JobSeekerStatus.ACTIVE, exit_date: date | None = None) -> File:
    team = make_team()
    referent = make_user(team=team, first_name="Nadia", last_name="Referente", password="Mot-de-passe-1")
    admin = make_user(role=Role.ADMIN, agency=None, first_name="Ada", last_name="Admin", password="Mot-de-passe-1")
    person = make_job_seeker(referent=referent, first_name="Zoé", last_name="Dupont-Lajoie", external_id="DE-4242",
                             email="zoe.dupont@example.org", phone="06 12 34 56 78", address="3 rue des Lilas",
                             notes=SECRET_NOTE, skills=["Soudure"], work_axes=[SECRET_NOTE],
                             birth_date=date(1988, 7, 14), status=status, exit_date=exit_date)
    neighbour = make_job_seeker(referent=referent, first_name="Léo", last_name="Voisin", external_id="DE-0001",
                                email="leo@example.org", notes="voisin")
    occurred = datetime(2025, 3, 4, 10)
    rome = make_rome_occupation("M1607")
    person.targets.append(JobSeekerTarget(rome_code=rome.code, rank=1))
    person.barriers.append(Barrier(kind=BarrierKind.HEALTH, noted_on=date(2025, 2, 1), notes=SECRET_NOTE))
    person.action_items.append(ActionPlanItem(label=f"Voir le médecin : {SECRET_NOTE}", due_on=date(2025, 4, 1)))
    make_benefit_right(person, start_on=date(2025, 1, 1), end_on=date(2025, 12, 31))
    person.benefit_events.append(BenefitEvent(kind=BenefitEventKind.OVERPAYMENT, occurred_on=date(2025, 2, 2),
                                              amount=Decimal("120.00"), description=SECRET_NOTE))
    person.consents.append(ConsentRecord(kind=ConsentKind.SMS, given=True, notes=SECRET_NOTE))
    db.session.flush()
    make_interaction(person, occurred_at=occurred, author=referent, notes=SECRET_NOTE)
    make_interaction(neighbour, occurred_at=occurred, author=referent, notes="voisin")
    make_appointment(person, scheduled_at=datetime(2031, 1, 5, 9), staff=referent, notes=SECRET_NOTE)
    make_appointment(person, scheduled_at=datetime(2025, 1, 5, 9), staff=referent, status=AppointmentStatus.DONE)
    make_task(owner=referent, job_seeker=person, title=f"Rappeler Zoé Dupont-Lajoie : {SECRET_NOTE}")
    training = make_catalogue_item(title="Soudeur TIG")
    db.session.add(Proposal(job_seeker_id=person.id, item_kind=ItemKind.TRAINING, catalogue_item_id=training.id,
                            proposed_at=occurred, author_id=referent.id, arguments=["Métier en tension"]))
    make_referral(person, partner_feedback=SECRET_NOTE, referred_by_id=referent.id)
    employer = make_employer(name="Soudures du Nord")
    offer = make_offer(employer=employer, title="Soudeur")
    application = make_application(offer, person, employer_feedback=SECRET_NOTE)
    # the employer side of a mise en relation: an interaction with the employer about her
    make_interaction(person, occurred_at=occurred, author=referent, kind=InteractionKind.CANDIDATE_PRESENTATION)
    db.session.flush()
    db.session.add(Interaction(employer_id=employer.id, application_id=application.id, occurred_at=occurred,
                               author_id=referent.id, channel=Channel.PHONE, direction=Direction.OUTBOUND,
                               kind=InteractionKind.CANDIDATE_PRESENTATION, notes=f"Présenté Zoé : {SECRET_NOTE}"))
    make_outcome_episode(person, start_on=date(2025, 5, 1), employer=employer)
    version = make_model_version()
    make_priority_score(version, job_seeker=person, reasons=[{"code": "no_contact", "params": {"days": 40},
                                                               "text": "Sans contact depuis 40 jours"}])
    db.session.add(Feedback(user_id=referent.id, context=FeedbackContext.PRIORITY_LIST,
                            action=FeedbackAction.NOT_RELEVANT, reason="other", comment=SECRET_NOTE,
                            job_seeker_id=person.id))
    session = make_event_session()
    db.session.add(SessionRegistration(session_id=session.id, job_seeker_id=person.id))
    db.session.add(ProspectionAction(employer_id=employer.id, kind=ProspectionKind.PROFILE_PROMOTION,
                                     job_seeker_id=person.id, notes=SECRET_NOTE))
    db.session.flush()
    record(user=referent, action="job_seeker.read", entity=person, address="10.0.0.7")
    return File(person=person, neighbour=neighbour, referent=referent, admin=admin)


@pytest.fixture()
def file(db_session: sa.orm.scoped_session) -> File:
    return build_file()


def tasks_of(person: JobSeeker) -> list[Task]:
    return list(db.session.scalars(sa.select(Task).where(Task.job_seeker_id == person.id)))
