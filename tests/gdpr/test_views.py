"""The administrators' RGPD pages: search, person, export, erasure."""

from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.jobseekers.models import JobSeeker
from tests.gdpr.conftest import File
from tests.web.conftest import log_in


def committed(file: File) -> File:
    db.session.commit()  # a savepoint: the view's rollback must not undo the test's data
    return file


def events(person: JobSeeker, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.job_seeker_id == person.id,
                                                               AuditEvent.action == action)))


def test_only_administrators(client: FlaskClient, file: File) -> None:
    committed(file)
    base = f"/admin/rgpd/personnes/{file.person.id}"
    assert client.get("/admin/rgpd").status_code == 302  # to the login page
    log_in(client, file.referent)
    for url in ("/admin/rgpd", base, f"{base}/export"):
        assert client.get(url).status_code == 403
    assert client.post(f"{base}/effacement", data={"reason": "x", "confirm": "y"}).status_code == 403
    assert db.session.get(JobSeeker, file.person.id).anonymised_at is None


def test_search_then_person_page(client: FlaskClient, file: File) -> None:
    committed(file)
    log_in(client, file.admin)
    page = client.get("/admin/rgpd").get_data(as_text=True)
    assert "Données personnelles (RGPD)" in page and 'id="gdpr-results"' not in page
    for query in ("dupont", "DE-4242", "zoe.dupont@example.org", str(file.person.id), "lajoie zoé"):
        html = client.get("/admin/rgpd", query_string={"q": query}).get_data(as_text=True)
        assert f"/admin/rgpd/personnes/{file.person.id}" in html, query
        assert "Voisin" not in html
    html = client.get("/admin/rgpd", query_string={"q": "personne inconnue"}).get_data(as_text=True)
    assert "Aucune personne ne correspond" in html

    html = client.get(f"/admin/rgpd/personnes/{file.person.id}").get_data(as_text=True)
    assert "Zoé Dupont-Lajoie" in html and "Exporter les données (ZIP)" in html and 'id="gdpr-erase"' in html
    (read,) = events(file.person, "job_seeker.read")[-1:]
    assert read.user_id == file.admin.id and read.details == {"context": "gdpr"}
    assert client.get("/admin/rgpd/personnes/999999").status_code == 404


def test_export_downloads_the_archive(client: FlaskClient, file: File) -> None:
    committed(file)
    log_in(client, file.admin)
    response = client.get(f"/admin/rgpd/personnes/{file.person.id}/export")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f"proxima-donnees-personne-{file.person.id}-" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert {"manifest.json", "data.json", "csv/interaction.csv", "csv/audit_event.csv"} <= set(names)
    (event,) = events(file.person, "job_seeker.subject_access_export")
    assert event.user_id == file.admin.id and event.channel == "web"


def test_erasure_needs_a_reason_and_a_confirmation(client: FlaskClient, file: File) -> None:
    committed(file)
    log_in(client, file.admin)
    url = f"/admin/rgpd/personnes/{file.person.id}/effacement"
    response = client.post(url, data={"reason": "Courrier du 2 novembre"})
    assert response.status_code == 422 and "Cochez la case" in response.get_data(as_text=True)
    response = client.post(url, data={"confirm": "y"})
    assert response.status_code == 422 and "Indiquez la demande" in response.get_data(as_text=True)
    assert db.session.get(JobSeeker, file.person.id).anonymised_at is None


def test_erasure_takes_the_person_out_of_every_file_and_list(client: FlaskClient, file: File) -> None:
    committed(file)
    log_in(client, file.referent)
    assert client.get(f"/beneficiaires/{file.person.id}").status_code == 200
    assert "Dupont-Lajoie" in client.get("/portefeuille").get_data(as_text=True)

    log_in(client, file.admin)
    response = client.post(f"/admin/rgpd/personnes/{file.person.id}/effacement",
                           data={"reason": "Courrier du 2 novembre", "confirm": "y"})
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "sont effacées" in html and 'id="anonymised"' in html and 'id="gdpr-erase"' not in html
    (event,) = events(file.person, "job_seeker.anonymise")
    assert event.user_id == file.admin.id and event.reason == "Courrier du 2 novembre"

    log_in(client, file.referent)
    assert client.get(f"/beneficiaires/{file.person.id}").status_code == 404
    portfolio = client.get("/portefeuille").get_data(as_text=True)
    assert "Dupont-Lajoie" not in portfolio and "anonymisée" not in portfolio and "Voisin" in portfolio
    assert "anonymisée" not in client.get("/priorites").get_data(as_text=True)
