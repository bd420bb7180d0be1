"""The embedded Maildir source through the same poller, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

from kopplingar.config import Settings
from kopplingar.intake.maildir import deliver, folder_path
from kopplingar.intake.rawstore import FileRawStore
from kopplingar.intake.wiring import build_poller
from tests.support.intake_checks import report
from tests.support.mails import form_mail, hostile_mails


def test_maildir_flow_duplicates_and_mail_moved_back(tmp_path: Path, database_url: str) -> None:
    settings = Settings(home=tmp_path, database_url=database_url, extract_lease_seconds=0)
    maildir = settings.resolved_maildir
    mails = [form_mail("m1"), form_mail("m2")]
    for raw in [*mails, mails[0]]:  # the same mail delivered twice
        deliver(maildir, raw)
    bomb, _ = hostile_mails()["zip_bomb"]
    deliver(maildir, bomb)
    poller = build_poller(settings)
    poller.open()

    first = poller.poll_once()
    assert (first.stored, first.duplicates, first.ready, first.quarantined) == (3, 1, 2, 1)
    assert os.listdir(maildir / "new") == []
    processed = folder_path(maildir, "Behandlade")
    assert len(os.listdir(processed / "cur")) == 3
    assert len(os.listdir(folder_path(maildir, "Karantän") / "cur")) == 1
    assert folder_path(maildir, "Karantän").name == ".Karant&AOQ-n"  # as Dovecot names it

    # A person moves a processed mail back (same file name): filed again, not handed over again.
    moved_back = sorted(os.listdir(processed / "cur"))[0]
    os.rename(processed / "cur" / moved_back, maildir / "cur" / moved_back)
    second = poller.poll_once()
    assert (second.stored, second.known, second.moved) == (0, 1, 1)

    result = report(poller.ledger.engine, FileRawStore(tmp_path / "mail" / "raw"), [*mails, bomb])
    assert (result.lost, result.doubled, result.recorded) == (0, 0, 3)
