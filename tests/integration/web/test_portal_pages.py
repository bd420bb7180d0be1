"""Signing in and out, one-time links, resending requests, the closed digital route, forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from kopplingar.bootstrap import App
from kopplingar.services import accounts
from kopplingar.storage.registry_tables import ConsentRequestRow
from kopplingar.web.sessions import COOKIE
from tests.integration.web.portal_helpers import (
    BAGERIET,
    BUREAU,
    ENSAM,
    KONCERN,
    OTHER_BUREAU,
    PASSWORD,
    VERKSTAN,
    client_of,
    csrf_of,
    links_in_outbox,
    make_app,
    session_count,
    sign_in,
)


@pytest.fixture
def app(tmp_path: Path) -> App:
    return make_app(tmp_path)


def test_password_sign_in_and_sign_out(app: App) -> None:
    client = client_of(app)
    token = csrf_of(client.get("/login").text)
    wrong = client.post(
        "/login", data={"email": "anna@siffrorna.se", "password": "fel", "csrf_token": token}
    )
    assert wrong.status_code == 401 and "Fel e-postadress eller lösenord" in wrong.text
    assert session_count(app) == 0
    evil = client.post(
        "/login",
        data={
            "email": "anna@siffrorna.se",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
    )
    assert evil.status_code == 303 and evil.headers["location"] == "/portal"
    cookie = evil.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    stolen = client.cookies.get(COOKIE)
    home = client.get("/portal")
    assert "Siffrorna Redovisning AB" in home.text
    out = client.post("/logout", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 303 and session_count(app) == 0
    copy = client_of(app)
    copy.cookies.set(COOKIE, str(stolen))
    assert copy.get("/portal").status_code == 303  # the old cookie is worth nothing now


def test_sign_in_fails_without_the_forms_csrf_token(app: App) -> None:
    client = client_of(app)
    client.get("/login")
    answer = client.post("/login", data={"email": "anna@siffrorna.se", "password": PASSWORD})
    assert answer.status_code == 403 and session_count(app) == 0


def test_lockout(app: App) -> None:
    now = datetime.now(UTC)
    for _ in range(accounts.MAX_FAILURES):
        assert accounts.authenticate(app.db, "anna@siffrorna.se", "fel", now=now) is None
    assert accounts.authenticate(app.db, "anna@siffrorna.se", PASSWORD, now=now) is None
    later = now + accounts.LOCK_TIME + timedelta(seconds=1)
    assert accounts.authenticate(app.db, "anna@siffrorna.se", PASSWORD, now=later) is not None


def test_a_new_password_ends_every_session(app: App) -> None:
    client = client_of(app)
    sign_in(client, "anna@siffrorna.se")
    accounts.set_password(app.db, "anna@siffrorna.se", "ett-helt-nytt-lösenord")
    assert client.get("/portal").status_code == 303


def test_one_time_sign_in_link(app: App) -> None:
    client = client_of(app)
    token = csrf_of(client.get("/login").text)
    for email in ("david@bageriet.se", "nobody@example.com"):
        answer = client.post("/login/link", data={"email": email, "csrf_token": token})
        assert answer.status_code == 200 and "Kolla din e-post" in answer.text
    links = links_in_outbox(app, r"/login/link/\S+")
    assert list(links) == ["david@bageriet.se"]
    link = links["david@bageriet.se"]
    visitor = client_of(app)
    for _ in range(2):  # a mail scanner's GET spends nothing
        page = visitor.get(link)
        assert page.status_code == 200 and "Logga in" in page.text
    used = visitor.post(link, data={"csrf_token": csrf_of(page.text)})
    assert used.status_code == 303
    assert "Bageriet i Byn AB" in visitor.get("/portal").text
    again = client_of(app)
    assert again.get(link).status_code == 404
    spent = again.post(link, data={"csrf_token": csrf_of(again.get("/login").text)})
    assert spent.status_code == 404


def test_sign_in_links_expire_after_15_minutes(app: App) -> None:
    now = datetime.now(UTC)
    assert accounts.send_sign_in_link(app.db, "eva@bageriet.se", public_url="http://t", now=now)
    app.deliver_mail()
    token = links_in_outbox(app, r"/login/link/\S+")["eva@bageriet.se"].rsplit("/", 1)[1]
    assert not accounts.sign_in_link_is_valid(app.db, token, now=now + timedelta(minutes=15))
    assert accounts.redeem_sign_in_link(app.db, token, now=now + timedelta(minutes=16)) is None
    assert accounts.redeem_sign_in_link(app.db, token, now=now + timedelta(minutes=14)) is not None


def test_at_most_three_open_sign_in_links_per_person(app: App) -> None:
    sent = [
        accounts.send_sign_in_link(app.db, "eva@bageriet.se", public_url="http://t")
        for _ in range(accounts.MAX_OPEN_LINKS + 2)
    ]
    assert sent == [True] * accounts.MAX_OPEN_LINKS + [False, False]


def test_resend_mails_new_links_and_keeps_the_expiry(app: App) -> None:
    old = links_in_outbox(app, r"/consent/\S+")["vera@verkstan.se"]
    with app.db.transaction() as session:
        row = session.scalars(select(ConsentRequestRow)).one()
        request_id, expires = row.id, row.expires_at
    client = client_of(app)
    token = sign_in(client, "anna@siffrorna.se")
    answer = client.post(
        f"/bureau/{BUREAU}/requests/{request_id}/resend", data={"csrf_token": token}
    )
    assert answer.status_code == 303
    page = client.get(answer.headers["location"])
    assert "skickad igen med nya länkar" in page.text and "Väntar" in page.text
    new = links_in_outbox(app, r"/consent/\S+")["vera@verkstan.se"]
    assert new != old
    assert client_of(app).get(old).status_code == 404
    vera = client_of(app)
    accepted = vera.post(new + "/accept", data={"csrf_token": csrf_of(vera.get(new).text)})
    assert accepted.status_code == 303
    with app.db.transaction() as session:
        assert session.get(ConsentRequestRow, request_id).expires_at == expires  # type: ignore[union-attr]
    listed = client.get(f"/bureau/{BUREAU}/requests").text
    assert "Godkänd av Vera Verk den " + datetime.now(UTC).strftime("%Y-%m-%d") in listed
    late = client.post(f"/bureau/{BUREAU}/requests/{request_id}/resend", data={"csrf_token": token})
    assert late.status_code == 409 and "redan godkänd" in late.text


def test_closed_digital_route_is_explained_with_links_to_the_forms(app: App) -> None:
    cecilia = client_of(app)
    sign_in(cecilia, "cecilia@storbyran.se")
    search = cecilia.get(f"/bureau/{OTHER_BUREAU}/connect", params={"q": BAGERIET}).text
    assert "kan inte koppla klienter digitalt" in search and "Skicka förfrågan" not in search
    assert (
        f'action="/bureau/{OTHER_BUREAU}/forms/connect.pdf"' in search
        and f'name="company" value="{BAGERIET}"' in search
    )
    clients = cecilia.get(f"/bureau/{OTHER_BUREAU}/clients").text
    assert "Koncernbolaget Holding AB" in clients and "Koppla bort går inte digitalt" in clients
    assert (
        f'action="/bureau/{OTHER_BUREAU}/forms/disconnect.pdf"' in clients
        and f'name="company" value="{KONCERN}"' in clients
    )

    anna = client_of(app)
    sign_in(anna, "anna@siffrorna.se")
    multi = anna.get(f"/bureau/{BUREAU}/connect", params={"q": KONCERN}).text
    assert "flerföretagslösning" in multi and "Skicka förfrågan" not in multi
    lonely = anna.get(f"/bureau/{BUREAU}/connect", params={"q": ENSAM}).text
    assert "ingen systemadministratör" in lonely and "/forms/connect.pdf" in lonely
    by_id = anna.get(f"/bureau/{BUREAU}/connect", params={"q": "870311"}).text
    assert "Bageriet i Byn AB" in by_id and "Skicka förfrågan" in by_id
    pending = anna.get(f"/bureau/{BUREAU}/connect", params={"q": VERKSTAN}).text
    assert "väntar redan på godkännande" in pending and "Skicka förfrågan<" not in pending
    unknown = anna.get(f"/bureau/{BUREAU}/connect", params={"q": "999999"}).text
    assert "inget företag med databas-id 999999" in unknown


def test_form_downloads(app: App) -> None:
    from kopplingar.forms import acroform, qrpayload

    client = client_of(app)
    for kind in ("connect", "disconnect"):
        answer = client.get(f"/forms/{kind}.pdf")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.content.startswith(b"%PDF")
    assert client.get("/forms/other.pdf").status_code == 404
    token = sign_in(client, "anna@siffrorna.se")
    prefilled = client.post(
        f"/bureau/{BUREAU}/forms/connect.pdf", data={"company": KONCERN, "csrf_token": token}
    )
    assert prefilled.status_code == 200
    fields = acroform.read_fields(prefilled.content)
    assert fields is not None and fields["bureau_signer_name"] == "Anna Andersson"
    code = acroform.read_form_code(prefilled.content)
    assert code is not None
    payload = qrpayload.decode(code, app.settings.secret_bytes())
    assert payload.kind == "connect" and payload.form_id and payload.form_id.startswith("PC-")
    missing = client.post(
        f"/bureau/{BUREAU}/forms/connect.pdf", data={"company": "559300-4574", "csrf_token": token}
    )
    assert missing.status_code == 404


def test_client_administrator_sees_the_connected_bureaus(app: App) -> None:
    client = client_of(app)
    sign_in(client, "david@bageriet.se")
    home = client.get("/portal").text
    assert f"/company/{BAGERIET}/bureaus" in home
    page = client.get(f"/company/{BAGERIET}/bureaus").text
    assert "inte kopplat till någon byrå" in page
