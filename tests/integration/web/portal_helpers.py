"""A registry with one case of everything the portal pages act on, and helpers to drive them."""

from __future__ import annotations

import json
import re
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kopplingar.bootstrap import App, build
from kopplingar.config import Settings
from kopplingar.domain.model import OperationKind
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.services import accounts
from kopplingar.services.consent import request_consent
from kopplingar.services.registry import load_registry
from kopplingar.storage.auth_tables import WebSessionRow
from kopplingar.storage.registry_tables import (
    AuditRow,
    ConnectionRow,
    ConsentLinkRow,
    ConsentRequestRow,
    OutgoingMailRow,
)
from kopplingar.validation.registry_file import parse_registry
from kopplingar.web.app import create_app

REGISTRY = Path(__file__).parents[3] / "samples" / "registry.json"
PASSWORD = "rätt-häst-batteri-häftklammer"
BUREAU = "556677-8899"  # Siffrorna: anna is systemadministratör, bertil consultant
OTHER_BUREAU = "556012-3456"  # Storbyrån: cecilia is systemadministratör
CAFE = "559200-1233"  # connected to Siffrorna, waiting for activation
VERKSTAN = "559300-4566"  # a connect request from Siffrorna waits for its administrator
BAGERIET = "559123-4561"  # not connected: Siffrorna may send a request
SNICKERI = "556987-6542"  # active client of Siffrorna (the bureau pays)
KONCERN = "556111-2227"  # multi-company set-up, active client of Storbyrån (form only)
ENSAM = "556333-4449"  # no systemadministratör: only the form

EXTRA = {
    "companies": [
        {
            "org_number": CAFE,
            "name": "Kaféet på Hörnet AB",
            "subscription_number": "1055501",
            "database_id": "870901",
        },
        {
            "org_number": VERKSTAN,
            "name": "Verkstan i Väst AB",
            "subscription_number": "1055502",
            "database_id": "870902",
        },
    ],
    "people": [
        {
            "name": "Kim Kaffe",
            "email": "kim@kafeet.se",
            "roles": [{"org_number": CAFE, "role": "system_administrator"}],
        },
        {
            "name": "Vera Verk",
            "email": "vera@verkstan.se",
            "roles": [{"org_number": VERKSTAN, "role": "system_administrator"}],
        },
    ],
    "connections": [
        {"bureau_org_number": BUREAU, "company_org_number": CAFE, "status": "pending_activation"},
        {"bureau_org_number": OTHER_BUREAU, "company_org_number": KONCERN, "status": "active"},
    ],
}


def make_app(home: Path, public_url: str = "http://testserver") -> App:
    app = build(Settings(home=home, public_url=public_url))
    registry = json.loads(REGISTRY.read_text())
    for section, entries in EXTRA.items():
        registry[section] += entries
    load_registry(app.db, parse_registry(json.dumps(registry).encode()))
    for email in (
        "anna@siffrorna.se",
        "bertil@siffrorna.se",
        "cecilia@storbyran.se",
        "david@bageriet.se",
    ):
        accounts.set_password(app.db, email, PASSWORD)
    request_consent(
        app.db,
        OperationKind.CONNECT,
        bureau_org=OrgNumber.parse(BUREAU),
        client_org=VERKSTAN,
        by_email="anna@siffrorna.se",
        public_url=public_url,
    )
    app.deliver_mail()
    return app


def client_of(app: App) -> TestClient:
    return TestClient(create_app(app), follow_redirects=False)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Signs in and returns a CSRF token valid for the new session."""
    token = csrf_of(client.get("/login").text)
    done = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert done.status_code == 303, done.text
    home = client.get("/portal")
    assert home.status_code == 200
    return csrf_of(home.text)


def outbox(app: App) -> list[EmailMessage]:
    return [
        message_from_bytes(p.read_bytes(), policy=default)  # type: ignore[misc]
        for p in sorted(app.settings.outbox_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    ]


def links_in_outbox(app: App, pattern: str) -> dict[str, str]:
    """The last link matching ``pattern`` (a path regex) mailed to each recipient."""
    links: dict[str, str] = {}
    for message in outbox(app):
        found = re.search(r"https?://[^/\s]+(" + pattern + r")", message.get_content())  # type: ignore[attr-defined]
        if found:
            links[str(message["To"])] = found.group(1)
    return links


def snapshot(app: App) -> dict[str, object]:
    """Everything an action could change, except sessions (signing in is not an action)."""
    with app.db.transaction() as session:
        return {
            "requests": sorted(
                (r.id, r.kind, r.company_org_number, r.closed)
                for r in session.scalars(select(ConsentRequestRow))
            ),
            "links": sorted(session.scalars(select(ConsentLinkRow.token_hash)).all()),
            "connections": sorted(
                (c.company_org_number, c.status, str(c.consultants))
                for c in session.scalars(select(ConnectionRow))
            ),
            "mails": session.scalar(select(func.count(OutgoingMailRow.id))),
            "audit": session.scalar(select(func.count(AuditRow.id))),
        }


def session_count(app: App) -> int:
    with app.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(WebSessionRow)) or 0)
