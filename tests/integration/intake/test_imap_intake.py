"""The intake against a real Dovecot: normal flow, IDLE, dropped links, UIDVALIDITY, no MOVE."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from imapclient import SEEN
from sqlalchemy import select
from sqlalchemy.orm import Session

from kopplingar.intake import handoff
from kopplingar.intake.poller import PassSummary, Poller
from kopplingar.intake.rawstore import FileRawStore
from kopplingar.intake.wiring import build_poller
from kopplingar.storage.mail_tables import MailRow, MailState
from tests.integration.intake.conftest import intake_settings
from tests.support.dovecot import DovecotServer
from tests.support.intake_checks import report
from tests.support.mails import PNG_1PX, form_mail, hostile_mails, pdf_bytes


def _poller(tmp_path: Path, server: DovecotServer, database_url: str, **extra: object) -> Poller:
    return build_poller(intake_settings(tmp_path, server, database_url, **extra))


def _pass(poller: Poller) -> PassSummary:
    poller.open()
    try:
        return poller.poll_once()
    finally:
        poller.source.close()


def _raw_store(tmp_path: Path) -> FileRawStore:
    return FileRawStore(tmp_path / "mail" / "raw")


def test_normal_flow_stores_extracts_and_files_by_outcome(
    tmp_path: Path, dovecot: DovecotServer, database_url: str
) -> None:
    two_forms = form_mail(
        "two",
        attachments=[
            (pdf_bytes("two-a"), "application/pdf", "a.pdf"),
            (PNG_1PX, "application/octet-stream", "scan.bin"),
        ],
    )
    no_form = form_mail("none", attachments=[])
    bomb, _ = hostile_mails()["zip_bomb"]
    mails = [form_mail("one"), two_forms, no_form, bomb]
    dovecot.append_many(mails)

    poller = _poller(tmp_path, dovecot, database_url)
    summary = _pass(poller)

    assert (summary.mails_seen, summary.stored, summary.ready, summary.quarantined) == (4, 4, 3, 1)
    assert summary.moved == 4
    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids("Behandlade")) == 3
    assert len(dovecot.uids("Karantän")) == 1
    with dovecot.client() as client:  # a shared mailbox: fetching must not mark mail read
        client.select_folder("Behandlade", readonly=True)
        flags = client.get_flags(client.search(["ALL"]))
        assert all(SEEN not in f for f in flags.values())
    result = report(poller.ledger.engine, _raw_store(tmp_path), mails)
    assert (result.lost, result.doubled, result.documents) == (0, 0, 3)

    with Session(poller.ledger.engine) as session, session.begin():
        ids = handoff.ready_mail_ids(session)
        taken = [handoff.take_ready_mail(session, mail_id) for mail_id in ids]
        assert sorted(len(t.documents) for t in taken if t) == [0, 1, 2]
        assert handoff.take_ready_mail(session, ids[0]) is None

    again = _pass(poller)
    assert (again.mails_seen, again.stored) == (0, 0)


def test_hostile_mails_are_quarantined_with_reasons(
    tmp_path: Path, dovecot: DovecotServer, database_url: str
) -> None:
    hostile = hostile_mails()
    oversize = form_mail(
        "big", attachments=[(b"%PDF-1.4" + b"x" * 300_000, "application/pdf", "b.pdf")]
    )
    good = form_mail("good")
    dovecot.append_many([raw for raw, _ in hostile.values()] + [oversize, good])

    poller = _poller(tmp_path, dovecot, database_url, max_mail_bytes=200_000)
    summary = _pass(poller)

    assert summary.errors == 0
    assert summary.ready == 1
    assert summary.quarantined == len(hostile) + 1
    with Session(poller.ledger.engine) as session:
        reasons = sorted(r for r in session.scalars(select(MailRow.reason)) if r)
    assert reasons == sorted([reason for _, reason in hostile.values()] + ["oversize"])
    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids("Karantän")) == len(hostile) + 1


def test_idle_delivers_at_once(tmp_path: Path, dovecot: DovecotServer) -> None:
    database_url = f"sqlite:///{tmp_path / 'idle.db'}"
    poller = _poller(tmp_path, dovecot, database_url, poll_interval_seconds=600)
    stop = threading.Event()
    passes: list[PassSummary] = []
    thread = threading.Thread(target=poller.run_forever, args=(stop, passes.append))
    thread.start()
    try:
        _wait(lambda: len(passes) >= 1, 10)
        time.sleep(0.3)
        started = time.monotonic()
        dovecot.append(form_mail("idle"))
        _wait(lambda: _count_state(poller, MailState.READY) == 1, 10)
        latency = time.monotonic() - started
        _wait(lambda: dovecot.uids("INBOX") == [], 10)
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive()
    assert latency < 10  # far below the 600 s backstop: IDLE, not the periodic search, found it


def test_dropped_connection_during_idle_reconnects(tmp_path: Path, dovecot: DovecotServer) -> None:
    database_url = f"sqlite:///{tmp_path / 'drop.db'}"
    poller = _poller(tmp_path, dovecot, database_url, poll_interval_seconds=600)
    stop = threading.Event()
    passes: list[PassSummary] = []
    thread = threading.Thread(target=poller.run_forever, args=(stop, passes.append))
    thread.start()
    try:
        _wait(lambda: len(passes) >= 1, 10)
        time.sleep(0.3)
        dovecot.kick()
        dovecot.append(form_mail("after-drop"))
        _wait(lambda: _count_state(poller, MailState.READY) == 1, 20)
    finally:
        stop.set()
        thread.join(15)
    assert len(passes) >= 2  # the first pass, then a pass after reconnecting


def test_uidvalidity_change_and_mail_moved_back_apply_nothing_twice(
    tmp_path: Path, dovecot: DovecotServer, database_url: str
) -> None:
    mails = [form_mail(f"uv{i}") for i in range(3)]
    dovecot.append_many(mails)
    poller = _poller(tmp_path, dovecot, database_url)
    first = _pass(poller)
    assert first.stored == 3

    # A person moves everything back to the inbox, and the server resets UIDVALIDITY.
    with dovecot.client() as client:
        client.select_folder("Behandlade")
        client.move(client.search(["ALL"]), "INBOX")
    dovecot.set_uidvalidity(4242)

    second = _pass(poller)
    assert (second.mails_seen, second.stored, second.duplicates, second.moved) == (3, 0, 3, 3)
    assert poller.uidvalidity == 4242
    assert dovecot.uids("INBOX") == []
    result = report(poller.ledger.engine, _raw_store(tmp_path), mails)
    assert (result.lost, result.doubled, result.recorded, result.documents) == (0, 0, 3, 3)


def test_server_without_move_uses_copy_and_uid_expunge(
    tmp_path: Path, dovecot_without_move: DovecotServer
) -> None:
    server = dovecot_without_move
    database_url = f"sqlite:///{tmp_path / 'nomove.db'}"
    # A person flagged an unrelated mail \Deleted: a plain EXPUNGE would destroy it.
    server.append(form_mail("persons"))
    with server.client() as client:
        client.select_folder("INBOX")
        persons_uid = client.search(["ALL"])[0]
    mails = [form_mail(f"nm{i}") for i in range(3)]
    server.append_many(mails)
    poller = _poller(tmp_path, server, database_url)
    poller.open()
    assert poller.source.supports_move is False
    with server.client() as client:
        client.select_folder("INBOX")
        client.add_flags([persons_uid], [b"\\Deleted"])
    summary = poller.poll_once()
    poller.source.close()
    assert summary.moved == 4
    assert len(server.uids("Behandlade")) == 4
    assert server.uids("INBOX") == []
    result = report(poller.ledger.engine, _raw_store(tmp_path), mails)
    assert (result.lost, result.doubled) == (0, 0)


def _count_state(poller: Poller, state: str) -> int:
    with Session(poller.ledger.engine) as session:
        return len(list(session.scalars(select(MailRow.id).where(MailRow.state == state))))


def _wait(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s")
