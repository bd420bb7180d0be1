"""A desk with staff users and cases put there by the real queue (scripted reader, real mail).

Building it (registry, scrypt hashes, mail through the Maildir poller, the reading sandbox) takes a
few seconds, so tests build it once per module and copy the data folder for every test.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
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
from tests.support.desk_cases import mail_in, misread_scan, scan_mail
from tests.support.readers import scripted_document

PASSWORD = "granska-noga-varje-dag"
REVIEWER = "rut@kundtjanst.se"
ADMIN = "adam@kundtjanst.se"
PERSON = "anna@siffrorna.se"  # a bureau administrator from the portal: no desk access
HOSTILE_SUBJECT = "<script>alert('x')</script> Blankett"


@dataclass(frozen=True)
class Cases:
    review: int  # the scan with a misread subscription number (low confidence)
    rejected: int  # the machine rejected it: company signature missing
    html_mail: int  # a case whose mail has a hostile subject and an HTML-only body


def html_mail(document: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Bo Bokare <bo@example.se>"
    msg["To"] = "kopplingar@fortnox.se"
    msg["Subject"] = HOSTILE_SUBJECT
    msg["Message-ID"] = make_msgid(idstring="html", domain="example.se")
    msg.set_content("<p onclick='x()'>Hej <b>här</b> är blanketten</p>", subtype="html")
    msg.add_attachment(
        document, maintype="application", subtype="pdf", filename="skannad blankett.pdf"
    )
    return msg.as_bytes()


def build_desk(home: Path, **settings: object) -> tuple[App, Cases]:
    app = make_app(home, public_url="http://testserver", **settings)
    staff.add(app.db, REVIEWER, name="Rut Granskare", role="reviewer", password=PASSWORD)
    staff.add(app.db, ADMIN, name="Adam Admin", role="admin", password=PASSWORD)
    accounts.set_password(app.db, PERSON, PASSWORD)
    mail_in(
        app,
        scan_mail(misread_scan(subscription_number=("1048218", 0.6)), "review"),
        scan_mail(scripted_document([form(company_signed=False)]), "rejected", "osignerad.pdf"),
        html_mail(scripted_document([form(subscription_number="1048299", conf=0.5)])),
    )
    with app.db.transaction() as session:
        rows = {r.file_name: (r.id, r.status) for r in session.scalars(select(CaseRow))}
    assert rows["blankett.pdf"][1] == "review", rows
    assert rows["osignerad.pdf"][1] == "rejected", rows
    return app, Cases(
        rows["blankett.pdf"][0], rows["osignerad.pdf"][0], rows["skannad blankett.pdf"][0]
    )


def copy_desk(template: Path, home: Path, **settings: object) -> App:
    shutil.copytree(template, home)
    from kopplingar.bootstrap import build
    from kopplingar.config import Settings

    return build(
        Settings(
            home=home,
            public_url="http://testserver",
            reader="tests.support.readers:scripted",
            **settings,  # type: ignore[arg-type]
        )
    )


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


def status_of(app: App, case_id: int) -> str:
    with app.db.transaction() as session:
        case = session.get(CaseRow, case_id)
        assert case is not None
        return case.status
