"""The outbox delivers through a real SMTP server and keeps mail it could not deliver."""

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from kopplingar.notify.outbox import build_message, deliver_pending, pending_count, queue_mail
from kopplingar.notify.transports import EmlFolderTransport, SmtpTransport
from kopplingar.storage.database import Database
from kopplingar.storage.registry_tables import OutgoingMailRow
from tests.support.ports import free_port
from tests.support.smtp_sink import SmtpSink


def queue_two(db: Database) -> None:
    with db.transaction() as session:
        queue_mail(
            session,
            to=["David@Bageriet.se"],
            subject="Hej\r\nBcc: evil@x.se",
            body="Första",
            purpose="t",
        )
        queue_mail(
            session, to=["eva@bageriet.se"], subject="Två", body="Andra med åäö", purpose="t"
        )


def test_mail_waits_in_the_outbox_until_the_server_takes_it(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    queue_two(db)
    dead = SmtpTransport("127.0.0.1", free_port(), security="none", timeout=2)
    report = deliver_pending(db, dead, "kopplingar@fortnox.se")
    assert (report.sent, report.failed) == (0, 1)
    assert pending_count(db) == 2
    with db.transaction() as session:
        first = session.scalars(select(OutgoingMailRow).order_by(OutgoingMailRow.id)).first()
        assert (
            first is not None and first.attempts == 1 and "Connection" in (first.last_error or "")
        )

    sink = SmtpSink().start()
    try:
        report = deliver_pending(
            db, SmtpTransport("127.0.0.1", sink.port, security="none"), "kopplingar@fortnox.se"
        )
    finally:
        sink.stop()
    assert (report.sent, report.failed) == (2, 0)
    assert pending_count(db) == 0
    first_mail, second_mail = sink.messages
    assert first_mail["To"] == "david@bageriet.se"
    assert first_mail["Subject"] == "Hej Bcc: evil@x.se"  # CR/LF folded: no injected header
    assert first_mail["Bcc"] is None
    assert second_mail.get_content().strip() == "Andra med åäö"  # type: ignore[attr-defined]
    assert sink.collector.envelopes[1] == ("kopplingar@fortnox.se", ["eva@bageriet.se"])


def test_eml_files_are_complete_messages(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    queue_two(db)
    deliver_pending(db, EmlFolderTransport(tmp_path / "outbox"), "kopplingar@fortnox.se")
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    assert not list((tmp_path / "outbox").glob("*.tmp"))
    with db.transaction() as session:
        row = session.scalars(select(OutgoingMailRow)).first()
        assert row is not None
        message = build_message(row, "kopplingar@fortnox.se")
    assert message["Message-ID"] == row.message_id
    assert row.sent_at is not None and row.sent_at.replace(tzinfo=UTC) <= datetime.now(UTC)
