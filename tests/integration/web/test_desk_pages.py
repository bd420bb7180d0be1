"""The review desk's pages and actions against the real queue, rules, operations and outbox."""

from __future__ import annotations

import html
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from sqlalchemy import select

from kopplingar.bootstrap import App
from kopplingar.storage.case_tables import CaseEventRow, CaseRow
from tests.integration.web.desk_helpers import (
    ADMIN,
    HOSTILE_SUBJECT,
    REVIEWER,
    Cases,
    build_desk,
    client_of,
    desk_sign_in,
    state,
    status_of,
)


def outbox(app: App) -> list[EmailMessage]:
    return [
        message_from_bytes(p.read_bytes(), policy=default)  # type: ignore[misc]
        for p in sorted(app.settings.outbox_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    ]


def rejections(app: App) -> list:  # type: ignore[type-arg]
    """Rejection replies to the sender (receipts for cases in review go there too)."""
    return [
        m
        for m in outbox(app)
        if m["To"] == "anna@example.se" and "Vi kunde tyvärr inte" in m.get_content()  # type: ignore[attr-defined]
    ]


def test_queue_counts_and_filters(desk: tuple[App, Cases]) -> None:
    app, cases = desk
    client = client_of(app)
    desk_sign_in(client, REVIEWER)
    page = client.get("/desk/cases").text
    assert 'Att granska <span class="count">2</span>' in page
    assert 'Avvisade <span class="count">1</span>' in page
    assert f"/desk/cases/{cases.review}" in page and f'/desk/cases/{cases.rejected}"' not in page
    rejected = client.get("/desk/cases?status=rejected&reason=missing_company_signature").text
    assert f'/desk/cases/{cases.rejected}"' in rejected
    assert "Företagets underskrift saknas. (1)" in rejected
    none = client.get("/desk/cases?status=rejected&reason=unknown_bureau").text
    assert "Inga ärenden här just nu." in none
    assert client.get("/desk/cases?status=nonsense").status_code == 404
    assert client.get("/desk/cases?reason=nonsense").status_code == 404


def test_case_page_shows_values_confidences_boxes_and_history(desk: tuple[App, Cases]) -> None:
    app, cases = desk
    client = client_of(app)
    desk_sign_in(client, REVIEWER)
    page = client.get(f"/desk/cases/{cases.review}").text
    assert 'name="field.subscription_number" type="text" value="1048218"' in page
    assert "säkerhet 60 % – osäkert" in page
    assert page.count('<polygon class="box') == 11
    assert 'class="box low" points=' in page
    assert page.count('<figure class="crop">') == 2 and "viewBox=" in page
    assert "Abonnemangsnumret finns inte hos oss." in page
    assert "Till granskning" in page and "Mottaget" in page
    # The page image comes from the sandbox and is cached on disk.
    image = client.get(f"/desk/cases/{cases.review}/page.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert list((app.settings.home / "previews").rglob("*.png"))


def test_a_document_that_cannot_be_rendered_has_no_image_and_is_not_tried_again(
    desk: tuple[App, Cases],
) -> None:
    app, cases = desk
    client = client_of(app)
    desk_sign_in(client, REVIEWER)
    page = client.get(f"/desk/cases/{cases.rejected}").text
    assert "fältens rutor ritas inte ut" in page  # the scripted reading has no geometry
    first = client.get(f"/desk/cases/{cases.rejected}/page.png")
    assert first.status_code == 404 and "kan inte visas" in first.text
    assert list((app.settings.home / "previews").rglob("*.failed"))
    assert client.get(f"/desk/cases/{cases.rejected}/page.png").status_code == 404


def test_approve_with_a_correction_applies_the_operation(desk: tuple[App, Cases]) -> None:
    app, cases = desk
    client = client_of(app)
    token = desk_sign_in(client, REVIEWER)
    page = client.get(f"/desk/cases/{cases.review}").text
    fields = {  # what the browser would send: every value, one corrected
        f"field.{name}": value
        for name, value in (
            ("company_name", "Bageriet i Byn AB"),
            ("company_org_number", "559123-4561"),
            ("subscription_number", "1048213"),
        )
    }
    assert "Godkänn och genomför" in page
    done = client.post(f"/desk/cases/{cases.review}/approve", data={**fields, "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"].endswith("done=approved")
    assert f"case:{cases.review}" in state(app)["operations"]  # type: ignore[operator]
    with app.db.transaction() as session:
        case = session.get(CaseRow, cases.review)
        assert case is not None and case.status == "applied"
        assert case.corrections == {"subscription_number": "1048213"}
        actors = session.scalars(
            select(CaseEventRow.actor).where(CaseEventRow.case_id == cases.review)
        ).all()
    assert REVIEWER in actors
    shown = client.get(done.headers["location"]).text
    assert "Ärendet är godkänt och åtgärden genomförd." in shown
    assert "Godkänn och genomför" not in shown  # nothing left to decide
    assert any("Bekräftelse" in str(m["Subject"]) for m in outbox(app))


def test_a_correction_the_registry_contradicts_is_refused_and_kept_in_the_form(
    desk: tuple[App, Cases],
) -> None:
    app, cases = desk
    client = client_of(app)
    token = desk_sign_in(client, REVIEWER)
    before = state(app)
    refused = client.post(
        f"/desk/cases/{cases.review}/approve",
        data={"field.subscription_number": "1048299", "csrf_token": token},
    )
    assert refused.status_code == 409
    assert "kan inte godkännas" in refused.text
    assert 'value="1048299"' in refused.text
    assert state(app) == before


def test_reject_previews_the_reply_then_sends_it(desk: tuple[App, Cases]) -> None:
    app, cases = desk
    client = client_of(app)
    token = desk_sign_in(client, REVIEWER)
    preview = client.get(
        f"/desk/cases/{cases.review}/reject",
        params={"code": ["missing_bureau_signature", "bogus"], "note": "ringde kunden"},
    )
    assert preview.status_code == 200
    text = html.unescape(preview.text)
    assert "Byråns underskrift saknas." in text and "Gör så här:" in text
    assert "Sv: Blankett koppling" in text and "anna@example.se" in text
    assert "bogus" not in text
    assert status_of(app, cases.review) == "review"
    done = client.post(
        f"/desk/cases/{cases.review}/reject",
        data={"csrf_token": token, "code": "missing_bureau_signature", "note": "ringde kunden"},
    )
    assert done.status_code == 303 and status_of(app, cases.review) == "rejected"
    replies = rejections(app)
    assert replies and "Byråns underskrift saknas." in replies[-1].get_content()  # type: ignore[attr-defined]
    history = client.get(f"/desk/cases/{cases.review}").text
    assert "ringde kunden" in history and REVIEWER in history
    # No reasons: nothing happens.
    empty = client.post(f"/desk/cases/{cases.review}/reject", data={"csrf_token": token})
    assert empty.status_code == 409


def test_ask_for_a_new_scan(desk: tuple[App, Cases]) -> None:
    app, cases = desk
    client = client_of(app)
    token = desk_sign_in(client, REVIEWER)
    page = html.unescape(client.get(f"/desk/cases/{cases.review}").text)
    assert "Skanna blanketten igen i minst 200 dpi" in page  # the reply is previewed
    done = client.post(f"/desk/cases/{cases.review}/rescan", data={"csrf_token": token})
    assert done.status_code == 303 and status_of(app, cases.review) == "rejected"
    assert "Skanna blanketten igen" in outbox(app)[-1].get_content()  # type: ignore[attr-defined]


def test_the_machine_was_wrong_reopen_and_approve(desk: tuple[App, Cases]) -> None:
    app, cases = desk
    client = client_of(app)
    token = desk_sign_in(client, REVIEWER)
    reopened = client.post(f"/desk/cases/{cases.rejected}/reopen", data={"csrf_token": token})
    assert reopened.status_code == 303 and status_of(app, cases.rejected) == "review"
    approved = client.post(f"/desk/cases/{cases.rejected}/approve", data={"csrf_token": token})
    assert approved.status_code == 303 and status_of(app, cases.rejected) == "applied"
    assert f"case:{cases.rejected}" in state(app)["operations"]  # type: ignore[operator]


def test_original_mail_is_shown_as_text_never_as_html(desk: tuple[App, Cases]) -> None:
    app, cases = desk
    client = client_of(app)
    desk_sign_in(client, ADMIN)
    page = client.get(f"/desk/cases/{cases.html_mail}/mail")
    assert page.status_code == 200
    assert "<script>" not in page.text and "<b>här</b>" not in page.text
    assert html.escape(HOSTILE_SUBJECT, quote=False) in page.text.replace("&#39;", "'")
    assert "&lt;b&gt;här&lt;/b&gt;" in page.text and "bara HTML" in page.text
    assert "skannad blankett.pdf" in page.text and "application/pdf" in page.text
    plain = client.get(f"/desk/cases/{cases.review}/mail").text
    assert "Hej, här kommer blanketten (review)." in plain and "Message-ID" in plain


def test_held_back_replies_are_sent_by_a_person(tmp_path: Path) -> None:
    app, cases = build_desk(tmp_path / "home", reply_on_reject=False)

    assert not rejections(app)  # receipts for the cases in review may be there; no rejection reply
    client = client_of(app)
    token = desk_sign_in(client, REVIEWER)
    listing = client.get("/desk/cases?status=rejected").text
    assert "Svar ej skickat" in listing
    page = html.unescape(client.get(f"/desk/cases/{cases.rejected}").text)
    assert "Svaret till avsändaren är inte skickat än." in page
    assert "Företagets underskrift saknas." in page
    sent = client.post(f"/desk/cases/{cases.rejected}/reply", data={"csrf_token": token})
    assert sent.status_code == 303
    replies = rejections(app)
    assert len(replies) == 1 and "Företagets underskrift saknas" in replies[0].get_content()  # type: ignore[attr-defined]
    again = client.post(f"/desk/cases/{cases.rejected}/reply", data={"csrf_token": token})
    assert again.status_code == 409 and "redan skickat" in again.text
