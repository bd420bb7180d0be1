"""The persistent outbox: mail is queued in the transaction that causes it, delivered afterwards.

A change and its mails commit together, so a crash never loses a confirmation; delivery retries
until the transport takes the mail (at least once; the Message-ID is fixed when queued, so a
repeated delivery is recognisable).
"""

from __future__ import annotations

import email.utils
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from kopplingar.storage.database import Database
from kopplingar.storage.registry_tables import OutgoingMailRow

MAX_ATTEMPTS = 20


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def queue_mail(
    session: Session,
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    purpose: str,
    sender_domain: str = "kopplingar.fortnox.se",
    headers: dict[str, str] | None = None,
    now: datetime | None = None,
) -> OutgoingMailRow:
    recipients = sorted({address.strip().lower() for address in to if address and address.strip()})
    if not recipients:
        raise ValueError("a mail needs at least one recipient")
    row = OutgoingMailRow(
        created_at=now or datetime.now(UTC),
        recipients=recipients,
        subject=_one_line(subject),
        body=body,
        headers={k: _one_line(v) for k, v in (headers or {}).items()},
        purpose=purpose,
        attempts=0,
        message_id=email.utils.make_msgid(domain=sender_domain),
    )
    session.add(row)
    return row


def _one_line(text: str) -> str:
    """Header values never carry CR/LF (no header injection from names or subjects)."""
    return " ".join(text.split())


def build_message(row: OutgoingMailRow, sender: str) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = ", ".join(row.recipients)
    message["Subject"] = row.subject
    message["Date"] = email.utils.format_datetime(row.created_at.replace(tzinfo=UTC))
    message["Message-ID"] = row.message_id or email.utils.make_msgid()
    for name, value in (row.headers or {}).items():
        message[name] = value
    message.set_content(row.body)
    return message


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0


def deliver_pending(
    db: Database, transport: Transport, sender: str, limit: int = 100
) -> DeliveryReport:
    """Send queued mail, one row per short transaction, skipping rows another process holds."""
    report = DeliveryReport()
    for _ in range(limit):
        with db.transaction() as session:
            row = session.scalars(
                select(OutgoingMailRow)
                .where(OutgoingMailRow.sent_at.is_(None))
                .where(OutgoingMailRow.attempts < MAX_ATTEMPTS)
                .order_by(OutgoingMailRow.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                break
            row.attempts += 1
            try:
                transport.send(build_message(row, sender))
            except Exception as error:  # any transport failure is kept and retried later
                row.last_error = f"{type(error).__name__}: {error}"
                report.failed += 1
                break
            row.sent_at = datetime.now(UTC)
            row.last_error = None
            report.sent += 1
    return report


def pending_count(db: Database) -> int:
    with db.transaction() as session:
        return len(
            session.scalars(
                select(OutgoingMailRow.id).where(OutgoingMailRow.sent_at.is_(None))
            ).all()
        )
