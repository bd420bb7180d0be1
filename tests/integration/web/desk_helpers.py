"""A desk with staff users and cases in every state, put there by the real queue."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kopplingar.bootstrap import App
from kopplingar.services import accounts, staff
from kopplingar.storage.case_tables import CaseEventRow, CaseRow
from kopplingar.storage.registry_tables import OperationRow, OutgoingMailRow
from kopplingar.web.app import create_app
from tests.integration.queue.helpers import form, make_app
from tests.integration.web.portal_helpers import csrf_of
from tests.support.desk_cases import mail_in, misread_scan
from tests.support.readers import scripted_document

PASSWORD = "granska-noga-varje-dag"
REVIEWER = "rut@kundtjanst.se"
ADMIN = "adam@kundtjanst.se"
PERSON = "anna@siffrorna.se"  # a bureau administrator from the portal: no desk access


def desk_app(home: Path, **settings: object) -> App:
    app = make_app(home, public_url="http://testserver", **settings)
    staff.add(app.db, REVIEWER, name="Rut Granskare", role="reviewer", password=PASSWORD)
    staff.add(app.db, ADMIN, name="Adam Admin", role="admin", password=PASSWORD)
    accounts.set_password(app.db, PERSON, PASSWORD)
    return app


def review_case(app: App) -> int:
    """A mailed scan whose subscription number was misread at low confidence: waits for review."""
    mail_in(app, misread_scan(subscription_number=("1048218", 0.6)), tag="review")
    return case_with(app, "review")


def rejected_case(app: App, tag: str = "rejected") -> int:
    """A form the machine rejected (company signature missing, read with confidence)."""
    mail_in(app, scripted_document([form(company_signed=False)]), tag=tag)
    return case_with(app, "rejected", newest=True)


def case_with(app: App, status: str, *, newest: bool = False) -> int:
    with app.db.transaction() as session:
        order = CaseRow.id.desc() if newest else CaseRow.id
        found = session.scalars(
            select(CaseRow.id).where(CaseRow.status == status).order_by(order)
        ).first()
    assert found is not None, f"no case in {status}"
    return int(found)


def client_of(app: App) -> TestClient:
    return TestClient(create_app(app), follow_redirects=False)


def desk_sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Signs in to the desk and returns a CSRF token valid for the new session."""
    token = csrf_of(client.get("/desk/login").text)
    done = client.post(
        "/desk/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert done.status_code == 303, done.text
    page = client.get("/desk/cases")
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def state(app: App) -> dict[str, object]:
    """Everything a desk action could change."""
    with app.db.transaction() as session:
        return {
            "cases": sorted(
                (c.id, c.status, str(c.corrections), c.replied_at is not None)
                for c in session.scalars(select(CaseRow))
            ),
            "events": session.scalar(select(func.count(CaseEventRow.id))),
            "operations": sorted(session.scalars(select(OperationRow.key)).all()),
            "mails": session.scalar(select(func.count(OutgoingMailRow.id))),
        }


def operation_keys(app: App) -> list[str]:
    with app.db.transaction() as session:
        return sorted(session.scalars(select(OperationRow.key)).all())
