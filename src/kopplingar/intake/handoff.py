"""The hand-over from intake to the case queue: a state in the ``mails`` table, no callback.

Contract for the queue:
- Every mail the poller stores reaches ``ready`` or ``quarantined`` (end states of intake).
- A ``ready`` mail has every document that may hold a form recorded in ``mail_documents``
  (ordinal, original filename as metadata, sniffed type, storage key in the document store). A
  ``ready`` mail with no documents must still become a case (rejected as ``not_a_form``).
- ``quarantined`` mail carries a reason code (``oversize``, ``too_many_parts``, ``zip_bomb``, ...)
  and sits in the quarantine folder; the queue may show it to people or reply to the sender.
- The queue takes a mail by calling :func:`take_ready_mail` inside the transaction that creates
  the case: the conditional update lets exactly one worker take it, and a rollback returns it.
- The mail has already left the inbox (to ``folder_processed``); moving a rejected form on to
  ``folder_rejected`` is the queue's choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kopplingar.storage.mail_tables import MailDocumentRow, MailRow, MailState


@dataclass(frozen=True)
class ReadyDocument:
    document_id: int
    ordinal: int
    original_filename: str | None
    sniffed_type: str
    storage_key: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ReadyMail:
    mail_id: int
    message_id: str | None
    sender: str | None
    subject: str | None
    raw_key: str | None
    documents: tuple[ReadyDocument, ...]


def ready_mail_ids(session: Session, limit: int = 100) -> list[int]:
    return list(
        session.scalars(
            select(MailRow.id)
            .where(MailRow.state == MailState.READY)
            .order_by(MailRow.id)
            .limit(limit)
        )
    )


def take_ready_mail(session: Session, mail_id: int) -> ReadyMail | None:
    """Mark a ``ready`` mail ``handed_over`` in the caller's transaction; None if taken already."""
    result = session.execute(
        update(MailRow)
        .where(MailRow.id == mail_id, MailRow.state == MailState.READY)
        .values(state=MailState.HANDED_OVER)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    mail = session.get_one(MailRow, mail_id)
    documents = session.scalars(
        select(MailDocumentRow)
        .where(MailDocumentRow.mail_id == mail_id)
        .order_by(MailDocumentRow.ordinal)
    )
    return ReadyMail(
        mail_id=mail.id,
        message_id=mail.message_id,
        sender=mail.sender,
        subject=mail.subject,
        raw_key=mail.raw_key,
        documents=tuple(
            ReadyDocument(
                document_id=d.id,
                ordinal=d.ordinal,
                original_filename=d.original_filename,
                sniffed_type=d.sniffed_type,
                storage_key=d.storage_key,
                sha256=d.sha256,
                size=d.size,
            )
            for d in documents
        ),
    )
