"""The intake's database records: where a mail was seen, its state, its documents, its moves.

Every write is one short transaction keyed by the unique constraints of ``storage.mail_tables``:
when two pollers race for the same mail, one insert wins and the loser's retry finds the winner's
row, so a mail is handed over once however many pollers, restarts or copies there are.
Extraction is fenced by a claim token: a late finisher whose claim was taken over changes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kopplingar.intake.mime import Extraction, MailSummary
from kopplingar.storage.mail_tables import MailDocumentRow, MailRow, MailSightingRow, MailState

MAX_EXTRACT_ATTEMPTS = 3


@dataclass(frozen=True)
class Location:
    """One copy of a mail in a source: (mailbox, UIDVALIDITY, UID) plus the SHA-256 found there."""

    source: str
    uidvalidity: int
    uid: str
    sha256: str


@dataclass(frozen=True)
class Recorded:
    sighting_id: int
    mail_id: int
    new_location: bool
    new_mail: bool
    state: str
    outcome_folder: str | None
    claim_token: str | None
    moved_to: str | None


@dataclass(frozen=True)
class StoredDocument:
    part_path: str
    original_filename: str | None
    declared_type: str | None
    sniffed_type: str
    storage_key: str
    sha256: str
    size: int


def _now() -> datetime:
    return datetime.now(UTC)


class MailLedger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(
        self,
        location: Location,
        *,
        mail_sha256: str | None,
        size: int,
        raw_key: str | None,
        summary: MailSummary,
        quarantine: tuple[str, str, str] | None = None,
        write_raw: Callable[[Session], object] | None = None,
    ) -> Recorded:
        """Commit a sighting (and the mail, if its SHA-256 is new). Idempotent and race-safe.

        ``quarantine`` is (reason, detail, folder) for mail recorded without its body (oversize).
        A new mail is claimed for extraction by the caller in the same transaction.
        ``write_raw`` stores the raw bytes within this transaction (a store in the database): it
        runs only when the mail is new, so the mail row and its bytes commit together or not at all.
        """
        last_error: IntegrityError | None = None
        for _ in range(5):
            try:
                return self._record_once(
                    location,
                    mail_sha256=mail_sha256,
                    size=size,
                    raw_key=raw_key,
                    summary=summary,
                    quarantine=quarantine,
                    write_raw=write_raw,
                )
            except IntegrityError as exc:  # a concurrent poller inserted first: read its row
                last_error = exc
        raise RuntimeError("could not record mail after concurrent inserts") from last_error

    def _record_once(
        self,
        location: Location,
        *,
        mail_sha256: str | None,
        size: int,
        raw_key: str | None,
        summary: MailSummary,
        quarantine: tuple[str, str, str] | None,
        write_raw: Callable[[Session], object] | None,
    ) -> Recorded:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            sighting = session.scalar(
                select(MailSightingRow).where(
                    MailSightingRow.source == location.source,
                    MailSightingRow.uidvalidity == location.uidvalidity,
                    MailSightingRow.uid == location.uid,
                    MailSightingRow.sha256 == location.sha256,
                )
            )
            if sighting is not None:
                mail = session.get_one(MailRow, sighting.mail_id)
                return _snapshot(sighting, mail, new_location=False, new_mail=False)
            mail_row = None
            if mail_sha256 is not None:
                mail_row = session.scalar(select(MailRow).where(MailRow.sha256 == mail_sha256))
            new_mail = mail_row is None
            if mail_row is None:
                if write_raw is not None:
                    write_raw(session)
                now = _now()
                mail_row = MailRow(
                    source=location.source,
                    uidvalidity=location.uidvalidity,
                    uid=location.uid,
                    sha256=mail_sha256,
                    size=size,
                    raw_key=raw_key,
                    message_id=summary.message_id,
                    sender=summary.sender,
                    subject=summary.subject,
                    received_at=now,
                )
                if quarantine is not None:
                    mail_row.state = MailState.QUARANTINED
                    mail_row.reason, mail_row.reason_detail, mail_row.outcome_folder = quarantine
                else:
                    mail_row.state = MailState.STORED
                    mail_row.claim_token = uuid.uuid4().hex
                    mail_row.claimed_at = now
                    mail_row.extract_attempts = 1
                session.add(mail_row)
                session.flush()
            sighting = MailSightingRow(
                mail_id=mail_row.id,
                source=location.source,
                uidvalidity=location.uidvalidity,
                uid=location.uid,
                sha256=location.sha256,
                duplicate=not new_mail,
            )
            session.add(sighting)
            session.flush()
            return _snapshot(sighting, mail_row, new_location=True, new_mail=new_mail)

    def claim_for_extraction(self, mail_id: int, lease_seconds: float) -> tuple[str, int] | None:
        """Take over a ``stored`` mail whose claim is older than the lease: (token, attempt)."""
        with Session(self.engine) as session, session.begin():
            mail = session.get(MailRow, mail_id)
            if mail is None or mail.state != MailState.STORED:
                return None
            cutoff = _now() - timedelta(seconds=lease_seconds)
            if mail.claimed_at is not None and _aware(mail.claimed_at) > cutoff:
                return None
            token = uuid.uuid4().hex
            result = session.execute(
                update(MailRow)
                .where(MailRow.id == mail_id, MailRow.state == MailState.STORED)
                .where(
                    MailRow.claim_token == mail.claim_token
                    if mail.claim_token is not None
                    else MailRow.claim_token.is_(None)
                )
                .values(
                    claim_token=token,
                    claimed_at=_now(),
                    extract_attempts=MailRow.extract_attempts + 1,
                )
            )
            if getattr(result, "rowcount", 0) != 1:
                return None
            return token, mail.extract_attempts + 1

    def stale_stored(self, lease_seconds: float, limit: int = 100) -> list[int]:
        cutoff = _now() - timedelta(seconds=lease_seconds)
        with Session(self.engine) as session:
            return list(
                session.scalars(
                    select(MailRow.id)
                    .where(MailRow.state == MailState.STORED, MailRow.claimed_at <= cutoff)
                    .order_by(MailRow.id)
                    .limit(limit)
                )
            )

    def raw_key(self, mail_id: int) -> str | None:
        with Session(self.engine) as session:
            return session.scalar(select(MailRow.raw_key).where(MailRow.id == mail_id))

    def finish_extraction(
        self,
        mail_id: int,
        token: str,
        extraction: Extraction,
        documents: list[StoredDocument],
        folders: tuple[str, str],
    ) -> str | None:
        """Record the documents and the end state in one transaction, fenced by ``token``.

        ``folders`` is (processed, quarantine). Returns the outcome folder, or None when another
        poller's claim replaced ours (then nothing is written).
        """
        processed, quarantine = folders
        state = MailState.QUARANTINED if extraction.quarantined else MailState.READY
        folder = quarantine if extraction.quarantined else processed
        detail = extraction.detail
        if not extraction.quarantined and extraction.notes:
            detail = json.dumps(list(extraction.notes), ensure_ascii=False)
        with Session(self.engine) as session, session.begin():
            result = session.execute(
                update(MailRow)
                .where(
                    MailRow.id == mail_id,
                    MailRow.claim_token == token,
                    MailRow.state == MailState.STORED,
                )
                .values(
                    state=state,
                    reason=extraction.reason,
                    reason_detail=detail,
                    outcome_folder=folder,
                    message_id=extraction.summary.message_id,
                    sender=extraction.summary.sender,
                    subject=extraction.summary.subject,
                    updated_at=_now(),
                )
            )
            if getattr(result, "rowcount", 0) != 1:
                return None
            for ordinal, doc in enumerate(documents, start=1):
                session.add(
                    MailDocumentRow(
                        mail_id=mail_id,
                        ordinal=ordinal,
                        part_path=doc.part_path,
                        original_filename=doc.original_filename,
                        declared_type=doc.declared_type,
                        sniffed_type=doc.sniffed_type,
                        storage_key=doc.storage_key,
                        sha256=doc.sha256,
                        size=doc.size,
                    )
                )
        return folder

    def state_of(self, mail_id: int) -> tuple[str, str | None]:
        with Session(self.engine) as session:
            mail = session.get_one(MailRow, mail_id)
            return mail.state, mail.outcome_folder

    def claim_moves(self, sighting_ids: list[int], lease_seconds: float) -> set[int]:
        """The sightings this poller may move now: unclaimed, or claimed longer than the lease ago."""
        token = uuid.uuid4().hex
        cutoff = _now() - timedelta(seconds=lease_seconds)
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(MailSightingRow)
                .where(MailSightingRow.id.in_(sighting_ids))
                .where(
                    or_(
                        MailSightingRow.move_claimed_at.is_(None),
                        MailSightingRow.move_claimed_at <= cutoff,
                    )
                )
                .values(move_token=token, move_claimed_at=_now())
            )
            return set(
                session.scalars(
                    select(MailSightingRow.id).where(
                        MailSightingRow.id.in_(sighting_ids), MailSightingRow.move_token == token
                    )
                )
            )

    def mark_copied(self, sighting_ids: list[int], folder: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(MailSightingRow)
                .where(MailSightingRow.id.in_(sighting_ids))
                .values(moved_to=folder)
            )

    def mark_moved(self, sighting_ids: list[int], folder: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(MailSightingRow)
                .where(MailSightingRow.id.in_(sighting_ids))
                .values(moved_to=folder, moved_at=_now())
            )


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _snapshot(
    sighting: MailSightingRow, mail: MailRow, *, new_location: bool, new_mail: bool
) -> Recorded:
    return Recorded(
        sighting_id=sighting.id,
        mail_id=mail.id,
        new_location=new_location,
        new_mail=new_mail,
        state=mail.state,
        outcome_folder=mail.outcome_folder,
        claim_token=mail.claim_token if new_mail else None,
        moved_to=sighting.moved_to,
    )
