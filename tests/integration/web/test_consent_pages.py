"""Consent pages through the real FastAPI app (in-process HTTP client)."""

import re
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kopplingar.bootstrap import build
from kopplingar.config import Settings
from kopplingar.domain.model import OperationKind
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.services.consent import request_consent
from kopplingar.services.registry import load_registry
from kopplingar.validation.registry_file import parse_registry
from kopplingar.web.app import create_app

REGISTRY = Path(__file__).parents[3] / "samples" / "registry.json"


@pytest.fixture
def app(tmp_path: Path):  # type: ignore[no-untyped-def]
    application = build(Settings(home=tmp_path, public_url="http://testserver"))
    load_registry(application.db, parse_registry(REGISTRY.read_bytes()))
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(app)) as test_client:
        yield test_client


def outbox(app) -> list[EmailMessage]:  # type: ignore[no-untyped-def]
    return [
        message_from_bytes(p.read_bytes(), policy=default)  # type: ignore[misc]
        for p in sorted(app.settings.outbox_dir.glob("*.eml"))
    ]


def send_request(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    request_consent(
        app.db,
        OperationKind.CONNECT,
        bureau_org=OrgNumber.parse("556677-8899"),
        client_org="559123-4561",
        by_email="anna@siffrorna.se",
        public_url=app.settings.public_url,
    )
    app.deliver_mail()
    links = {}
    for message in outbox(app):
        body = message.get_content()  # type: ignore[attr-defined]
        links[message["To"]] = re.search(r"http://testserver(/consent/\S+)", body).group(1)  # type: ignore[union-attr]
    return links


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_get_shows_without_changing_and_post_accepts(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    links = send_request(app)
    page = client.get(links["david@bageriet.se"])
    assert page.status_code == 200
    assert "Siffrorna Redovisning AB" in page.text and "Godkänn sammankoppling" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    again = client.get(links["david@bageriet.se"])
    assert "Godkänn sammankoppling" in again.text  # still pending after two GETs

    done = client.post(
        links["david@bageriet.se"] + "/accept",
        data={"csrf_token": csrf_of(again.text)},
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert "Godkänd av david@bageriet.se" in done.text

    # The other administrator later sees who accepted, with no button.
    other = client.get(links["eva@bageriet.se"])
    assert "Godkänd av david@bageriet.se" in other.text
    assert "<button" not in other.text
    confirmations = [m for m in outbox(app) if m["Subject"].startswith("Bekräftelse")]
    assert len(confirmations) == 1


def test_post_without_a_valid_csrf_token_changes_nothing(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    links = send_request(app)
    client.get(links["david@bageriet.se"])
    for data in ({}, {"csrf_token": "123.abc"}, {"csrf_token": "x" * 500}):
        refused = client.post(links["david@bageriet.se"] + "/accept", data=data)
        assert refused.status_code == 403
    # A token valid for another cookie is refused too.
    fresh = TestClient(create_app(app))
    token = csrf_of(fresh.get(links["eva@bageriet.se"]).text)
    assert (
        client.post(links["david@bageriet.se"] + "/accept", data={"csrf_token": token}).status_code
        == 403
    )
    assert "Godkänn sammankoppling" in client.get(links["david@bageriet.se"]).text


def test_unknown_link_is_a_clear_404(client: TestClient) -> None:
    page = client.get("/consent/not-a-real-token")
    assert page.status_code == 404
    assert "Länken fungerar inte" in page.text


def test_second_accept_gets_409_naming_the_first(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    links = send_request(app)
    token = csrf_of(client.get(links["david@bageriet.se"]).text)
    client.post(links["david@bageriet.se"] + "/accept", data={"csrf_token": token})
    late = client.post(links["eva@bageriet.se"] + "/accept", data={"csrf_token": token})
    assert late.status_code == 409
    assert "david@bageriet.se" in late.text
