"""Ledger checks shared by intake tests: mails lost and operations applied twice must be 0."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kopplingar.intake.rawstore import RawStore
from kopplingar.storage.mail_tables import MailDocumentRow, MailRow


@dataclass(frozen=True)
class IntakeReport:
    delivered: int
    recorded: int
    lost: int
    doubled: int
    states: dict[str, int]
    documents: int


def normalized_sha(raw: bytes) -> str:
    """Content identity across line-ending conversions (an IMAP server may store LF or CRLF)."""
    return hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()


def report(engine: Engine, raw_store: RawStore, delivered: list[bytes]) -> IntakeReport:
    """Lost: delivered content with no stored raw mail. Doubled: content recorded as two mails,
    or one document recorded twice for a mail."""
    with Session(engine) as session:
        rows = session.execute(select(MailRow.raw_key, MailRow.state)).all()
        docs = session.execute(select(MailDocumentRow.mail_id, MailDocumentRow.sha256)).all()
    stored = Counter(normalized_sha(raw_store.get(key)) for key, _ in rows if key)
    wanted = {normalized_sha(raw) for raw in delivered}
    doubled = sum(n - 1 for n in stored.values()) + sum(n - 1 for n in Counter(docs).values())
    return IntakeReport(
        delivered=len(wanted),
        recorded=len(rows),
        lost=len(wanted - set(stored)),
        doubled=doubled,
        states=dict(Counter(state for _, state in rows)),
        documents=len(docs),
    )
