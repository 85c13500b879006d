"""Every route of the application against an explicit rule: who may reach it.

``RULES`` lists, for each endpoint, the roles allowed (``ANONYMOUS`` for routes open to
everyone). The tests build ``app.url_map`` and request every route, with each of its
methods, as each role, in a world where the objects in the URL belong to the users'
agency and portfolios (a counselor is the referent, the employer counselor holds the
employer, both in the team manager's team):

- allowed: neither 401, 403, 404 nor a redirect to the login page (and never 5xx);
- denied: 403 or 404 (anonymous visitors: the login page, or 401 for the API).

A route without a rule fails ``test_every_route_has_a_rule``: say who may use it here.

Object level: users of another agency, whatever their role, get 404 for this agency's
job seekers, employers, offers, appointments, referrals, registrations… by id — pages,
htmx fragments and the API alike; and a row of another agency's file cannot be
reached through one's own file (``load_owned``). Interactions have no route of their
own: they are reached through their job seeker's or employer's timeline, covered here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.routing import Rule as UrlRule

from crm.api.tokens import create_token
from crm.catalogue.models import CatalogueKind, SessionRegistration
from crm.employers.models import ProspectionAction, ProspectionKind
from crm.extensions import db
from crm.jobseekers.models import ActionPlanItem, Barrier, BarrierKind
from crm.organisation.models import Role, User
from tests import factories as f
from tests.web.conftest import log_in, open_with_reason

ANONYMOUS = "anonymous"
C, EC, BC, P, TM, D, A = (Role.COUNSELOR, Role.EMPLOYER_COUNSELOR, Role.BENEFITS_COUNSELOR, Role.PSYCHOLOGIST,
                          Role.TEAM_MANAGER, Role.DIRECTOR, Role.ADMIN)
STAFF = frozenset({C, EC, BC, P, TM, D})
EVERYONE = STAFF | {A}
PUBLIC = EVERYONE | {ANONYMOUS}
# crm.access: who reads and who changes this world's job seeker (referent C, benefits
# counselor BC, in TM's team) and employer (held by EC, in TM's team).
JOB_SEEKER_READ = STAFF
JOB_SEEKER_WRITE = frozenset({C, BC, P, TM})
EMPLOYER_READ = STAFF
EMPLOYER_WRITE = frozenset({EC, TM})

# Not checked: static files, and the login page (anyone must reach it).
EXEMPT = {"static", "auth.login"}


@dataclass(frozen=True)
class RouteRule:
    roles: frozenset[Any]
    query: Callable[[World], dict[str, Any]] | None = None  # query string the view needs
    json: Callable[[World], dict[str, Any]] | None = None  # API body: valid, so object checks are reached


def rule(roles: Any, **kwargs: Any) -> RouteRule:
    return RouteRule(frozenset(roles), **kwargs)


RULES: dict[str, RouteRule] = {
    # home, language, account
    "web.home": rule(EVERYONE),
    "web.set_language": rule(PUBLIC),
    "auth.logout": rule(EVERYONE),
    "api_tokens.index": rule(EVERYONE),
    "api_tokens.create": rule(EVERYONE),
    "api_tokens.revoke": rule(EVERYONE),  # one's own tokens (others: 404)
    "api_tokens.admin_index": rule({A}),
    "api_tokens.admin_revoke": rule({A}),
    "referentials.rome": rule(EVERYONE),
    "referentials.rome_choice": rule(EVERYONE, query=lambda w: {"value": "M1607"}),
    # audit (administrators only)
    "audit.index": rule({A}),
    "audit.export": rule({A}),
    # job seeker file
    "file_access.reason": rule(JOB_SEEKER_READ),
    "jobseekers.file": rule(JOB_SEEKER_READ),
    "jobseekers.header": rule(JOB_SEEKER_READ),
    "jobseekers.profile": rule(JOB_SEEKER_READ),
    "jobseekers.edit_profile": rule(JOB_SEEKER_WRITE),
    "jobseekers.save_profile": rule(JOB_SEEKER_WRITE),
    "jobseekers.add_barrier": rule(JOB_SEEKER_WRITE),
    "jobseekers.resolve_barrier": rule(JOB_SEEKER_WRITE),
    "jobseekers.add_action_item": rule(JOB_SEEKER_WRITE),
    "jobseekers.set_action_item_status": rule(JOB_SEEKER_WRITE),
    "jobseekers.record_consent": rule(JOB_SEEKER_WRITE),
    "jobseekers.change_modality": rule(JOB_SEEKER_WRITE),
    "jobseekers.transfer": rule(JOB_SEEKER_WRITE),
    "timeline.timeline": rule(JOB_SEEKER_READ),
    "timeline.appointments": rule(JOB_SEEKER_READ),
    "timeline.referrals": rule(JOB_SEEKER_READ),
    "timeline.trainings": rule(JOB_SEEKER_READ),
    "timeline.training_options": rule(JOB_SEEKER_READ),
    "timeline.log_form": rule(JOB_SEEKER_WRITE),
    "timeline.log": rule(JOB_SEEKER_WRITE),
    "timeline.plan_appointment": rule(JOB_SEEKER_WRITE),
    "timeline.appointment_status": rule(JOB_SEEKER_WRITE),
    "timeline.create_referral": rule(JOB_SEEKER_WRITE),
    "timeline.referral_status": rule(JOB_SEEKER_WRITE),
    "timeline.referral_feedback": rule(JOB_SEEKER_WRITE),
    "timeline.mention_training": rule(JOB_SEEKER_WRITE),
    "timeline.prescribe_training": rule(JOB_SEEKER_WRITE),
    "timeline.start_training": rule(JOB_SEEKER_WRITE),
    # portfolios, priorities, team
    "portfolio.index": rule({C, BC, TM, D}),
    "portfolio.export": rule({C, BC, TM, D}),
    "priority.job_seekers": rule({C, TM}),
    "priority.employers": rule({EC, TM}),
    "priority.job_seeker_contact": rule({C}),
    "priority.job_seeker_feedback": rule({C}),
    "priority.employer_contact": rule({EC}),
    "priority.employer_feedback": rule({EC}),
    "teams.overview": rule({TM}),
    "teams.detail": rule({TM}, query=lambda w: {"indicator": "portfolio", "counselor": w.users[C].id}),
    "teams.reassign": rule({TM}),
    "modelhealth.index": rule({D, A}),
    # employers
    "employers.index": rule({EC, TM, D}),
    "employers.recontact": rule({EC, TM, D}),
    "employers.bulk_reassign": rule({D}),
    "employers.detail": rule(EMPLOYER_READ),
    "employers.timeline": rule(EMPLOYER_READ),
    "employers.log_form": rule(EMPLOYER_WRITE),
    "employers.log": rule(EMPLOYER_WRITE),
    "employers.plan_prospection": rule(EMPLOYER_WRITE),
    "employers.prospection_done": rule(EMPLOYER_WRITE),
    "employers.promote": rule(EMPLOYER_WRITE),
    "employers.add_need": rule(EMPLOYER_WRITE),
    "employers.reassign": rule({TM, D}),  # crm.employers.services.can_reassign
    # offers
    "offers.index": rule(STAFF),
    "offers.to_share": rule(STAFF),
    "offers.detail": rule(EMPLOYER_READ),
    "offers.preselection": rule(EMPLOYER_READ),
    "offers.create": rule({EC, TM}, query=lambda w: {"employer_id": w.employer.id}),
    "offers.edit": rule(EMPLOYER_WRITE),
    "offers.change_status": rule(EMPLOYER_WRITE),
    "offers.share": rule(EMPLOYER_WRITE),
    "offers.add_candidate": rule(EMPLOYER_WRITE),
    "offers.application_status": rule(EMPLOYER_WRITE),
    "offers.application_feedback": rule(EMPLOYER_WRITE),
    # events: sessions are shared; acting on a registration needs the party (WRITE, or an
    # employer counselor registering the agency's job seekers)
    "events.index": rule(STAFF),
    "events.session_detail": rule(STAFF),
    "events.register": rule(STAFF),
    "events.unregister": rule({C, BC, P, TM, EC}),
    "events.attendance": rule({C, BC, P, TM, EC}),
    # agency steering
    "agency.overview": rule({D}),
    "agency.detail": rule({D}, query=lambda w: {"indicator": "portfolio"}),
    "agency.weekly": rule({D, TM}),
    "agency.weekly_csv": rule({D, TM}),
    "agency.bassin": rule({D}),
    "teams.reassign_employers": rule({TM}),
    # recommendations: the file's widget, an offer's candidates
    "recommendations.widget": rule(JOB_SEEKER_READ),
    "recommendations.propose": rule(JOB_SEEKER_WRITE),
    "recommendations.not_relevant": rule(JOB_SEEKER_WRITE, query=lambda w: {"item_kind": "offer",
                                                                             "item_id": w.offer.id}),
    "recommendations.candidates": rule(EMPLOYER_READ),
    "recommendations.follow_up": rule(JOB_SEEKER_WRITE),
    "recommendations.put_forward": rule(EMPLOYER_WRITE),
    "recommendations.discard": rule(EMPLOYER_WRITE),
    # personal data (GDPR): administrators, for anyone (subject access and erasure)
    "gdpr.index": rule({A}),
    "gdpr.person": rule({A}),
    "gdpr.export": rule({A}),
    "gdpr.erase": rule({A}),
    # API (bearer tokens)
    "api.openapi": rule(PUBLIC),
    "api.me": rule(EVERYONE),
    "api.portfolio": rule({C, BC, TM, D}),
    "api.job_seeker_file": rule(JOB_SEEKER_READ),
    "api.job_seeker_timeline": rule(JOB_SEEKER_READ),
    "api.log_interaction": rule(JOB_SEEKER_WRITE, json=lambda w: {
        "channel": "phone", "kind": "follow_up", "outcome": "reached"}),
    "api.record_proposal": rule(JOB_SEEKER_WRITE, json=lambda w: {
        "item_kind": "training", "catalogue_item_id": w.training.id}),
    "api.employers": rule({EC, TM, D}),
    "api.create_offer": rule({EC, TM}, json=lambda w: {
        "employer_id": w.employer.id, "title": "Vendeur", "rome_code": "M1607", "contract_type": "cdi"}),
    "api.get_offer": rule(EMPLOYER_READ),
    "api.update_offer": rule(EMPLOYER_WRITE, json=lambda w: {"version": 1, "title": "Vendeuse"}),
    "api.offer_status": rule(EMPLOYER_WRITE, json=lambda w: {"status": "cancelled", "version": 1}),
    "api.create_application": rule(EMPLOYER_WRITE, json=lambda w: {"job_seeker_id": w.job_seeker.id}),
    "api.priority_job_seekers": rule({C}),
    "api.priority_employers": rule({EC}),
    "api.priority_job_seeker_feedback": rule({C}, json=lambda w: {"action": "dismiss", "reason": "situation_known"}),
    "api.priority_employer_feedback": rule({EC}, json=lambda w: {"action": "dismiss", "reason": "situation_known"}),
    "api.job_seeker_recommendations": rule(JOB_SEEKER_READ),
    "api.recommendation_feedback": rule(JOB_SEEKER_WRITE, json=lambda w: {
        "item_kind": "training", "item_id": w.training.id, "reason": "not_now"}),
    "api.offer_candidates": rule(EMPLOYER_READ),
    "api.candidate_feedback": rule(EMPLOYER_WRITE, json=lambda w: {"job_seeker_id": w.job_seeker.id,
                                                                  "reason": "too_far"}),
}

PRINCIPALS = [ANONYMOUS, *Role]


def _name(principal: Any) -> str:
    return principal if principal == ANONYMOUS else principal.value


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    """One agency's objects, every role's user there (``users``) with an API token and a
    spare token to revoke; ``other`` holds the same objects in another agency."""

    users: dict[Role, User]
    tokens: dict[Role, str]
    spare_tokens: dict[Role, int]
    job_seeker: Any
    employer: Any
    offer: Any
    application: Any
    appointment: Any
    referral: Any
    proposal: Any
    barrier: Any
    item: Any
    prospection: Any
    event_session: Any
    registration: Any
    training: Any
    other: World | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def path_values(self, principal: Any, endpoint: str) -> dict[str, Any]:
        """Values for every path argument a rule may have."""
        spare = self.spare_tokens.get(principal) if principal != ANONYMOUS else None
        return {
            "job_seeker_id": self.job_seeker.id,
            "employer_id": self.employer.id,
            "offer_id": self.offer.id,
            "application_id": self.application.id,
            "appointment_id": self.appointment.id,
            "referral_id": self.referral.id,
            "proposal_id": self.proposal.id,
            "barrier_id": self.barrier.id,
            "item_id": self.item.id,
            "action_id": self.prospection.id,
            "session_id": self.event_session.id,
            "registration_id": self.registration.id,
            # one's own spare token; the administrators' page revokes the counselor's
            "token_id": self.spare_tokens[C] if endpoint == "api_tokens.admin_revoke" or spare is None else spare,
        }


def build_world(*, event_session: Any = None, training: Any = None) -> World:
    agency = f.make_agency()
    team = f.make_team(agency)
    users = {
        C: f.make_user(role=C, team=team, first_name="Claire"),
        EC: f.make_user(role=EC, team=team),
        BC: f.make_user(role=BC, agency=agency),
        P: f.make_user(role=P, agency=agency),
        TM: f.make_user(role=TM, team=team),
        D: f.make_user(role=D, agency=agency),
        A: f.make_user(role=A, agency=None),
    }
    f.make_rome_occupation("M1607")
    f.make_commune("75056")
    person = f.make_job_seeker(referent=users[C], benefits_counselor_id=users[BC].id)
    barrier = Barrier(job_seeker_id=person.id, kind=BarrierKind.MOBILITY, noted_on=date(2025, 2, 1))
    item = ActionPlanItem(job_seeker_id=person.id, label="Mettre à jour le CV", due_on=date(2025, 3, 1))
    db.session.add_all([barrier, item])
    f.make_interaction(person, occurred_at=datetime(2025, 6, 1, 9), author=users[C], notes="Premier contact")
    appointment = f.make_appointment(person, scheduled_at=datetime(2030, 1, 7, 9), staff=users[C])
    referral = f.make_referral(person)
    training = training or f.make_catalogue_item(kind=CatalogueKind.TRAINING, title="Formation")
    proposal = f.make_training_proposal(person, training=training)
    employer = f.make_employer(counselor=users[EC])
    prospection = ProspectionAction(employer_id=employer.id, counselor_id=users[EC].id, kind=ProspectionKind.CALL,
                                    planned_on=date(2030, 1, 8))
    db.session.add(prospection)
    offer = f.make_offer(employer=employer, counselor=users[EC])
    application = f.make_application(offer, person)
    event_session = event_session or f.make_event_session()
    registration = SessionRegistration(session_id=event_session.id, job_seeker_id=person.id,
                                       registered_by_id=users[C].id)
    db.session.add(registration)
    db.session.flush()
    tokens = {role: create_token(author=user, user=user, name="routes")[1] for role, user in users.items()}
    spare = {role: create_token(author=user, user=user, name="spare")[0].id for role, user in users.items()}
    db.session.commit()  # a savepoint: a view's rollback must not undo the world
    return World(users=users, tokens=tokens, spare_tokens=spare, job_seeker=person, employer=employer, offer=offer,
                 application=application, appointment=appointment, referral=referral, proposal=proposal,
                 barrier=barrier, item=item, prospection=prospection, event_session=event_session,
                 registration=registration, training=training)


@pytest.fixture()
def world(db_session: Any) -> World:
    home = build_world()
    home.other = build_world(event_session=home.event_session, training=home.training)
    return home


# --------------------------------------------------------------------------- requests


def routes(app: Flask) -> list[tuple[UrlRule, str]]:
    """Every (rule, method) pair, in a stable order."""
    pairs = []
    for url_rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        if url_rule.endpoint in EXEMPT:
            continue
        for method in sorted((url_rule.methods or set()) - {"HEAD", "OPTIONS"}):
            pairs.append((url_rule, method))
    return pairs


def is_api(url_rule: UrlRule) -> bool:
    return url_rule.endpoint.startswith("api.")


def request_as(client: FlaskClient, app: Flask, world: World, principal: Any, url_rule: UrlRule, method: str, *,
               values: dict[str, Any] | None = None, htmx: bool = False, acting: World | None = None,
               body: dict[str, Any] | None = None) -> Any:
    """``method`` on ``url_rule`` as ``principal`` (a session for pages, a token for the API)
    of ``acting`` (default: ``world``), about ``world``'s objects."""
    acting = acting or world
    spec = RULES[url_rule.endpoint]
    args = {name: value for name, value in (values or world.path_values(principal, url_rule.endpoint)).items()
            if name in url_rule.arguments}
    with app.test_request_context():
        url = url_for(url_rule.endpoint, **args, **(spec.query(world) if spec.query else {}))
    headers = {"HX-Request": "true"} if htmx else {}
    if is_api(url_rule):
        if principal != ANONYMOUS:
            headers["Authorization"] = f"Bearer {acting.tokens[principal]}"
            headers["X-Access-Reason"] = "steering"  # a file outside one's portfolio (tests/api/test_auth.py)
        if method in ("POST", "PATCH"):
            return client.open(url, method=method, headers=headers, json=spec.json(world) if spec.json else {})
        return client.open(url, method=method, headers=headers)
    if principal != ANONYMOUS:
        log_in(client, acting.users[principal])
        open_with_reason(client, world.job_seeker.id)  # the reason form has its own tests
    return client.open(url, method=method, headers=headers, data=(body or {}) if method != "GET" else None)


def login_redirect(response: Any) -> bool:
    """Flask-Login's answer to an anonymous visitor: the login page, with where they were going."""
    if response.status_code not in (301, 302, 303):
        return False
    location = urlsplit(response.headers["Location"])
    return location.path == "/login" and "next" in parse_qs(location.query)


def verdict(response: Any, *, api: bool) -> str:
    status = response.status_code
    if status >= 500:
        return "error"
    if status in (401, 403, 404) or (not api and login_redirect(response)):
        return "denied"
    return "allowed"


# --------------------------------------------------------------------------- the tests


def test_every_route_has_a_rule(app: Flask) -> None:
    endpoints = {r.endpoint for r in app.url_map.iter_rules()} - EXEMPT
    missing = sorted(endpoints - set(RULES))
    stale = sorted(set(RULES) - endpoints)
    assert not missing, f"routes without a rule (say who may use them in tests/test_route_rules.py): {missing}"
    assert not stale, f"rules for routes that no longer exist: {stale}"


@pytest.mark.parametrize("principal", PRINCIPALS, ids=_name)
def test_each_route_answers_each_role_as_its_rule_says(app: Flask, client: FlaskClient, world: World,
                                                        principal: Any) -> None:
    failures = []
    for url_rule, method in routes(app):
        if url_rule.endpoint not in RULES:
            continue  # reported by test_every_route_has_a_rule
        try:
            response = request_as(client, app, world, principal, url_rule, method)
        except Exception as error:  # report every route, not only the first that fails
            db.session.rollback()
            failures.append(f"{method} {url_rule.rule} ({url_rule.endpoint}): {type(error).__name__}: {error}")
            continue
        got = verdict(response, api=is_api(url_rule))
        expected = "allowed" if principal in RULES[url_rule.endpoint].roles else "denied"
        if got == "denied" and expected == "denied" and principal == ANONYMOUS:
            # Anonymous visitors are sent to log in (pages) or asked for a token (API).
            ok = response.status_code == 401 if is_api(url_rule) else login_redirect(response)
            got = "denied" if ok else f"denied without the login page ({response.status_code})"
        if got != expected:
            failures.append(f"{method} {url_rule.rule} ({url_rule.endpoint}): {got}, expected {expected} "
                            f"[{response.status_code}]")
    assert not failures, f"as {_name(principal)}:\n" + "\n".join(failures)


# Routes whose path names only shared objects (event sessions, any account's token for
# administrators, any person for the GDPR administrators): no agency to cross.
NOT_AGENCY_OBJECTS = {"events.session_detail", "events.register", "api_tokens.admin_revoke", "gdpr.person",
                      "gdpr.export", "gdpr.erase"}
# Routes naming an agency's object in their query string.
QUERY_OBJECTS = {"offers.create", "teams.detail"}


def object_routes(app: Flask) -> list[tuple[UrlRule, str]]:
    return [(r, m) for r, m in routes(app) if r.endpoint in RULES and r.endpoint not in NOT_AGENCY_OBJECTS
            and (r.arguments or r.endpoint in QUERY_OBJECTS)]


@pytest.mark.parametrize("role", list(Role), ids=_name)
def test_another_agencys_objects_do_not_exist(app: Flask, client: FlaskClient, world: World, role: Role) -> None:
    """Users of the other agency, with the same role, ask for this agency's objects by id:
    404 on pages, htmx fragments and the API (for routes their role may use at all)."""
    stranger_world = world.other
    assert stranger_world is not None
    failures = []
    for url_rule, method in object_routes(app):
        if role not in RULES[url_rule.endpoint].roles:
            continue
        # The stranger's session and token, this agency's ids (and query, e.g. ?employer_id=).
        values = world.path_values(role, url_rule.endpoint)
        values["token_id"] = world.spare_tokens[role]
        for htmx in ((False,) if is_api(url_rule) else (False, True)):
            response = request_as(client, app, world, role, url_rule, method, values=values, htmx=htmx,
                                  acting=stranger_world)
            if response.status_code != 404 or (is_api(url_rule) and not response.is_json):
                failures.append(f"{method} {url_rule.rule} ({url_rule.endpoint}{', htmx' if htmx else ''}): "
                                f"{response.status_code}")
    assert not failures, f"{role.value} of another agency reached:\n" + "\n".join(failures)


# A row of a file fetched by its own id: (endpoint, the row's path argument).
CHILD_ROWS = {
    "appointment_id": "appointment",
    "referral_id": "referral",
    "proposal_id": "proposal",
    "barrier_id": "barrier",
    "item_id": "item",
    "action_id": "prospection",
    "application_id": "application",
    "registration_id": "registration",
}


def test_a_row_of_another_file_cannot_be_reached_through_ones_own(app: Flask, client: FlaskClient,
                                                                  world: World) -> None:
    """The owner of this agency's file, with the id of a row of the other agency's file
    (an appointment, a referral, a registration…) in the URL: 404."""
    other = world.other
    assert other is not None
    failures = []
    checked = 0
    for url_rule, method in routes(app):
        children = [name for name in url_rule.arguments if name in CHILD_ROWS]
        if not children or url_rule.endpoint not in RULES:
            continue
        owner = next(role for role in (C, EC, TM) if role in RULES[url_rule.endpoint].roles)
        values = world.path_values(owner, url_rule.endpoint)
        for name in children:
            values[name] = getattr(other, CHILD_ROWS[name]).id
        response = request_as(client, app, world, owner, url_rule, method, values=values)
        checked += 1
        if response.status_code != 404:
            failures.append(f"{method} {url_rule.rule} ({url_rule.endpoint}): {response.status_code}")
    assert checked >= 10
    assert not failures, "\n".join(failures)


def test_lists_and_exports_never_show_another_agencys_people(client: FlaskClient, world: World) -> None:
    other = world.other
    assert other is not None
    theirs = other.job_seeker.last_name
    ours = world.job_seeker.last_name
    for role, url in ((C, "/portefeuille"), (C, "/portefeuille/export.csv"), (D, "/portefeuille"),
                      (D, "/portefeuille/export.csv"), (TM, "/portefeuille"), (C, "/priorites")):
        log_in(client, world.users[role])
        body = client.get(url).get_data(as_text=True)
        assert theirs not in body, (role, url)
        if "portefeuille" in url:
            assert ours in body, (role, url)
    for role, url in ((EC, "/entreprises"), (D, "/entreprises"), (EC, "/offres")):
        log_in(client, world.users[role])
        body = client.get(url).get_data(as_text=True)
        assert other.employer.name not in body and world.employer.name in body, (role, url)
    api = client.get("/api/v1/portfolio", headers={"Authorization": f"Bearer {world.tokens[C]}"}).get_json()
    assert [item["id"] for item in api["items"]] == [world.job_seeker.id]
    api = client.get("/api/v1/employers", headers={"Authorization": f"Bearer {world.tokens[EC]}"}).get_json()
    assert [item["id"] for item in api["items"]] == [world.employer.id]
