"""The recommendation widget of the file and the candidates panel of an offer: what they
show (eligibility applied), and the effects of « Proposer », « Pas pertinent »,
« Mettre en relation » and « Écarter » in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.catalogue.models import CatalogueKind, CatalogueSession, PartnerKind
from crm.db import utcnow
from crm.enums import ItemKind
from crm.extensions import db
from crm.interactions.models import Feedback, FeedbackAction, FeedbackContext, Interaction, InteractionKind, Proposal, \
    ProposalResponse, ProposalSource
from crm.jobseekers.models import JobSeekerTarget
from crm.offers.models import Application, ApplicationOrigin
from crm.organisation.models import Role
from crm.recommendations import services
from crm.clock import current_day
from tests import factories as f
from tests.web.conftest import log_in

HTMX = {"HX-Request": "true"}


@dataclass
class World:
    counselor: Any
    employer_counselor: Any
    elsewhere: Any
    person: Any
    offer: Any
    workshop: Any
    pops: Any
    mission_locale: Any
    training: Any


@pytest.fixture()
def world(db_session: Any) -> World:
    services.forget_context()
    commune = f.make_commune("75056", name="Paris")
    agency = f.make_agency()
    team = f.make_team(agency)
    counselor = f.make_user(role=Role.COUNSELOR, team=team)
    employer_team = f.make_team(agency, kind="employers")
    employer_counselor = f.make_user(role=Role.EMPLOYER_COUNSELOR, team=employer_team)
    elsewhere = f.make_user(role=Role.COUNSELOR)
    f.make_rome_occupation("M1607")
    person = f.make_job_seeker(referent=counselor, last_name="Zulu", commune_insee=commune.insee_code,
                               birth_date=date(1990, 5, 17), rqth=False, mobility_km=20,
                               work_axes=["Se former"], registration_date=date.today() - timedelta(days=200))
    db.session.add(JobSeekerTarget(job_seeker_id=person.id, rome_code="M1607", rank=1))
    employer = f.make_employer(agency=agency, counselor=employer_counselor)
    offer = f.make_offer(employer=employer, counselor=employer_counselor, rome_code="M1607",
                         commune_insee=commune.insee_code, created_on=date.today() - timedelta(days=5),
                         title="Secrétaire médicale")
    workshop = f.make_catalogue_item(kind=CatalogueKind.WORKSHOP, code="ATL-FORMER", title="Décider de se former ?")
    pops = f.make_catalogue_item(kind=CatalogueKind.PRESTATION, code="POPS-MDPH", title="POPS-MDPH",
                                 eligibility={"requires": ["rqth"]})
    mission_locale = f.make_catalogue_item(kind=CatalogueKind.PARTNER_SERVICE, code="ML", title="Mission locale",
                                           partner_kind=PartnerKind.MISSION_LOCALE, eligibility={"max_age": 25})
    training = f.make_catalogue_item(kind=CatalogueKind.TRAINING, title="Titre professionnel secrétaire",
                                     commune_insee=commune.insee_code)
    db.session.execute(sa.text("INSERT INTO catalogue_item_rome (item_id, rome_code) VALUES (:i, 'M1607')"),
                       {"i": training.id})
    db.session.add(CatalogueSession(item_id=training.id, starts_on=date.today() + timedelta(days=20), capacity=12,
                                    commune_insee=commune.insee_code))
    db.session.flush()
    return World(counselor, employer_counselor, elsewhere, person, offer, workshop, pops, mission_locale, training)


def widget(client: FlaskClient, world: World) -> str:
    response = client.get(f"/beneficiaires/{world.person.id}/recommandations", headers=HTMX)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_widget_fragment_lists_eligible_items_with_reasons(client: FlaskClient, world: World) -> None:
    log_in(client, world.counselor)
    html = widget(client, world)
    assert html.lstrip().startswith('<section id="recommendations"')
    assert "Secrétaire médicale" in html and "Titre professionnel secrétaire" in html
    assert "Décider de se former ?" in html
    assert "POPS-MDPH" not in html          # needs the disabled-worker status
    assert "Mission locale" not in html     # under 26 only
    assert "Dans votre commune" in html or "km de chez vous" in html
    assert "Aucun modèle publié" in html


def test_the_file_loads_the_widget_after_the_page(client: FlaskClient, world: World) -> None:
    log_in(client, world.counselor)
    html = client.get(f"/beneficiaires/{world.person.id}").get_data(as_text=True)
    assert f'hx-get="/beneficiaires/{world.person.id}/recommandations"' in html


def test_propose_records_a_proposal_and_an_interaction(client: FlaskClient, world: World) -> None:
    log_in(client, world.counselor)
    response = client.post(f"/beneficiaires/{world.person.id}/recommandations/proposer", headers=HTMX, data={
        "item_kind": "workshop", "item_id": world.workshop.id, "arguments": "Répond à un besoin\nDans votre commune"})
    assert response.status_code == 200
    assert "Proposition enregistrée" in response.get_data(as_text=True)
    proposal = db.session.scalars(sa.select(Proposal).where(Proposal.job_seeker_id == world.person.id)).one()
    assert proposal.catalogue_item_id == world.workshop.id and proposal.source == ProposalSource.RECOMMENDER
    assert proposal.arguments == ["Répond à un besoin", "Dans votre commune"]
    interaction = db.session.scalars(sa.select(Interaction).where(Interaction.job_seeker_id == world.person.id)).one()
    assert interaction.kind == InteractionKind.PROPOSAL and interaction.catalogue_item_id == world.workshop.id
    # Proposed: not suggested again, listed with the recent proposals.
    html = widget(client, world)
    assert f'id="rec-workshop-{world.workshop.id}"' not in html and f'id="proposal-{proposal.id}"' in html


def test_training_prescribed_is_not_prescribed_twice(client: FlaskClient, world: World) -> None:
    log_in(client, world.counselor)
    f.make_training_proposal(world.person, training=world.training, prescribed_at=sa.func.now())
    db.session.flush()
    assert "Titre professionnel secrétaire" not in widget(client, world)


def test_not_relevant_asks_a_reason_then_records_feedback(client: FlaskClient, world: World) -> None:
    log_in(client, world.counselor)
    url = f"/beneficiaires/{world.person.id}/recommandations/pas-pertinent"
    asked = client.get(url, query_string={"item_kind": "offer", "item_id": world.offer.id}, headers=HTMX)
    assert asked.status_code == 200 and "Pourquoi n'est-ce pas pertinent ?" in asked.get_data(as_text=True)
    missing = client.post(url, headers=HTMX, data={"item_kind": "offer", "item_id": world.offer.id})
    assert missing.status_code == 422 and "Choisissez un motif." in missing.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 0
    other = client.post(url, headers=HTMX, data={"item_kind": "offer", "item_id": world.offer.id, "reason": "other"})
    assert other.status_code == 422 and "Précisez le motif." in other.get_data(as_text=True)
    done = client.post(url, headers=HTMX, data={"item_kind": "offer", "item_id": world.offer.id,
                                                "reason": "too_far"})
    assert done.status_code == 200
    feedback = db.session.scalars(sa.select(Feedback)).one()
    assert (feedback.context, feedback.action, feedback.reason, feedback.offer_id) == (
        FeedbackContext.RECOMMENDATION, FeedbackAction.NOT_RELEVANT, "too_far", world.offer.id)
    assert "Secrétaire médicale" not in done.get_data(as_text=True)


def test_another_agency_gets_not_found(client: FlaskClient, world: World) -> None:
    log_in(client, world.elsewhere)
    assert client.get(f"/beneficiaires/{world.person.id}/recommandations", headers=HTMX).status_code == 404
    response = client.post(f"/beneficiaires/{world.person.id}/recommandations/proposer", headers=HTMX,
                           data={"item_kind": "workshop", "item_id": world.workshop.id})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0


def test_bad_item_is_a_clear_error(client: FlaskClient, world: World) -> None:
    log_in(client, world.counselor)
    response = client.post(f"/beneficiaires/{world.person.id}/recommandations/proposer", headers=HTMX,
                           data={"item_kind": "spaceship", "item_id": "x"})
    assert response.status_code == 422
    response = client.post(f"/beneficiaires/{world.person.id}/recommandations/proposer", headers=HTMX,
                           data={"item_kind": "workshop", "item_id": 999999})
    assert response.status_code == 422 and "n'existe plus" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0


def test_candidates_panel_ranks_then_puts_forward_and_discards(client: FlaskClient, world: World) -> None:
    second = f.make_job_seeker(referent=world.counselor, last_name="Yankee", commune_insee="75056", mobility_km=20)
    db.session.add(JobSeekerTarget(job_seeker_id=second.id, rome_code="M1607", rank=1))
    db.session.flush()
    log_in(client, world.employer_counselor)
    panel = client.get(f"/offres/{world.offer.id}/candidats", headers=HTMX)
    html = panel.get_data(as_text=True)
    assert panel.status_code == 200 and "Zulu" in html and "Yankee" in html
    assert "Recherche le métier M1607" in html
    response = client.post(f"/offres/{world.offer.id}/candidats/{world.person.id}/mise-en-relation", headers=HTMX)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "proxima:candidates-changed"
    application = db.session.scalars(sa.select(Application).where(Application.offer_id == world.offer.id)).one()
    assert application.job_seeker_id == world.person.id and application.origin == ApplicationOrigin.RECOMMENDER
    assert f'id="candidate-{world.person.id}"' not in response.get_data(as_text=True)
    refused = client.post(f"/offres/{world.offer.id}/candidats/{second.id}/ecarter", headers=HTMX, data={})
    assert refused.status_code == 422 and "Choisissez un motif." in refused.get_data(as_text=True)
    discarded = client.post(f"/offres/{world.offer.id}/candidats/{second.id}/ecarter", headers=HTMX,
                            data={"reason": "unavailable"})
    assert discarded.status_code == 200 and f'id="candidate-{second.id}"' not in discarded.get_data(as_text=True)
    feedback = db.session.scalars(sa.select(Feedback)).one()
    assert (feedback.context, feedback.action, feedback.job_seeker_id) == (
        FeedbackContext.CANDIDATE, FeedbackAction.DISCARD, second.id)


def test_a_person_proposed_the_offer_stays_its_candidate_until_they_decline(client: FlaskClient,
                                                                            world: World) -> None:
    """Proposed in the file, the offer leaves the person's widget, but the person stays a candidate
    on the offer's panel (on the way to a mise en relation), saying so; declined, they leave it."""
    from crm.interactions.models import ProposalResponse

    log_in(client, world.counselor)
    client.post(f"/beneficiaires/{world.person.id}/recommandations/proposer", headers=HTMX,
                data={"item_kind": "offer", "item_id": world.offer.id})
    proposal = db.session.scalars(sa.select(Proposal)).one()
    assert proposal.offer_id == world.offer.id and proposal.response == ProposalResponse.PENDING
    assert f'id="rec-offer-{world.offer.id}"' not in widget(client, world)
    log_in(client, world.employer_counselor)
    html = client.get(f"/offres/{world.offer.id}/candidats", headers=HTMX).get_data(as_text=True)
    assert f'id="candidate-{world.person.id}"' in html and "Offre déjà proposée aujourd&#39;hui, sans refus" in html
    log_in(client, world.counselor)
    url = f"/beneficiaires/{world.person.id}/recommandations/propositions/{proposal.id}"
    assert client.post(url, headers=HTMX, data={"version": proposal.version, "response": "declined"}).status_code == 200
    log_in(client, world.employer_counselor)
    html = client.get(f"/offres/{world.offer.id}/candidats", headers=HTMX).get_data(as_text=True)
    assert f'id="candidate-{world.person.id}"' not in html


def test_an_offer_created_today_gets_candidates(client: FlaskClient, world: World) -> None:
    world.offer.created_on = date.today()
    db.session.flush()
    log_in(client, world.employer_counselor)
    html = client.get(f"/offres/{world.offer.id}/candidats", headers=HTMX).get_data(as_text=True)
    assert f'id="candidate-{world.person.id}"' in html


def test_a_closed_file_gets_nothing_to_propose_and_refuses_a_proposal(client: FlaskClient, world: World) -> None:
    from crm.jobseekers.models import JobSeekerStatus

    world.person.status, world.person.exit_date = JobSeekerStatus.EXITED, date.today()
    db.session.flush()
    log_in(client, world.counselor)
    html = widget(client, world)
    assert "Dossier clos" in html and f'id="rec-workshop-{world.workshop.id}"' not in html
    response = client.post(f"/beneficiaires/{world.person.id}/recommandations/proposer", headers=HTMX,
                           data={"item_kind": "workshop", "item_id": world.workshop.id})
    assert response.status_code == 422 and "plus inscrite" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0


def test_a_person_who_left_today_is_no_candidate(client: FlaskClient, world: World) -> None:
    """Left this morning (exit dated today): still active for today's figures, but no longer
    someone an offer can be put forward to."""
    from crm.jobseekers.models import JobSeekerStatus

    world.person.status, world.person.exit_date = JobSeekerStatus.EXITED, date.today()
    db.session.flush()
    log_in(client, world.employer_counselor)
    html = client.get(f"/offres/{world.offer.id}/candidats", headers=HTMX).get_data(as_text=True)
    assert f'id="candidate-{world.person.id}"' not in html


def test_an_offer_not_open_gets_no_candidates_and_no_ranking_note(client: FlaskClient, world: World) -> None:
    from crm.offers.models import OfferStatus

    world.offer.status = OfferStatus.DRAFT
    db.session.flush()
    log_in(client, world.employer_counselor)
    html = client.get(f"/offres/{world.offer.id}/candidats", headers=HTMX).get_data(as_text=True)
    assert "L&#39;offre n&#39;est pas ouverte" in html or "L'offre n'est pas ouverte" in html
    assert 'id="candidate-' not in html and "classement par règles" not in html


def test_candidates_of_another_agency_offer_are_not_found(client: FlaskClient, world: World) -> None:
    log_in(client, world.elsewhere)
    assert client.get(f"/offres/{world.offer.id}/candidats", headers=HTMX).status_code == 404


def test_a_person_without_target_occupation_still_gets_services(client: FlaskClient, world: World) -> None:
    person = f.make_job_seeker(referent=world.counselor, last_name="Xray", commune_insee="75056",
                               work_axes=["Se former"])
    db.session.flush()
    log_in(client, world.counselor)
    response = client.get(f"/beneficiaires/{person.id}/recommandations", headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Décider de se former ?" in html and "Secrétaire médicale" not in html


def test_the_widget_reads_the_nightly_batch_and_drops_what_changed_since(client: FlaskClient, world: World) -> None:
    from crm.modelregistry.models import StoredRecommendation
    from crm.offers.models import OfferStatus

    def stored(rank: int, kind: str, **item: Any) -> StoredRecommendation:
        return StoredRecommendation(computed_on=date.today(), job_seeker_id=world.person.id, rank=rank,
                                    item_kind=kind, score=1.0 / rank, reasons=[
                                        {"code": "distance", "params": {"km": 3}, "text": "3 km de chez vous"}], **item)

    db.session.add_all([stored(1, "offer", offer_id=world.offer.id),
                        stored(2, "workshop", catalogue_item_id=world.workshop.id),
                        stored(3, "partner_service", catalogue_item_id=world.mission_locale.id)])
    db.session.flush()
    log_in(client, world.counselor)
    html = widget(client, world)
    # The stored list, as computed (the Mission locale row was the batch's choice, shown as is).
    assert "Secrétaire médicale" in html and "Décider de se former ?" in html and "Mission locale" in html
    assert "Titre professionnel secrétaire" not in html  # not in the batch: not computed live either
    assert "3 km de chez vous" in html
    client.post(f"/beneficiaires/{world.person.id}/recommandations/proposer", headers=HTMX,
                data={"item_kind": "workshop", "item_id": world.workshop.id})
    world.offer.status = OfferStatus.FILLED
    db.session.flush()
    html = widget(client, world)
    assert f'id="rec-workshop-{world.workshop.id}"' not in html and "Secrétaire médicale" not in html
    assert "Mission locale" in html


def test_the_candidates_panel_reads_the_nightly_batch_and_drops_what_changed_since(
        client: FlaskClient, world: World) -> None:
    from crm.jobseekers.models import JobSeekerStatus
    from crm.modelregistry.models import StoredCandidate

    stored_only = f.make_job_seeker(referent=world.counselor, last_name="Whiskey", commune_insee="75056")
    leaving = f.make_job_seeker(referent=world.counselor, last_name="Victor", commune_insee="75056")
    abroad = f.make_job_seeker(referent=world.elsewhere, last_name="Uniform")  # another agency
    declining = f.make_job_seeker(referent=world.counselor, last_name="Tango", commune_insee="75056")
    db.session.flush()
    # A reason code this version does not know (a batch written by another version): its stored text.
    reasons = [{"code": "distance", "params": {"km": 4}, "text": "4 km de chez vous"},
               {"code": "some_later_code", "params": {"days": 2}, "text": "Motif d'une autre version"}]
    db.session.add_all([StoredCandidate(computed_on=date.today(), offer_id=world.offer.id, job_seeker_id=p.id,
                                        rank=rank, score=1.0 / rank, distance_km=4.0, reasons=reasons)
                        for rank, p in enumerate((stored_only, leaving, world.person, abroad, declining), start=1)])
    db.session.flush()
    log_in(client, world.employer_counselor)
    html = client.get(f"/offres/{world.offer.id}/candidats", headers=HTMX).get_data(as_text=True)
    # The batch's list as computed (Whiskey has no target: only the batch put him there), in its order.
    assert html.index("Whiskey") < html.index("Victor") < html.index("Zulu")
    assert "Uniform" not in html and "4 km de chez vous" in html and "Motif d&#39;une autre version" in html
    assert "Tango" in html
    client.post(f"/offres/{world.offer.id}/candidats/{world.person.id}/mise-en-relation", headers=HTMX)
    leaving.status = JobSeekerStatus.EXITED
    db.session.add(Proposal(job_seeker_id=declining.id, item_kind=ItemKind.OFFER, offer_id=world.offer.id,
                            proposed_at=utcnow(), response=ProposalResponse.DECLINED))  # since the batch
    db.session.flush()
    html = client.get(f"/offres/{world.offer.id}/candidats", headers=HTMX).get_data(as_text=True)
    assert "Whiskey" in html and "Victor" not in html and f'id="candidate-{world.person.id}"' not in html
    assert "Tango" not in html


def test_responses_and_outcomes_are_recorded_from_the_file(client: FlaskClient, world: World) -> None:
    from crm.interactions.models import ProposalOutcome, ProposalResponse

    log_in(client, world.counselor)
    client.post(f"/beneficiaires/{world.person.id}/recommandations/proposer", headers=HTMX,
                data={"item_kind": "workshop", "item_id": world.workshop.id})
    proposal = db.session.scalars(sa.select(Proposal)).one()
    url = f"/beneficiaires/{world.person.id}/recommandations/propositions/{proposal.id}"
    html = widget(client, world)
    assert f'id="proposal-{proposal.id}"' in html and "Propositions des 90 derniers jours" in html
    too_early = client.post(url, headers=HTMX, data={"version": proposal.version, "outcome": "completed"})
    assert too_early.status_code == 422 and "a accepté" in too_early.get_data(as_text=True)
    stale = proposal.version
    accepted = client.post(url, headers=HTMX, data={"version": proposal.version, "response": "accepted"})
    assert accepted.status_code == 200
    assert proposal.response == ProposalResponse.ACCEPTED
    conflict = client.post(url, headers=HTMX, data={"version": stale, "response": "declined"})
    assert conflict.status_code == 409 and proposal.response == ProposalResponse.ACCEPTED
    done = client.post(url, headers=HTMX, data={"version": proposal.version, "outcome": "completed"})
    assert done.status_code == 200 and proposal.outcome == ProposalOutcome.COMPLETED
    assert proposal.outcome_on == current_day().today  # the Paris day
    hired = client.post(url, headers=HTMX, data={"version": proposal.version, "outcome": "hired"})
    assert hired.status_code == 422 and proposal.outcome == ProposalOutcome.COMPLETED  # not for a workshop


def test_follow_up_of_another_persons_proposal_is_not_found(client: FlaskClient, world: World) -> None:
    other = f.make_job_seeker(referent=world.counselor, last_name="Whiskey")
    proposal = f.make_training_proposal(other, training=world.training)
    db.session.flush()
    log_in(client, world.counselor)
    response = client.post(f"/beneficiaires/{world.person.id}/recommandations/propositions/{proposal.id}",
                           headers=HTMX, data={"version": proposal.version, "response": "accepted"})
    assert response.status_code == 404
