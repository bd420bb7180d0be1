"""The review desk in a real browser: Debian's Chromium (headless) against a real server.

A scanned connect form comes in by mail; the (scripted) reader misreads the subscription number at
low confidence, so the real queue puts the case before a person. A reviewer added with
``kopplingar staff add`` signs in, opens the case (page image with the field boxes, signature
crops), corrects the number and approves: the connect operation is applied under ``case:<id>``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from kopplingar.storage.case_tables import CaseRow
from kopplingar.storage.registry_tables import ConnectionRow, OperationRow
from tests.integration.queue.helpers import make_app
from tests.support.browser import chromium, cli
from tests.support.browser import screenshot as shoot
from tests.support.desk_cases import mail_in, misread_scan, scan_mail
from tests.support.ports import free_port, wait_for_port

ROOT = Path(__file__).parents[2]
PASSWORD = "granska-noga-varje-dag"
REVIEWER = "rut@kundtjanst.se"


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def screenshot(page: Page, folder: Path, name: str) -> None:
    shoot(page, folder, name, "DESK_SCREENSHOTS")


def test_a_reviewer_corrects_a_misread_number_and_approves(
    browser: Browser, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    app = make_app(home)  # the demo registry, the scripted reader
    mail_in(app, scan_mail(misread_scan(subscription_number=("1048218", 0.6)), "desk-e2e"))
    with app.db.transaction() as session:
        case = session.scalars(select(CaseRow)).one()
        case_id, status, reasons = case.id, case.status, [r["code"] for r in case.reasons]
    assert status == "review" and "low_confidence" in reasons

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KOPPLINGAR_HOME": str(home), "KOPPLINGAR_PUBLIC_URL": base}
    cli(
        env,
        "staff",
        "add",
        REVIEWER,
        "--name",
        "Rut Granskare",
        "--role",
        "reviewer",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "kopplingar.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=30)
        context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
        page = context.new_page()

        # The desk needs a staff session: the browser is sent to the desk's sign-in page first.
        page.goto(f"{base}/desk/cases")
        expect(page.get_by_role("heading", name="Granskningsdesken")).to_be_visible()
        page.get_by_label("E-postadress").fill(REVIEWER)
        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_role("button", name="Logga in").click()

        # The queue: one case to review, with its reason.
        expect(page.get_by_role("heading", name="Ärenden")).to_be_visible()
        expect(page.get_by_role("link", name="Att granska 1")).to_be_visible()
        expect(page.locator("ul.cases")).to_contain_text("Delar av blanketten gick inte att läsa")
        screenshot(page, tmp_path, "desk-queue")

        # The case: the page image (rendered in the sandbox), boxes drawn, the doubtful one marked.
        with page.expect_response(lambda r: r.url.endswith("/page.png")) as image:
            page.get_by_role("link", name=f"Ärende {case_id}").click()
        assert image.value.status == 200
        assert image.value.headers["content-type"] == "image/png"
        expect(
            page.get_by_role("heading", name=f"Ärende {case_id}: Sammankoppling")
        ).to_be_visible()
        expect(page.locator('polygon.box.low[data-field="subscription_number"]')).to_have_count(1)
        expect(page.locator("polygon.box")).to_have_count(11)
        expect(page.locator("figure.crop svg")).to_have_count(2)
        number = page.get_by_label("Abonnemangsnummer")
        expect(number).to_have_value("1048218")
        expect(page.locator("#conf-subscription_number")).to_contain_text("säkerhet 60 %")
        screenshot(page, tmp_path, "desk-case")
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, tmp_path, "desk-case-phone")
        page.set_viewport_size({"width": 1280, "height": 900})

        # Correct the misread number and approve.
        number.fill("1048213")
        page.get_by_role("button", name="Godkänn och genomför").click()
        expect(page.get_by_role("status")).to_contain_text("godkänt och åtgärden genomförd")
        expect(page.locator(".facts")).to_contain_text("Genomförda")
        expect(page.locator("table.history")).to_contain_text(REVIEWER)
        screenshot(page, tmp_path, "desk-approved")
        context.close()
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()

    # The operation was applied, once, under the case's key, with the reviewer's correction.
    with app.db.transaction() as session:
        [operation] = session.scalars(select(OperationRow)).all()
        assert operation.key == f"case:{case_id}" and operation.route == "paper"
        case = session.get(CaseRow, case_id)
        assert case is not None and case.status == "applied"
        assert case.corrections == {"subscription_number": "1048213"}
        connection = session.scalars(
            select(ConnectionRow).where(ConnectionRow.company_org_number == "5591234561")
        ).one()
        assert connection.bureau_org_number == "5566778899"
