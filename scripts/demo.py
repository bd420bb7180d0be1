#!/usr/bin/env python3
"""The demo, on embedded defaults: the paper route end to end, then the digital route.

1. The committed samples (scans, photos, faxes, a digital PDF, defective forms, a letter) arrive
   as mails in the local Maildir; the poller stores them; workers read, validate and decide; the
   summary shows what was applied, rejected (with a reply to the sender) or left for review.
2. A bureau administrator connects and disconnects a client with emailed consent links.

It runs in a fresh data folder every time (``$KOPPLINGAR_HOME``, default ``var/demo``).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections import Counter
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import make_msgid
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import select  # noqa: E402

from kopplingar.bootstrap import App, build  # noqa: E402
from kopplingar.config import Settings  # noqa: E402
from kopplingar.domain.model import OperationKind  # noqa: E402
from kopplingar.domain.orgnr import OrgNumber  # noqa: E402
from kopplingar.forms.simulator import SAMPLE_SECRET  # noqa: E402
from kopplingar.intake.maildir import deliver  # noqa: E402
from kopplingar.intake.wiring import build_poller  # noqa: E402
from kopplingar.queue.cases import cases_from_ready_mails  # noqa: E402
from kopplingar.services import connections, consent, registry  # noqa: E402
from kopplingar.storage.case_tables import CaseRow  # noqa: E402
from kopplingar.validation.reasons import EXPLANATIONS, Code  # noqa: E402
from kopplingar.validation.registry_file import parse_registry  # noqa: E402

console = Console()
BUREAU = OrgNumber.parse("556677-8899")
STATUS_SV = {
    "applied": "genomförd",
    "rejected": "avvisad",
    "review": "granskas",
    "received": "väntar",
}
TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".png": "image/png", ".tif": "image/tiff"}


def sample_mail(path: Path) -> bytes:
    message = EmailMessage()
    message["From"] = "Ekonomi <ekonomi@exempelbyra.se>"
    message["To"] = "kopplingar@fortnox.se"
    message["Subject"] = f"Blankett {path.stem}"
    message["Message-ID"] = make_msgid(idstring=path.stem[:2], domain="exempelbyra.se")
    message.set_content("Hej! Här kommer en inskannad blankett.")
    maintype, subtype = TYPES[path.suffix].split("/")
    message.add_attachment(
        path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
    )
    return message.as_bytes()


def paper_route(app: App) -> None:
    console.rule("[bold]1. Pappersvägen: inskannade blanketter via e-post")
    samples = sorted(
        p for p in (ROOT / "samples").iterdir() if re.match(r"\d\d-", p.name) and p.suffix in TYPES
    )
    for path in samples:
        deliver(app.settings.resolved_maildir, sample_mail(path))
    poller = build_poller(app.settings)
    poller.open()
    summary = poller.poll_once()
    console.print(
        f"{len(samples)} e-brev levererade till {app.settings.resolved_maildir}; posthämtningen lagrade {summary.stored}."
    )
    created = cases_from_ready_mails(app.db, options=app.settle_options(), limit=1000)
    with app.reader_process() as reader, Progress(console=console) as progress:
        task = progress.add_task("Läser och bedömer blanketter", total=created)
        worker = app.worker(reader)
        while worker.run_once():
            progress.update(task, completed=_settled_count(app))
    app.deliver_mail()
    with app.db.transaction() as session:
        rows = list(session.scalars(select(CaseRow).order_by(CaseRow.id)).all())
    table = Table(title="Ärenden")
    for column in ("Ärende", "Fil", "Status", "Åtgärd", "Skäl"):
        table.add_column(column)
    for row in rows:
        reasons = "; ".join(_reason_text(r["code"]) for r in row.reasons or [])
        table.add_row(
            str(row.id),
            row.file_name or "–",
            STATUS_SV.get(row.status, row.status),
            row.operation or "–",
            reasons,
        )
    console.print(table)
    counts = Counter(row.status for row in rows)
    console.print(
        f"Genomförda: {counts['applied']}, avvisade: {counts['rejected']} (svar till avsändaren), "
        f"till granskning: {counts['review']}."
    )


def _settled_count(app: App) -> int:
    with app.db.transaction() as session:
        return len(session.scalars(select(CaseRow.id).where(CaseRow.status != "received")).all())


def _reason_text(code: str) -> str:
    try:
        return f"{code}: {EXPLANATIONS[Code(code)][0]}"
    except ValueError:
        return code


def links_in_outbox(outbox: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = message_from_bytes(path.read_bytes(), policy=default)
        match = re.search(r"/consent/(\S+)", message.get_content())  # type: ignore[attr-defined]
        if match:
            found[str(message["To"])] = match.group(1)
    return found


def digital_route(app: App) -> None:
    console.rule("[bold]2. Den digitala vägen: förfrågan, godkännande, aktivering, bortkoppling")
    client = "559400-1231"
    sent = consent.request_consent(
        app.db,
        OperationKind.CONNECT,
        bureau_org=BUREAU,
        client_org=client,
        by_email="anna@siffrorna.se",
        public_url=app.settings.public_url,
    )
    app.deliver_mail()
    console.print(
        f"Anna (byråns systemadministratör) begär sammankoppling med {sent.company_name}; länk mejlas till {', '.join(sent.recipients)}."
    )
    token = links_in_outbox(app.settings.outbox_dir)["ivar@cykelverkstan.se"]
    console.print(
        f"Ivar öppnar länken: status {consent.show_consent(app.db, token).state.value} (att öppna ändrar ingenting)."
    )
    consent.accept_consent(app.db, token)
    console.print(
        f"Ivar godkänner; senare besök visar: godkänd av {consent.show_consent(app.db, token).accepted_by}."
    )
    connections.activate(
        app.db,
        bureau_org=BUREAU,
        company_org=OrgNumber.parse(client),
        consultant_emails=["bertil@siffrorna.se"],
        permissions=[],
        actor="anna@siffrorna.se",
    )
    console.print(
        "Anna aktiverar klienten med konsulten Bertil: den flyttar från aktiveringslistan till klientlistan."
    )
    consent.request_consent(
        app.db,
        OperationKind.DISCONNECT,
        bureau_org=BUREAU,
        client_org=client,
        by_email="anna@siffrorna.se",
        public_url=app.settings.public_url,
    )
    app.deliver_mail()
    token = links_in_outbox(app.settings.outbox_dir)["ivar@cykelverkstan.se"]
    consent.accept_consent(app.db, token)
    app.deliver_mail()
    console.print("Anna begär bortkoppling; Ivar godkänner; bekräftelser går till Anna och Ivar.")
    lists = connections.client_lists(app.db, BUREAU)
    for key, title in (("activation_list", "Aktiveringslistan"), ("client_list", "Klientlistan")):
        names = ", ".join(f"{e.name} ({e.org_number})" for e in lists[key]) or "tom"
        console.print(f"{title} för Siffrorna Redovisning AB nu: {names}")


def _mail_kind(subject: str) -> str:
    if subject.startswith("Sv:"):
        return "svar till avsändaren om en avvisad blankett"
    if subject.startswith("Bekräftelse"):
        return "bekräftelse till båda parter efter en ändring"
    return "förfrågan med länk till klientens systemadministratör"


def main() -> None:
    home = Path(os.environ.get("KOPPLINGAR_HOME", ROOT / "var" / "demo"))
    shutil.rmtree(home, ignore_errors=True)
    # The samples' prefilled QR codes are signed with the simulator's published demo key.
    app = build(Settings(home=home, secret_key=SecretStr(SAMPLE_SECRET.decode())))
    report = registry.load_registry(
        app.db, parse_registry((ROOT / "samples" / "registry.json").read_bytes())
    )
    console.print(
        f"Demoregistret inläst: {report.bureaus} byråer, {report.companies} företag, {report.people} personer."
    )
    paper_route(app)
    digital_route(app)
    mails = sorted(app.settings.outbox_dir.glob("*.eml"))
    purposes = Counter(
        _mail_kind(str(message_from_bytes(p.read_bytes(), policy=default)["Subject"]))
        for p in mails
    )
    console.rule("[bold]Utgående e-post")
    console.print(f"Utgående e-post ({len(mails)} st) ligger i {app.settings.outbox_dir}")
    for subject, count in purposes.most_common():
        console.print(f"  • {count} × {subject}")
    console.print(
        f"\nGranskningsdesken (/desk): skapa en användare med\n"
        f"  echo 'ett-långt-lösenord' | KOPPLINGAR_HOME={home} .venv/bin/kopplingar staff add "
        f"rut@fortnox.se --name Rut --role reviewer --password-stdin"
    )
    console.print(
        f"Starta sidorna: KOPPLINGAR_HOME={home} .venv/bin/kopplingar web\n"
        f"  → {app.settings.public_url}/  (ärenden: .venv/bin/kopplingar cases; review: .venv/bin/kopplingar review list)"
    )


if __name__ == "__main__":
    main()
