"""Every action of the bureau and client pages, refused to everyone but the right administrator.

The refused attempts carry a valid CSRF token of their own session, so it is the role and
organisation check on the server that refuses them; afterwards the bureau's administrator does the
very same actions, which proves each attempt would have changed something.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from kopplingar.bootstrap import App
from kopplingar.storage.registry_tables import ConsentRequestRow
from tests.integration.web.portal_helpers import (
    BAGERIET,
    BUREAU,
    CAFE,
    OTHER_BUREAU,
    SNICKERI,
    VERKSTAN,
    client_of,
    csrf_of,
    make_app,
    sign_in,
    snapshot,
)

BUREAU_PAGES = ["clients", "activation", "connect", "requests"]


@pytest.fixture
def app(tmp_path: Path) -> App:
    return make_app(tmp_path)


def verkstan_request(app: App) -> int:
    with app.db.transaction() as session:
        return session.scalars(
            select(ConsentRequestRow.id).where(
                ConsentRequestRow.company_org_number == VERKSTAN.replace("-", "")
            )
        ).one()


def actions(app: App) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"/bureau/{BUREAU}/connect", {"company": BAGERIET}),
        (f"/bureau/{BUREAU}/clients/{SNICKERI}/disconnect", {}),
        (f"/bureau/{BUREAU}/requests/{verkstan_request(app)}/resend", {}),
        (
            f"/bureau/{BUREAU}/activation/{CAFE}",
            {"consultant": "bertil@siffrorna.se", "perm": "bertil@siffrorna.se|bookkeeping"},
        ),
    ]


PREFILLED = f"/bureau/{BUREAU}/forms/disconnect.pdf"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("cecilia@storbyran.se", 403),  # systemadministratör of another bureau
        ("bertil@siffrorna.se", 403),  # the bureau's own consultant, not administrator
        ("david@bageriet.se", 403),  # a client's administrator, no role at the bureau
        (None, 401),  # signed out
    ],
)
def test_every_action_is_refused_to_the_wrong_people(
    app: App, who: str | None, status: int
) -> None:
    client = client_of(app)
    token = sign_in(client, who) if who else csrf_of(client.get("/login").text)
    before = snapshot(app)
    for path, data in actions(app):
        answer = client.post(path, data={**data, "csrf_token": token})
        assert answer.status_code == status, (who, path, answer.text[:300])
        assert "Det gick inte" in answer.text
    answer = client.post(PREFILLED, data={"company": SNICKERI, "csrf_token": token})
    assert answer.status_code == status
    assert snapshot(app) == before


def test_the_bureau_administrator_may_do_every_action(app: App) -> None:
    client = client_of(app)
    token = sign_in(client, "anna@siffrorna.se")
    before = snapshot(app)
    for path, data in actions(app):
        answer = client.post(path, data={**data, "csrf_token": token})
        assert answer.status_code == 303, (path, answer.text[:500])
    after = snapshot(app)
    assert after["requests"] != before["requests"] and after["connections"] != before["connections"]
    assert client.get(PREFILLED, params={"company": SNICKERI}).status_code == 405  # never on GET
    pdf = client.post(PREFILLED, data={"company": SNICKERI, "csrf_token": token})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        client.post(PREFILLED, data={"company": SNICKERI, "csrf_token": "1.bad"}).status_code == 403
    )


def test_an_administrator_of_one_bureau_may_not_act_for_another(app: App) -> None:
    client = client_of(app)
    token = sign_in(client, "anna@siffrorna.se")
    before = snapshot(app)
    for page in BUREAU_PAGES:
        assert client.get(f"/bureau/{OTHER_BUREAU}/{page}").status_code == 403
    answer = client.post(
        f"/bureau/{OTHER_BUREAU}/connect", data={"company": BAGERIET, "csrf_token": token}
    )
    assert answer.status_code == 403
    assert client.get(f"/company/{BAGERIET}/bureaus").status_code == 403
    assert snapshot(app) == before


def test_actions_need_the_sessions_own_csrf_token(app: App) -> None:
    other = client_of(app)
    foreign = sign_in(other, "anna@siffrorna.se")  # valid, but for another session
    client = client_of(app)
    sign_in(client, "anna@siffrorna.se")
    before = snapshot(app)
    for path, data in actions(app):
        for token in ("", "123.abc", foreign, "x" * 500):
            assert client.post(path, data={**data, "csrf_token": token}).status_code == 403
    assert snapshot(app) == before


def test_signed_out_visitors_are_sent_to_sign_in(app: App) -> None:
    client = client_of(app)
    for path in [
        "/portal",
        *[f"/bureau/{BUREAU}/{page}" for page in BUREAU_PAGES],
        f"/bureau/{BUREAU}/clients/{SNICKERI}/disconnect",
        f"/company/{BAGERIET}/bureaus",
    ]:
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")


def test_consultants_see_their_bureau_without_buttons(app: App) -> None:
    client = client_of(app)
    sign_in(client, "bertil@siffrorna.se")
    clients = client.get(f"/bureau/{BUREAU}/clients")
    assert clients.status_code == 200 and "Snickeri Norrland AB" in clients.text
    assert (
        "Koppla bort<" not in clients.text and "Bara byråns systemadministratörer" in clients.text
    )
    activation = client.get(f"/bureau/{BUREAU}/activation")
    assert "Kaféet på Hörnet AB" in activation.text and 'name="consultant"' not in activation.text
    requests = client.get(f"/bureau/{BUREAU}/requests")
    assert "Verkstan i Väst AB" in requests.text and "Skicka igen" not in requests.text
    search = client.get(f"/bureau/{BUREAU}/connect", params={"q": BAGERIET})
    assert "Bageriet i Byn AB" not in search.text and "Skicka förfrågan" not in search.text
    assert client.get(f"/bureau/{BUREAU}/clients/{SNICKERI}/disconnect").status_code == 403
    assert client.get(f"/bureau/{OTHER_BUREAU}/clients").status_code == 403


def test_a_client_administrator_sees_only_their_company(app: App) -> None:
    client = client_of(app)
    sign_in(client, "david@bageriet.se")
    assert client.get(f"/company/{BAGERIET}/bureaus").status_code == 200
    assert client.get(f"/company/{SNICKERI}/bureaus").status_code == 403
    assert client.get(f"/bureau/{BUREAU}/clients").status_code == 403
