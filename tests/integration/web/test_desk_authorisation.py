"""Who may do what on the review desk: signed out, portal people, reviewers, admins; CSRF; GETs."""

from __future__ import annotations

from kopplingar.bootstrap import App
from kopplingar.services import staff
from tests.integration.web.desk_helpers import (
    ADMIN,
    PASSWORD,
    PERSON,
    REVIEWER,
    Cases,
    client_of,
    desk_sign_in,
    state,
    status_of,
)
from tests.integration.web.portal_helpers import sign_in


def pages(cases: Cases) -> list[str]:
    c = cases.review
    return [
        "/desk/cases",
        "/desk/cases?status=rejected&reason=missing_company_signature",
        f"/desk/cases/{c}",
        f"/desk/cases/{c}/page.png",
        f"/desk/cases/{c}/mail",
        f"/desk/cases/{c}/reject?code=unknown_subscription_number",
        f"/desk/cases/{cases.rejected}",
        "/desk/staff",
    ]


def actions(cases: Cases) -> list[tuple[str, dict[str, object]]]:
    c, r = cases.review, cases.rejected
    return [
        (f"/desk/cases/{c}/approve", {"field.subscription_number": "1048213"}),
        (f"/desk/cases/{c}/reject", {"code": ["unknown_subscription_number"]}),
        (f"/desk/cases/{c}/rescan", {"note": "suddig"}),
        (f"/desk/cases/{r}/reopen", {}),
        (f"/desk/cases/{r}/reply", {}),
        ("/desk/logout", {}),
    ]


def test_signed_out_every_page_leads_to_the_desk_sign_in_and_every_action_is_refused(
    desk: tuple[App, Cases],
) -> None:
    app, cases = desk
    client = client_of(app)
    before = state(app)
    for path in pages(cases):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/desk/login?next=/desk/"), path
    for path, data in actions(cases):
        assert client.post(path, data={**data, "csrf_token": "x"}).status_code == 401, path
    assert state(app) == before


def test_a_portal_person_has_no_desk_and_a_staff_user_has_no_portal(
    desk: tuple[App, Cases],
) -> None:
    app, cases = desk
    person = client_of(app)
    token = sign_in(person, PERSON, PASSWORD)  # a valid session and a valid CSRF token
    before = state(app)
    for path in pages(cases):
        response = person.get(path)
        assert response.status_code == 303 and "/desk/login" in response.headers["location"]
    for path, data in actions(cases):
        assert person.post(path, data={**data, "csrf_token": token}).status_code == 401, path
    assert state(app) == before
    # A person's password does not open the desk, nor a staff password the portal.
    assert person.post(
        "/desk/login", data={"email": PERSON, "password": PASSWORD, "csrf_token": token}
    ).status_code in (401, 403)
    reviewer = client_of(app)
    desk_sign_in(reviewer, REVIEWER)
    assert reviewer.get("/portal").headers["location"].startswith("/login")


def test_every_action_needs_the_sessions_csrf_token(desk: tuple[App, Cases]) -> None:
    app, cases = desk
    reviewer, other = client_of(app), client_of(app)
    desk_sign_in(reviewer, REVIEWER)
    foreign = desk_sign_in(other, ADMIN)  # valid, but bound to another session
    before = state(app)
    for path, data in actions(cases):
        for token in ("", "1.abc", foreign):
            response = reviewer.post(path, data={**data, "csrf_token": token})
            assert response.status_code == 403, (path, token)
    assert state(app) == before
    assert reviewer.get("/desk/cases").status_code == 200  # still signed in


def test_no_get_changes_anything(desk: tuple[App, Cases]) -> None:
    app, cases = desk
    admin = client_of(app)
    desk_sign_in(admin, ADMIN)
    before = state(app)
    for path in pages(cases):
        assert admin.get(path).status_code in (200, 404), path
    for path, data in actions(cases):  # a GET on an action address only shows (the preview)
        response = admin.get(path, params=data)  # type: ignore[arg-type]
        assert response.status_code in (200, 404, 405), path
        assert "location" not in response.headers
    assert state(app) == before


def test_reviewers_reopen_machine_rejections_only_admins_a_persons(
    desk: tuple[App, Cases],
) -> None:
    app, cases = desk
    reviewer, admin = client_of(app), client_of(app)
    token = desk_sign_in(reviewer, REVIEWER)
    admin_token = desk_sign_in(admin, ADMIN)

    # The machine rejected this one: a reviewer may reopen it.
    assert "Öppna igen för granskning" in reviewer.get(f"/desk/cases/{cases.rejected}").text
    done = reviewer.post(f"/desk/cases/{cases.rejected}/reopen", data={"csrf_token": token})
    assert done.status_code == 303 and status_of(app, cases.rejected) == "review"

    # A reviewer rejects a case: reopening (or approving) it now takes an admin.
    reviewer.post(
        f"/desk/cases/{cases.review}/reject",
        data={"csrf_token": token, "code": "unknown_subscription_number"},
    )
    assert status_of(app, cases.review) == "rejected"
    page = reviewer.get(f"/desk/cases/{cases.review}").text
    assert "Öppna igen för granskning" not in page and "bara en administratör" in page
    for path, data in (
        (f"/desk/cases/{cases.review}/reopen", {}),
        (f"/desk/cases/{cases.review}/approve", {"field.subscription_number": "1048213"}),
    ):
        refused = reviewer.post(path, data={**data, "csrf_token": token})
        assert refused.status_code == 403, path
    assert status_of(app, cases.review) == "rejected"
    reopened = admin.post(f"/desk/cases/{cases.review}/reopen", data={"csrf_token": admin_token})
    assert reopened.status_code == 303 and status_of(app, cases.review) == "review"

    # Only admins see the staff list.
    assert reviewer.get("/desk/staff").status_code == 403
    listing = admin.get("/desk/staff")
    assert listing.status_code == 200 and REVIEWER in listing.text


def test_deactivating_a_staff_user_ends_their_session_and_sign_in(
    desk: tuple[App, Cases],
) -> None:
    app, _ = desk
    reviewer = client_of(app)
    desk_sign_in(reviewer, REVIEWER)
    staff.deactivate(app.db, REVIEWER)
    assert reviewer.get("/desk/cases").status_code == 303
    fresh = client_of(app)
    from tests.integration.web.portal_helpers import csrf_of

    token = csrf_of(fresh.get("/desk/login").text)
    refused = fresh.post(
        "/desk/login", data={"email": REVIEWER, "password": PASSWORD, "csrf_token": token}
    )
    assert refused.status_code == 401


def test_sign_in_goes_only_to_desk_pages(desk: tuple[App, Cases]) -> None:
    app, _ = desk
    client = client_of(app)
    from tests.integration.web.portal_helpers import csrf_of

    token = csrf_of(client.get("/desk/login").text)
    wrong = client.post(
        "/desk/login", data={"email": REVIEWER, "password": "fel-lösenord-här", "csrf_token": token}
    )
    assert wrong.status_code == 401 and "Fel e-postadress eller lösenord" in wrong.text
    done = client.post(
        "/desk/login",
        data={
            "email": REVIEWER,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/desk/",
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/desk/cases"
