"""KOPPLINGAR_STORE=database: bytes every host can read, raw mail committed with its record."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kopplingar.config import Settings
from kopplingar.intake.maildir import deliver
from kopplingar.intake.rawstore import sha256_hex
from kopplingar.intake.wiring import build_poller
from kopplingar.storage.blob_tables import BlobRow
from kopplingar.storage.blobs import DatabaseRawStore
from kopplingar.storage.case_tables import CaseRow
from kopplingar.storage.database import Database
from kopplingar.storage.mail_tables import MailRow
from kopplingar.storage.registry_tables import OperationRow
from tests.integration.queue.helpers import form, make_app
from tests.support.intake_checks import report
from tests.support.mails import form_mail
from tests.support.readers import scripted_document

SRC = str(Path(__file__).resolve().parents[3] / "src")


def test_put_get_idempotent_and_damage_detected(database_url: str) -> None:
    db = Database(database_url)
    store = DatabaseRawStore(db.engine)
    data = os.urandom(300_000) + b"\x00\xff"
    key = store.put(data)
    assert key == sha256_hex(data) and store.put(data) == key
    assert store.get(key) == data
    with Session(db.engine) as session:
        assert session.scalar(select(func.count()).select_from(BlobRow)) == 1
    with pytest.raises(KeyError):
        store.get(sha256_hex(b"never stored"))
    with pytest.raises(KeyError):
        store.get("../../etc/passwd")
    with Session(db.engine) as session, session.begin():
        session.execute(update(BlobRow).where(BlobRow.sha256 == key).values(data=b"tampered"))
    with pytest.raises(KeyError, match="damaged"):
        store.get(key)


def test_put_in_rolls_back_with_the_callers_transaction(database_url: str) -> None:
    db = Database(database_url)
    store = DatabaseRawStore(db.engine)
    with Session(db.engine) as session:
        session.begin()
        key = store.put_in(session, b"raw mail that never committed")
        session.rollback()
    with pytest.raises(KeyError):
        store.get(key)
    with Session(db.engine) as session, session.begin():
        key = store.put_in(session, b"committed")
        store.put_in(session, b"committed")  # twice in one transaction: no conflict
    assert store.get(key) == b"committed"


def test_maildir_intake_with_the_database_store(tmp_path: Path, database_url: str) -> None:
    settings = Settings(home=tmp_path, database_url=database_url, store="database")
    mails = [form_mail("db1"), form_mail("db2")]
    for raw in [*mails, mails[0]]:
        deliver(settings.resolved_maildir, raw)
    poller = build_poller(settings)
    poller.open()
    summary = poller.poll_once()
    assert (summary.stored, summary.duplicates, summary.ready) == (2, 1, 2)
    assert not (tmp_path / "mail").exists()  # nothing in the data folder: all in the database
    result = report(poller.ledger.engine, DatabaseRawStore(poller.ledger.engine), mails)
    assert (result.lost, result.doubled, result.documents) == (0, 0, 2)
    with Session(poller.ledger.engine) as session:
        # two raw mails and their two attachments
        assert session.scalar(select(func.count()).select_from(BlobRow)) == 4


def _poll_once(env: dict[str, str], fault: str | None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "PYTHONPATH": SRC}
    full.pop("KOPPLINGAR_FAULT_AFTER", None)
    if fault:
        full["KOPPLINGAR_FAULT_AFTER"] = fault
    return subprocess.run(
        [sys.executable, "-m", "kopplingar.cli", "poll", "--once", "--json"],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("step", ["stored", "committed"])
def test_killed_poller_leaves_no_bytes_without_a_record(
    tmp_path: Path, database_url: str, step: str
) -> None:
    """kill -9 before the commit: neither row nor bytes; after it: both. Then a restart finishes."""
    env = {
        "KOPPLINGAR_HOME": str(tmp_path),
        "KOPPLINGAR_DATABASE_URL": database_url,
        "KOPPLINGAR_STORE": "database",
        "KOPPLINGAR_EXTRACT_LEASE_SECONDS": "0",
    }
    mail = form_mail(f"crash-{step}")
    deliver(tmp_path / "maildir", mail)
    crashed = _poll_once(env, fault=step)
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    db = Database(database_url)
    with Session(db.engine) as session:
        mails = session.scalar(select(func.count()).select_from(MailRow))
        blobs = set(session.scalars(select(BlobRow.sha256)))
    if step == "stored":
        assert (mails, blobs) == (0, set())
    else:
        assert (mails, blobs) == (1, {sha256_hex(mail)})
    restarted = _poll_once(env, fault=None)
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    result = report(db.engine, DatabaseRawStore(db.engine), [mail])
    assert (result.lost, result.doubled, result.states) == (0, 0, {"ready": 1})


def _run_worker(app) -> None:  # type: ignore[no-untyped-def]
    with app.reader_process() as reader:
        worker = app.worker(reader)
        while worker.run_once():
            pass


@pytest.mark.parametrize("store", ["database", "file"])
def test_a_worker_on_another_host_reads_what_the_first_stored(
    tmp_path: Path, database_url: str, store: str
) -> None:
    """Host A polls; host B (its own empty data folder, the same database) works the case.

    With the file store host B cannot see host A's files: the case goes to a person as
    unreadable, which is why several machines need ``KOPPLINGAR_STORE=database``.
    """
    host_a = make_app(tmp_path / "host-a", database_url, store=store)
    document = scripted_document([form()])
    deliver(
        host_a.settings.resolved_maildir,
        form_mail("shared", attachments=[(document, "application/pdf", "blankett.pdf")]),
    )
    poller = build_poller(host_a.settings)
    poller.open()
    assert poller.poll_once().ready == 1

    host_b = make_app(tmp_path / "host-b", database_url, store=store)
    _run_worker(host_b)
    with host_b.db.transaction() as session:
        [case] = session.scalars(select(CaseRow)).all()
        operations = session.scalar(select(func.count()).select_from(OperationRow))
    if store == "database":
        assert (case.status, case.operation, operations) == ("applied", "connect", 1)
        assert host_b.documents.get(case.storage_key or "") == document
        assert not (tmp_path / "host-b" / "mail").exists()
    else:
        assert (case.status, operations) == ("review", 0)
        assert [r["code"] for r in case.reasons] == ["unreadable"]
