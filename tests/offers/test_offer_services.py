"""The offer lifecycle, the MER workflow to a hire, the 15-day flag and pre-selection."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.audit.models import AuditEvent
from crm.enums import ContractType
from crm.errors import DomainError, IllegalTransitionError
from crm.extensions import db
from crm.interactions.models import Interaction, InteractionKind
from crm.jobseekers.models import JobSeekerStatus, JobSeekerTarget
from crm.offers import services
from crm.offers.models import ApplicationStatus, OfferStatus, RefusalReason
from crm.organisation.models import Role
from crm.outcomes.models import OutcomeEpisode, OutcomeKind
from tests.factories import make_commune, make_employer, make_job_seeker, make_offer, make_rome_occupation, make_user

NOW = datetime(2026, 2, 10, 9, 30)


@pytest.fixture()
def counselor(db_session):
    return make_user(role=Role.EMPLOYER_COUNSELOR)


@pytest.fixture()
def employer(counselor):
    return make_employer(counselor=counselor)


def person(employer, **fields):
    return make_job_seeker(agency=employer.agency, **fields)


# --------------------------------------------------------------------------- offer lifecycle

LEGAL = [(source, target) for target, sources in services.OFFER_TRANSITIONS.items() for source in sources]
ILLEGAL = [
    (OfferStatus.DRAFT, OfferStatus.FILLED), (OfferStatus.DRAFT, OfferStatus.EXPIRED),
    (OfferStatus.OPEN, OfferStatus.OPEN), (OfferStatus.FILLED, OfferStatus.OPEN),
    (OfferStatus.CANCELLED, OfferStatus.OPEN), (OfferStatus.EXPIRED, OfferStatus.FILLED),
    (OfferStatus.FILLED, OfferStatus.CANCELLED), (OfferStatus.OPEN, OfferStatus.DRAFT),
]


def test_legal_transitions_are_the_expected_ones() -> None:
    assert set(LEGAL) == {
        (OfferStatus.DRAFT, OfferStatus.OPEN), (OfferStatus.OPEN, OfferStatus.FILLED),
        (OfferStatus.DRAFT, OfferStatus.CANCELLED), (OfferStatus.OPEN, OfferStatus.CANCELLED),
        (OfferStatus.OPEN, OfferStatus.EXPIRED),
    }


@pytest.mark.parametrize(("source", "target"), LEGAL)
def test_every_legal_offer_transition(counselor, employer, source, target) -> None:
    offer = make_offer(employer=employer, counselor=counselor, status=source)
    services.change_offer_status(author=counselor, offer=offer, status=target, expected_version=offer.version,
                                 accompanied=True, today=date(2026, 2, 1))
    assert offer.status == target
    if target == OfferStatus.OPEN:
        assert offer.published_on == date(2026, 2, 1) and offer.accompanied is True
    if target == OfferStatus.FILLED:
        assert offer.filled_on == date(2026, 2, 1)
    if target in (OfferStatus.CANCELLED, OfferStatus.EXPIRED):
        assert offer.closed_on == date(2026, 2, 1) and offer.filled_on is None
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.entity_id == offer.id,
                                                                 AuditEvent.entity_type == "job_offer")) == "offer.status"


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_illegal_offer_transitions_are_refused_with_a_message(counselor, employer, source, target) -> None:
    offer = make_offer(employer=employer, counselor=counselor, status=source)
    with pytest.raises(IllegalTransitionError) as caught:
        services.change_offer_status(author=counselor, offer=offer, status=target, expected_version=offer.version)
    assert "ne peut pas passer" in str(caught.value.message)
    assert offer.status == source


def test_create_and_edit_an_offer(counselor, employer) -> None:
    make_rome_occupation("N1103", label="Magasinage")
    make_commune("69123", name="Lyon")
    offer = services.create_offer(author=counselor, employer=employer, today=date(2026, 2, 1), fields=services.OfferFields(
        title=" Préparateur de commandes ", rome_code="n1103", contract_type=ContractType.CDD, positions=2,
        commune_insee="69123"))
    assert (offer.status, offer.title, offer.rome_code, offer.counselor_id) == (
        OfferStatus.DRAFT, "Préparateur de commandes", "N1103", counselor.id)
    version = offer.version
    services.update_offer(author=counselor, offer=offer, expected_version=version, fields=services.OfferFields(
        title="Cariste", rome_code="N1103", contract_type=ContractType.CDI, positions=3))
    assert (offer.title, offer.positions, offer.commune_insee) == ("Cariste", 3, None)
    with pytest.raises(DomainError) as caught:  # stale form
        services.update_offer(author=counselor, offer=offer, expected_version=version, fields=services.OfferFields(
            title="X", rome_code="N1103", contract_type=ContractType.CDI))
    assert caught.value.code == "concurrent_edit"


@pytest.mark.parametrize(("fields", "code"), [
    (dict(rome_code="Z9999"), "offer.rome_code"),
    (dict(positions=0), "offer.positions"),
    (dict(title="  "), "offer.title.required"),
    (dict(commune_insee="00000"), "offer.commune"),
])
def test_offer_fields_are_validated(counselor, employer, fields, code) -> None:
    make_rome_occupation("M1607")
    values = dict(title="Assistant", rome_code="M1607", contract_type=ContractType.CDI, positions=1)
    values.update(fields)
    with pytest.raises(DomainError) as caught:
        services.create_offer(author=counselor, employer=employer, fields=services.OfferFields(**values))
    assert caught.value.code == code


def test_a_closed_offer_is_not_edited(counselor, employer) -> None:
    offer = make_offer(employer=employer, status=OfferStatus.CANCELLED)
    with pytest.raises(IllegalTransitionError):
        services.update_offer(author=counselor, offer=offer, expected_version=None, fields=services.OfferFields(
            title="X", rome_code="M1607", contract_type=ContractType.CDI))


# --------------------------------------------------------------------------- MER workflow


def timeline(**party) -> list[Interaction]:
    (column, value), = party.items()
    return list(db.session.scalars(sa.select(Interaction).where(getattr(Interaction, column) == value)
                                   .order_by(Interaction.id)))


def test_mer_to_a_hire_closes_the_loop_on_both_files(counselor, employer) -> None:
    offer = make_offer(employer=employer, counselor=counselor, positions=2, contract_type=ContractType.CDD,
                       created_on=date(2026, 1, 20), published_on=date(2026, 1, 25))
    first, second = person(employer), person(employer)
    mer = services.create_application(author=counselor, offer=offer, job_seeker=first, now=NOW)
    assert mer.status == ApplicationStatus.PROPOSED

    for status in (ApplicationStatus.SENT, ApplicationStatus.INTERVIEW):
        services.change_application_status(author=counselor, application=mer, status=status,
                                           expected_version=mer.version, now=NOW)
    services.change_application_status(author=counselor, application=mer, status=ApplicationStatus.HIRED,
                                       expected_version=mer.version, feedback="Très bon entretien",
                                       hire_start_on=date(2026, 3, 1), now=NOW)

    assert (mer.status, mer.outcome_date, mer.employer_feedback) == (ApplicationStatus.HIRED, NOW.date(),
                                                                    "Très bon entretien")
    # Both timelines: created, sent, interview, hired.
    seeker_rows = timeline(job_seeker_id=first.id)
    employer_rows = timeline(employer_id=employer.id)
    assert [r.kind for r in seeker_rows] == [InteractionKind.APPLICATION] * 4
    assert [r.kind for r in employer_rows] == [InteractionKind.CANDIDATE_PRESENTATION] * 4
    assert all(r.application_id == mer.id and r.offer_id == offer.id for r in seeker_rows + employer_rows)
    # A trace on the job seeker's side, not a contact; a contact with the firm.
    assert first.last_contact_at is None
    assert employer.last_contact_at == NOW
    episode = db.session.scalar(sa.select(OutcomeEpisode).where(OutcomeEpisode.job_seeker_id == first.id))
    assert (episode.kind, episode.start_on, episode.contract_type, episode.rome_code, episode.employer_id,
            episode.application_id) == (OutcomeKind.EMPLOYMENT, date(2026, 3, 1), ContractType.CDD, "M1607",
                                        employer.id, mer.id)
    # One hire out of two positions: not filled yet.
    assert offer.status == OfferStatus.OPEN and offer.filled_on is None

    other = services.create_application(author=counselor, offer=offer, job_seeker=second, now=NOW)
    services.change_application_status(author=counselor, application=other, status=ApplicationStatus.SENT,
                                       expected_version=None, now=NOW)
    services.change_application_status(author=counselor, application=other, status=ApplicationStatus.HIRED,
                                       expected_version=None, now=NOW)
    assert (offer.status, offer.filled_on) == (OfferStatus.FILLED, NOW.date())
    assert services.time_to_fill(offer) == (NOW.date() - date(2026, 1, 25)).days  # from publication: 16 days
    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.user_id == counselor.id)))
    assert {"application.create", "application.status", "outcome.create", "offer.status",
            "interaction.create"} <= actions


def test_a_hire_on_a_filled_or_cancelled_offer_is_refused(counselor, employer) -> None:
    for status in (OfferStatus.FILLED, OfferStatus.CANCELLED):
        offer = make_offer(employer=employer, status=OfferStatus.OPEN)
        mer = services.create_application(author=counselor, offer=offer, job_seeker=person(employer), now=NOW)
        services.change_application_status(author=counselor, application=mer, status=ApplicationStatus.SENT,
                                           expected_version=None, now=NOW)
        offer.status = status
        with pytest.raises(IllegalTransitionError) as caught:
            services.change_application_status(author=counselor, application=mer, status=ApplicationStatus.HIRED,
                                               expected_version=None, now=NOW)
        assert caught.value.code == "application.offer_closed"
        # Closing the candidacy is still possible.
        services.change_application_status(author=counselor, application=mer, status=ApplicationStatus.REFUSED,
                                           refusal_reason=RefusalReason.OFFER_FILLED, expected_version=None,
                                           now=NOW)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutcomeEpisode)) == 0


def test_refusal_needs_a_reason(counselor, employer) -> None:
    offer = make_offer(employer=employer)
    mer = services.create_application(author=counselor, offer=offer, job_seeker=person(employer), now=NOW)
    with pytest.raises(DomainError) as caught:
        services.change_application_status(author=counselor, application=mer, status=ApplicationStatus.REFUSED,
                                           expected_version=None, now=NOW)
    assert caught.value.code == "application.refusal_reason"
    services.change_application_status(author=counselor, application=mer, status=ApplicationStatus.REFUSED,
                                       refusal_reason=RefusalReason.EXPERIENCE, expected_version=None, now=NOW)
    assert (mer.status, mer.refusal_reason) == (ApplicationStatus.REFUSED, RefusalReason.EXPERIENCE)


@pytest.mark.parametrize(("source", "target"), [
    (ApplicationStatus.PROPOSED, ApplicationStatus.HIRED),
    (ApplicationStatus.PROPOSED, ApplicationStatus.INTERVIEW),
    (ApplicationStatus.HIRED, ApplicationStatus.REFUSED),
    (ApplicationStatus.REFUSED, ApplicationStatus.SENT),
    (ApplicationStatus.WITHDRAWN, ApplicationStatus.INTERVIEW),
    (ApplicationStatus.INTERVIEW, ApplicationStatus.SENT),
])
def test_illegal_mer_transitions(counselor, employer, source, target) -> None:
    offer = make_offer(employer=employer)
    mer = services.create_application(author=counselor, offer=offer, job_seeker=person(employer), now=NOW)
    mer.status = source
    with pytest.raises(IllegalTransitionError):
        services.change_application_status(author=counselor, application=mer, status=target,
                                           refusal_reason=RefusalReason.OTHER, expected_version=None, now=NOW)


def test_a_candidate_is_added_once_to_an_open_offer(counselor, employer) -> None:
    offer = make_offer(employer=employer)
    someone = person(employer)
    services.create_application(author=counselor, offer=offer, job_seeker=someone, now=NOW)
    with pytest.raises(DomainError) as caught:
        services.create_application(author=counselor, offer=offer, job_seeker=someone, now=NOW)
    assert caught.value.code == "application.duplicate"
    draft = make_offer(employer=employer, status=OfferStatus.DRAFT)
    with pytest.raises(IllegalTransitionError):
        services.create_application(author=counselor, offer=draft, job_seeker=someone, now=NOW)
    with pytest.raises(DomainError) as caught:
        services.create_application(author=counselor, offer=offer, job_seeker=make_job_seeker(), now=NOW)
    assert caught.value.code == "application.agency"


# --------------------------------------------------------------------------- the 15-day flag


def test_offers_open_more_than_15_days_are_to_share(counselor, employer) -> None:
    today = date(2026, 2, 20)
    day14 = make_offer(employer=employer, created_on=today - timedelta(days=14))
    day16 = make_offer(employer=employer, created_on=today - timedelta(days=16))
    published = make_offer(employer=employer, created_on=today - timedelta(days=30),
                           published_on=today - timedelta(days=10))  # counted from publication
    filled = make_offer(employer=employer, created_on=today - timedelta(days=40), status=OfferStatus.FILLED,
                        filled_on=today - timedelta(days=1))
    assert [services.needs_sharing(o, today=today) for o in (day14, day16, published, filled)] == [
        False, True, False, False]
    flagged = set(db.session.scalars(sa.select(services.JobOffer.id).where(services.to_share_clause(today=today),
                                                                            services.JobOffer.employer_id == employer.id)))
    assert flagged == {day16.id}
    services.mark_shared(author=counselor, offer=day16, expected_version=None, today=today)
    assert day16.shared_with_partners_on == today
    with pytest.raises(DomainError):
        services.mark_shared(author=counselor, offer=day14, expected_version=None, today=today)


# --------------------------------------------------------------------------- pre-selection


def test_candidate_search_by_radius_rome_and_availability(counselor, employer) -> None:
    # Lyon; Villeurbanne ~4 km; Vienne ~27 km; Grenoble ~95 km.
    lyon = make_commune("69123", name="Lyon", latitude=45.7640, longitude=4.8357)
    make_commune("69266", name="Villeurbanne", latitude=45.7719, longitude=4.8902)
    make_commune("38544", name="Vienne", latitude=45.5255, longitude=4.8740)
    make_commune("38185", name="Grenoble", latitude=45.1885, longitude=5.7245)
    make_rome_occupation("N1103")
    make_rome_occupation("N1105", label="Manutention")
    offer = make_offer(employer=employer, rome_code="N1103", commune_insee=lyon.insee_code)

    def seeker(commune, rome="N1103", **fields):
        someone = person(employer, commune_insee=commune, **fields)
        db.session.add(JobSeekerTarget(job_seeker_id=someone.id, rome_code=rome, rank=1))
        db.session.flush()
        return someone

    near = seeker("69266")
    mid = seeker("38544")
    seeker("38185")  # too far
    family = seeker("69123", rome="N1105")
    seeker("69123", status=JobSeekerStatus.EXITED)
    later = seeker("69123", available_from=date(2026, 6, 1))
    already = seeker("69266")
    services.create_application(author=counselor, offer=offer, job_seeker=already, now=NOW)
    make_job_seeker(commune_insee="69123")  # other agency

    found = services.search_candidates(user=counselor, offer=offer, criteria=services.CandidateSearch(radius_km=30))
    assert [c.job_seeker for c in found] == [later, near, mid]  # nearest first
    assert found[0].distance_km == 0.0 and 3 < found[1].distance_km < 6 and 25 < found[2].distance_km < 30

    found = services.search_candidates(user=counselor, offer=offer, criteria=services.CandidateSearch(
        radius_km=10, rome_scope="family", available_by=date(2026, 3, 1)))
    assert {c.job_seeker for c in found} == {near, family}
    with pytest.raises(DomainError):
        services.search_candidates(user=counselor, offer=offer, criteria=services.CandidateSearch(rome_scope="x"))
