"""The digital route in a real browser: Debian's Chromium (headless) against a real server.

A bureau administrator signs in, finds a client by org number and sends a connect request; the
client's administrator opens the emailed link and accepts; the bureau activates the client with a
consultant, sees it in the client list, disconnects it, and the confirmations land in the outbox.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import chromium, cli
from tests.support.browser import screenshot as shoot
from tests.support.ports import free_port, wait_for_port

ROOT = Path(__file__).parents[2]
PASSWORD = "rätt-häst-batteri-häftklammer"
BUREAU = "556677-8899"
CLIENT = "559123-4561"  # Bageriet i Byn AB: administrators david@ and eva@bageriet.se


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    home = tmp_path / "home"
    env = {**os.environ, "KOPPLINGAR_HOME": str(home), "KOPPLINGAR_PUBLIC_URL": base}
    cli(env, "registry", "load", str(ROOT / "samples" / "registry.json"))
    cli(
        env, "users", "set-password", "anna@siffrorna.se", "--password-stdin", stdin=PASSWORD + "\n"
    )
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kopplingar.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=30)
        yield base, home
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def mails(home: Path) -> list[EmailMessage]:
    paths = sorted((home / "outbox").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [message_from_bytes(p.read_bytes(), policy=default) for p in paths]  # type: ignore[misc]


def consent_link(home: Path, to: str, subject_part: str) -> str:
    for message in reversed(mails(home)):
        if message["To"] == to and subject_part in message["Subject"]:
            found = re.search(r"(http://\S+/consent/\S+)", message.get_content())  # type: ignore[attr-defined]
            assert found
            return found.group(1)
    raise AssertionError(f"no mail to {to} about {subject_part!r}")


def accept_as_client(browser: Browser, link: str, button: str) -> None:
    """The client's administrator, in a browser of their own, opens the emailed link."""
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.goto(link)
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_contain_text("Godkänd av david@bageriet.se")
    context.close()


def screenshot(page: Page, folder: Path, name: str) -> None:
    shoot(page, folder, name, "PORTAL_SCREENSHOTS")


def test_bureau_connects_activates_and_disconnects_a_client(
    server: tuple[str, Path], browser: Browser, tmp_path: Path
) -> None:
    base, home = server
    context = browser.new_context(locale="sv-SE", viewport={"width": 1200, "height": 900})
    page = context.new_page()

    # Sign in: the client list needs a session, so the browser is sent to the sign-in page first.
    page.goto(f"{base}/bureau/{BUREAU}/clients")
    expect(page.get_by_role("heading", name="Logga in", exact=True)).to_be_visible()
    page.locator("#email").fill("anna@siffrorna.se")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", name="Klientlista")).to_be_visible()
    expect(page.get_by_role("heading", name="Snickeri Norrland AB")).to_be_visible()

    # Koppla klient: search by org number, see the company, send the request.
    page.get_by_role("link", name="Koppla klient").click()
    page.get_by_label("Organisationsnummer eller databas-id").fill(CLIENT)
    page.get_by_role("button", name="Sök").click()
    expect(page.get_by_role("heading", name="Bageriet i Byn AB")).to_be_visible()
    screenshot(page, tmp_path, "connect-desktop")
    page.get_by_role("button", name="Skicka förfrågan").click()
    expect(page.get_by_role("status")).to_contain_text("Förfrågan är skickad")
    request_row = page.locator("li.row", has_text="Bageriet i Byn AB")
    expect(request_row).to_contain_text("Väntar")

    # The client's administrator accepts through the emailed link.
    accept_as_client(
        browser, consent_link(home, "david@bageriet.se", "koppla ihop"), "Godkänn sammankoppling"
    )
    page.reload()
    expect(page.locator("li.row", has_text="Bageriet i Byn AB")).to_contain_text(
        re.compile(r"Godkänd av David Dahl den \d{4}-\d{2}-\d{2}")
    )

    # Activation list: choose the consultant and their permissions, then Aktivera.
    page.get_by_role("link", name="Aktiveringslista").click()
    row = page.locator("li.row", has_text="Bageriet i Byn AB")
    row.get_by_role("checkbox", name="Bertil Berg").check()
    permissions = row.get_by_role("group", name="Behörigheter för Bertil Berg")
    permissions.get_by_label("Bokföring").check()
    permissions.get_by_label("Rapporter").check()
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, tmp_path, "activation-phone")
    page.set_viewport_size({"width": 1200, "height": 900})
    row.get_by_role("button", name="Aktivera Bageriet i Byn AB").click()

    # The client list now has it, with the consultant and the chosen permissions.
    expect(page.get_by_role("status")).to_contain_text("Klienten är aktiverad")
    client = page.locator("li.row", has_text="Bageriet i Byn AB")
    expect(client).to_contain_text("bertil@siffrorna.se (Bokföring, Rapporter)")
    screenshot(page, tmp_path, "clients-desktop")

    # Koppla bort: confirm, then the client's administrator accepts the emailed link.
    client.get_by_role("link", name="Koppla bort Bageriet i Byn AB").click()
    page.get_by_role("button", name="Skicka förfrågan om bortkoppling").click()
    expect(page.get_by_role("status")).to_contain_text("Förfrågan om bortkoppling är skickad")
    accept_as_client(
        browser, consent_link(home, "david@bageriet.se", "koppla bort"), "Godkänn bortkoppling"
    )
    page.get_by_role("link", name="Klientlista").click()
    expect(page.get_by_role("heading", name="Klientlista")).to_be_visible()
    expect(page.locator("li.row", has_text="Bageriet i Byn AB")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, tmp_path, "clients-phone")

    # Both confirmations went to the bureau's administrator and the client's administrators.
    confirmations = [m for m in mails(home) if m["Subject"].startswith("Bekräftelse")]
    subjects = sorted(m["Subject"] for m in confirmations)
    assert subjects == [
        "Bekräftelse: Bageriet i Byn AB är bortkopplad från Siffrorna Redovisning AB",
        "Bekräftelse: Bageriet i Byn AB är kopplad till Siffrorna Redovisning AB",
    ]
    for message in confirmations:
        recipients = {a.strip() for a in message["To"].split(",")}
        assert {"anna@siffrorna.se", "david@bageriet.se", "eva@bageriet.se"} <= recipients
    context.close()
