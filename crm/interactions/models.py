"""The unified timeline: every interaction with a job seeker or an employer, across
channels, plus the objects a contact creates (appointments, tasks, proposals,
referrals) and the counselors' feedback on what Proxima suggested."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import Choice, TimestampMixin, VersionedMixin, enum_type, utcnow
from crm.enums import ItemKind, PartyKind
from crm.extensions import db


class Channel(Choice):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VISIO = "visio"
    EMAIL = "email"  # mail.net for job seekers, « mail entreprises » for employers
    SMS = "sms"
    LETTER = "letter"
    COMPANY_VISIT = "company_visit"
    EVENT = "event"
    WORKSHOP = "workshop"
    PARTNER = "partner"  # partner premises, permanences, visio-guichets, bus de l'emploi
    ONLINE = "online"  # the job seeker's personal space


class Direction(Choice):
    INBOUND = "in"
    OUTBOUND = "out"


class InteractionKind(Choice):
    # job seeker follow-up
    SITUATION_INTERVIEW = "situation_interview"  # entretien de situation (ex-EID)
    FOLLOW_UP = "follow_up"
    REVIEW_6_9 = "review_6_9"
    BENEFITS = "benefits"
    INFORMATION = "information"
    JOB_SEARCH_ADVICE = "job_search_advice"
    PROPOSAL = "proposal"
    REFERRAL = "referral"
    APPLICATION = "application"  # mise en relation
    TRAINING = "training"
    WORKSHOP_ATTENDANCE = "workshop_attendance"
    EVENT_ATTENDANCE = "event_attendance"
    ADMINISTRATIVE = "administrative"
    # online activity (no author)
    LOGIN = "login"
    CV_UPDATE = "cv_update"
    JOB_SEARCH = "job_search"
    ONLINE_APPLICATION = "online_application"
    # employer relations
    PROSPECTION = "prospection"
    OFFER_INTAKE = "offer_intake"
    OFFER_FOLLOW_UP = "offer_follow_up"
    CANDIDATE_PRESENTATION = "candidate_presentation"
    EMPLOYER_ADVICE = "employer_advice"
    HIRING_AID = "hiring_aid"
    SATISFACTION_SURVEY = "satisfaction_survey"
    PROFILE_PROMOTION = "profile_promotion"
    OTHER = "other"


# Online activity is traced on the timeline but is not a counselor contact.
ONLINE_KINDS = frozenset(
    {InteractionKind.LOGIN, InteractionKind.CV_UPDATE, InteractionKind.JOB_SEARCH, InteractionKind.ONLINE_APPLICATION}
)


class InteractionOutcome(Choice):
    DONE = "done"
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    MESSAGE_LEFT = "message_left"
    NO_SHOW = "no_show"
    POSITIVE = "positive"
    NEGATIVE = "negative"
    FOLLOW_UP_NEEDED = "follow_up_needed"
    NONE = "none"


# Outcomes that make an interaction a "meaningful contact" (the person was actually reached).
MEANINGFUL_OUTCOMES = frozenset(
    {InteractionOutcome.DONE, InteractionOutcome.REACHED, InteractionOutcome.POSITIVE,
     InteractionOutcome.NEGATIVE, InteractionOutcome.FOLLOW_UP_NEEDED}
)


class InteractionOrigin(Choice):
    MANUAL = "manual"
    PRIORITY_LIST = "priority_list"
    EXPLORATION = "exploration"  # randomised contact: lets the contact effect be estimated
    SYSTEM = "system"
    IMPORT = "import"


class Interaction(db.Model):
    __tablename__ = "interaction"
    __table_args__ = (
        sa.CheckConstraint("(job_seeker_id IS NULL) <> (employer_id IS NULL)", name="one_party"),
        sa.Index("ix_interaction_job_seeker_id_occurred_at", "job_seeker_id", "occurred_at"),
        # A person's interviews of one kind (alerts, the managers' overviews), without reading their whole history.
        sa.Index("ix_interaction_job_seeker_id_kind_occurred_at", "job_seeker_id", "kind", "occurred_at"),
        sa.Index("ix_interaction_employer_id_occurred_at", "employer_id", "occurred_at"),
        sa.Index("ix_interaction_author_id_occurred_at", "author_id", "occurred_at"),
        sa.Index("ix_interaction_occurred_at", "occurred_at"),
        # The other SET NULL references: deleting a referral, an application… must not scan every
        # interaction. Partial indexes: nearly every interaction has none of them.
        *(sa.Index(f"ix_interaction_{column}", column, sqlite_where=sa.text(f"{column} IS NOT NULL"),
                   postgresql_where=sa.text(f"{column} IS NOT NULL"))
          for column in ("catalogue_item_id", "referral_id", "application_id", "appointment_id")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    occurred_at: Mapped[datetime] = mapped_column()
    job_seeker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"))
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employer.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    direction: Mapped[Direction] = mapped_column(enum_type(Direction, 3))
    kind: Mapped[InteractionKind] = mapped_column(enum_type(InteractionKind))
    outcome: Mapped[InteractionOutcome] = mapped_column(enum_type(InteractionOutcome), default=InteractionOutcome.DONE)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    origin: Mapped[InteractionOrigin] = mapped_column(enum_type(InteractionOrigin), default=InteractionOrigin.MANUAL)
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_offer.id", ondelete="SET NULL"), index=True)
    catalogue_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("catalogue_item.id", ondelete="SET NULL"))
    referral_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referral.id", ondelete="SET NULL"))
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("application.id", ondelete="SET NULL"))
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointment.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    job_seeker = relationship("JobSeeker")
    employer = relationship("Employer")
    author = relationship("User")
    offer = relationship("JobOffer")
    catalogue_item = relationship("CatalogueItem")
    referral = relationship("Referral")
    application = relationship("Application")
    appointment = relationship("Appointment", foreign_keys=[appointment_id])

    @property
    def party_kind(self) -> PartyKind:
        return PartyKind.JOB_SEEKER if self.job_seeker_id is not None else PartyKind.EMPLOYER


class AppointmentStatus(Choice):
    PLANNED = "planned"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


class AppointmentKind(Choice):
    SITUATION_INTERVIEW = "situation_interview"
    FOLLOW_UP = "follow_up"
    REVIEW_6_9 = "review_6_9"
    BENEFITS = "benefits"
    WORKSHOP = "workshop"
    OTHER = "other"


class Appointment(VersionedMixin, TimestampMixin, db.Model):
    __tablename__ = "appointment"
    __table_args__ = (
        sa.Index("ix_appointment_job_seeker_id_scheduled_at", "job_seeker_id", "scheduled_at"),
        sa.Index("ix_appointment_job_seeker_id_kind_scheduled_at", "job_seeker_id", "kind", "scheduled_at"),
        sa.Index("ix_appointment_staff_id_scheduled_at", "staff_id", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    job_seeker_id: Mapped[int] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    scheduled_at: Mapped[datetime] = mapped_column()
    duration_minutes: Mapped[int] = mapped_column(default=30)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel), default=Channel.IN_PERSON)
    kind: Mapped[AppointmentKind] = mapped_column(enum_type(AppointmentKind), default=AppointmentKind.FOLLOW_UP)
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_type(AppointmentStatus), default=AppointmentStatus.PLANNED, index=True
    )
    status_changed_at: Mapped[datetime | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(sa.Text)

    job_seeker = relationship("JobSeeker")
    staff = relationship("User")


class TaskStatus(Choice):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskOrigin(Choice):
    NEXT_STEP = "next_step"
    MISSED_APPOINTMENT = "missed_appointment"
    REFERRAL_NO_SHOW = "referral_no_show"
    BENEFITS_EVENT = "benefits_event"
    MANUAL = "manual"


class Task(VersionedMixin, db.Model):
    """A reminder for a staff member, about a job seeker or an employer."""

    __tablename__ = "task"
    __table_args__ = (sa.Index("ix_task_owner_id_status_due_on", "owner_id", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    job_seeker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"), index=True)
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    due_on: Mapped[date] = mapped_column()
    status: Mapped[TaskStatus] = mapped_column(enum_type(TaskStatus), default=TaskStatus.OPEN)
    origin: Mapped[TaskOrigin] = mapped_column(enum_type(TaskOrigin), default=TaskOrigin.MANUAL)
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointment.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column()

    owner = relationship("User")
    job_seeker = relationship("JobSeeker")
    employer = relationship("Employer")
    appointment = relationship("Appointment")


class ProposalResponse(Choice):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"


class ProposalOutcome(Choice):
    NONE = "none"
    ENTERED = "entered"
    COMPLETED = "completed"
    HIRED = "hired"


class ProposalSource(Choice):
    COUNSELOR = "counselor"
    RECOMMENDER = "recommender"
    EXPLORATION = "exploration"


class Proposal(VersionedMixin, db.Model):
    """Something proposed to a job seeker: the recommender's training signal.

    For trainings it also carries the funnel (seed 001): mentioned (``proposed_at``)
    → prescribed (``prescribed_at``) → started (``started_on``) → completed.
    """

    __tablename__ = "proposal"
    __table_args__ = (
        sa.Index("ix_proposal_job_seeker_id_proposed_at", "job_seeker_id", "proposed_at"),
        sa.Index("ix_proposal_item_kind_proposed_at", "item_kind", "proposed_at"),
        sa.CheckConstraint("(offer_id IS NULL) <> (catalogue_item_id IS NULL)", name="one_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    job_seeker_id: Mapped[int] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    proposed_at: Mapped[datetime] = mapped_column()
    item_kind: Mapped[ItemKind] = mapped_column(enum_type(ItemKind))
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_offer.id", ondelete="SET NULL"), index=True)
    catalogue_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("catalogue_item.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("catalogue_session.id", ondelete="SET NULL"))
    source: Mapped[ProposalSource] = mapped_column(enum_type(ProposalSource), default=ProposalSource.COUNSELOR)
    response: Mapped[ProposalResponse] = mapped_column(enum_type(ProposalResponse), default=ProposalResponse.PENDING)
    responded_at: Mapped[datetime | None] = mapped_column()
    prescribed_at: Mapped[datetime | None] = mapped_column()
    started_on: Mapped[date | None] = mapped_column()
    outcome: Mapped[ProposalOutcome] = mapped_column(enum_type(ProposalOutcome), default=ProposalOutcome.NONE)
    outcome_on: Mapped[date | None] = mapped_column()
    arguments: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # reasons shown when proposed

    job_seeker = relationship("JobSeeker")
    author = relationship("User")
    offer = relationship("JobOffer")
    catalogue_item = relationship("CatalogueItem")
    session = relationship("CatalogueSession")


class ReferralStatus(Choice):
    SENT = "sent"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REFUSED = "refused"
    CANCELLED = "cancelled"


class Referral(VersionedMixin, db.Model):
    """Orientation to a partner; a no-show at the partner raises an alert (seed 001)."""

    __tablename__ = "referral"
    __table_args__ = (sa.Index("ix_referral_job_seeker_id_referred_at", "job_seeker_id", "referred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    job_seeker_id: Mapped[int] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"))
    partner_item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalogue_item.id"), index=True)
    referred_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    referred_at: Mapped[datetime] = mapped_column()
    status: Mapped[ReferralStatus] = mapped_column(enum_type(ReferralStatus), default=ReferralStatus.SENT)
    showed_up: Mapped[bool | None] = mapped_column()
    partner_feedback: Mapped[str | None] = mapped_column(sa.Text)
    feedback_at: Mapped[datetime | None] = mapped_column()
    followed_up_at: Mapped[datetime | None] = mapped_column()

    job_seeker = relationship("JobSeeker")
    partner_item = relationship("CatalogueItem")
    referred_by = relationship("User")


class FeedbackContext(Choice):
    PRIORITY_LIST = "priority_list"
    RECOMMENDATION = "recommendation"
    CANDIDATE = "candidate"


class FeedbackAction(Choice):
    DISMISS = "dismiss"
    SNOOZE = "snooze"
    NOT_RELEVANT = "not_relevant"
    DISCARD = "discard"  # candidate set aside for an offer


class Feedback(db.Model):
    """A counselor's override of a suggestion, with its reason (kept for managers and training)."""

    __tablename__ = "feedback"
    __table_args__ = (sa.Index("ix_feedback_user_id_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    context: Mapped[FeedbackContext] = mapped_column(enum_type(FeedbackContext))
    action: Mapped[FeedbackAction] = mapped_column(enum_type(FeedbackAction))
    reason: Mapped[str] = mapped_column(sa.String(64))
    comment: Mapped[str | None] = mapped_column(sa.String(500))
    job_seeker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_seeker.id", ondelete="CASCADE"), index=True)
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_offer.id", ondelete="CASCADE"), index=True)
    item_kind: Mapped[ItemKind | None] = mapped_column(enum_type(ItemKind))
    catalogue_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("catalogue_item.id", ondelete="CASCADE"))
    snoozed_until: Mapped[date | None] = mapped_column()
    model_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("model_version.id", ondelete="SET NULL"))

    user = relationship("User")
