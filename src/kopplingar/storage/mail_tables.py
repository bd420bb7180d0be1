"""Tables of the mail intake: each distinct mail once, every place it was seen, its documents.

A mail is identified by the SHA-256 of its raw bytes (unique), never by its IMAP UID alone: servers
reset UIDVALIDITY and reuse UIDs, people move mail back, a crash between COPY and EXPUNGE leaves two
copies. A *sighting* records one (source, UIDVALIDITY, UID, SHA-256) location and where that copy was
moved, so a location is handled once and a copy seen again only gets moved, never handed over again.

Mail states: ``stored`` (raw bytes fsynced and the row committed, documents not yet extracted) →
``ready`` (documents recorded; the case queue takes it) or ``quarantined`` (hostile or unreadable,
with a reason code; an end state). The case queue later moves ``ready`` → ``handed_over``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kopplingar.storage.base import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


class MailState:
    STORED = "stored"
    READY = "ready"
    QUARANTINED = "quarantined"
    HANDED_OVER = "handed_over"

    END_STATES = frozenset({READY, QUARANTINED, HANDED_OVER})


class MailRow(Base):
    __tablename__ = "mails"
    __table_args__ = (
        UniqueConstraint("sha256", name="uq_mails_sha256"),
        Index("ix_mails_state", "state"),
        Index("ix_mails_message_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[str] = mapped_column(String(255))
    # NULL only for mail too large to fetch (quarantined from its headers alone).
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    raw_key: Mapped[str | None] = mapped_column(String(200))
    message_id: Mapped[str | None] = mapped_column(String(998))
    sender: Mapped[str | None] = mapped_column(String(998))
    subject: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=MailState.STORED)
    reason: Mapped[str | None] = mapped_column(String(64))
    reason_detail: Mapped[str | None] = mapped_column(Text)
    outcome_folder: Mapped[str | None] = mapped_column(String(200))
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    extract_attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class MailSightingRow(Base):
    __tablename__ = "mail_sightings"
    __table_args__ = (
        UniqueConstraint(
            "source", "uidvalidity", "uid", "sha256", name="uq_mail_sightings_location"
        ),
        Index("ix_mail_sightings_mail_id", "mail_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("mails.id"))
    source: Mapped[str] = mapped_column(String(500))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the bytes at this location (of the headers for oversize mail), so a reused UID
    # with other content is a new sighting.
    sha256: Mapped[str] = mapped_column(String(64))
    duplicate: Mapped[bool] = mapped_column(default=False)
    # One poller moves a copy: concurrent MOVEs of one UID make the server copy it twice.
    move_token: Mapped[str | None] = mapped_column(String(64))
    move_claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    moved_to: Mapped[str | None] = mapped_column(String(200))
    moved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MailDocumentRow(Base):
    """One attachment (or zip entry, or inline part) that may hold a form."""

    __tablename__ = "mail_documents"
    __table_args__ = (
        UniqueConstraint("mail_id", "ordinal", name="uq_mail_documents_ordinal"),
        Index("ix_mail_documents_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("mails.id"))
    ordinal: Mapped[int] = mapped_column(Integer)
    part_path: Mapped[str] = mapped_column(String(500))
    original_filename: Mapped[str | None] = mapped_column(Text)
    declared_type: Mapped[str | None] = mapped_column(String(255))
    sniffed_type: Mapped[str] = mapped_column(String(50))
    storage_key: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
