#!/usr/bin/env python3
"""The demo: the digital route end to end on the demo registry, with embedded defaults.

Runs in a fresh data folder (``$KOPPLINGAR_HOME``, default ``var/demo``) every time, so it can be
run again and again. Later stages of the project add the paper route (samples/ through the pipeline).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kopplingar.bootstrap import build  # noqa: E402
from kopplingar.config import Settings  # noqa: E402
from kopplingar.domain.model import OperationKind  # noqa: E402
from kopplingar.domain.orgnr import OrgNumber  # noqa: E402
from kopplingar.services import connections, consent, registry  # noqa: E402
from kopplingar.validation.registry_file import parse_registry  # noqa: E402

console = Console()
BUREAU = OrgNumber.parse("556677-8899")


def links_in_outbox(outbox: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = message_from_bytes(path.read_bytes(), policy=default)
        match = re.search(r"/consent/(\S+)", message.get_content())  # type: ignore[attr-defined]
        if match:
            found[str(message["To"])] = match.group(1)
    return found


def show_lists(app_db: object, title: str) -> None:
    lists = connections.client_lists(app_db, BUREAU)  # type: ignore[arg-type]
    table = Table(title=title)
    for column in ("Lista", "Organisationsnummer", "Företag", "Betalar", "Konsulter"):
        table.add_column(column)
    for key, label in (("activation_list", "aktiveringslista"), ("client_list", "klientlista")):
        for entry in lists[key]:
            table.add_row(
                label,
                entry.org_number,
                entry.name,
                entry.payer,
                ", ".join(str(c["email"]) for c in entry.consultants),
            )
    console.print(table)


def main() -> None:
    home = Path(os.environ.get("KOPPLINGAR_HOME", ROOT / "var" / "demo"))
    shutil.rmtree(home, ignore_errors=True)
    app = build(Settings(home=home))
    console.rule("[bold]kopplingar – demo av den digitala vägen")
    report = registry.load_registry(
        app.db, parse_registry((ROOT / "samples" / "registry.json").read_bytes())
    )
    console.print(
        f"Demoregistret inläst: {report.bureaus} byråer, {report.companies} företag, {report.people} personer."
    )
    show_lists(app.db, "Före")

    sent = consent.request_consent(
        app.db,
        OperationKind.CONNECT,
        bureau_org=BUREAU,
        client_org="559123-4561",
        by_email="anna@siffrorna.se",
        public_url=app.settings.public_url,
    )
    app.deliver_mail()
    console.print(
        f"1. Anna (byråns systemadministratör) begär sammankoppling med {sent.company_name}; länkar mejlas till {', '.join(sent.recipients)}."
    )
    links = links_in_outbox(app.settings.outbox_dir)
    view = consent.show_consent(app.db, links["eva@bageriet.se"])
    console.print(f"2. Eva öppnar länken: status {view.state.value} (att öppna ändrar ingenting).")
    consent.accept_consent(app.db, links["eva@bageriet.se"])
    app.deliver_mail()
    later = consent.show_consent(app.db, links["david@bageriet.se"])
    console.print(
        f"3. Eva godkänner. David öppnar sin länk senare och ser: godkänd av {later.accepted_by}."
    )
    connections.activate(
        app.db,
        bureau_org=BUREAU,
        company_org=OrgNumber.parse("559123-4561"),
        consultant_emails=["bertil@siffrorna.se"],
        permissions=[],
        actor="anna@siffrorna.se",
    )
    console.print("4. Anna aktiverar klienten med konsulten Bertil: den flyttar till klientlistan.")

    consent.request_consent(
        app.db,
        OperationKind.DISCONNECT,
        bureau_org=BUREAU,
        client_org="556987-6542",
        by_email="anna@siffrorna.se",
        public_url=app.settings.public_url,
    )
    app.deliver_mail()
    token = links_in_outbox(app.settings.outbox_dir)["fredrik@snickeri.se"]
    _view, applied = consent.accept_consent(app.db, token)
    app.deliver_mail()
    console.print(
        f"5. Bortkoppling av Snickeri Norrland AB godkänd av Fredrik; byrån betalade, så företaget "
        f"är betalningsansvarigt från perioden {applied.billing_from}."
    )
    show_lists(app.db, "Efter")
    mails = sorted(app.settings.outbox_dir.glob("*.eml"))
    console.print(f"Utgående e-post ({len(mails)} st) ligger i {app.settings.outbox_dir}:")
    for path in mails:
        message = message_from_bytes(path.read_bytes(), policy=default)
        console.print(f"  • till {message['To']}: {message['Subject']}")
    console.print(
        f"\nWebbsidorna: KOPPLINGAR_HOME={home} .venv/bin/kopplingar web  → öppna en länk ur e-posten, "
        f"t.ex. {app.settings.public_url}/consent/<token>"
    )


if __name__ == "__main__":
    main()
