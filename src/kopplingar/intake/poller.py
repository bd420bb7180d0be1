"""One poller logic for every source: fetch → size check → store raw + commit → extract → move.

Order is the guarantee. Raw bytes are fsynced and the record committed before anything changes in
the mailbox; the mail leaves the inbox (to ``folder_processed`` when accepted, ``folder_quarantine``
when hostile) only after its end state is committed. A crash between any two steps is repaired by
the next pass: known locations are recognised by (source, UIDVALIDITY, UID, SHA-256), known mail by
SHA-256, and a mail left ``stored`` is extracted again after its claim lease expires.

Folders: the poller only moves to *processed* or *quarantine*. Whether a processed form is finally
rejected is the case queue's decision; it may file such mail under ``folder_rejected`` later.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from sqlalchemy.orm import Session

from kopplingar import logs
from kopplingar.intake import mime
from kopplingar.intake.ledger import (
    MAX_EXTRACT_ATTEMPTS,
    Location,
    MailLedger,
    Recorded,
    StoredDocument,
)
from kopplingar.intake.rawstore import RawStore, sha256_hex, writes_in_transaction
from kopplingar.intake.source import MailSource, MessageRef, SourceConnectionError
from kopplingar.storage.mail_tables import MailState

log = logging.getLogger(__name__)

FAULT_ENV = "KOPPLINGAR_FAULT_AFTER"
MOVE_BATCH = 200  # UIDs in one MOVE / COPY command
MOVE_EVERY = 50  # handled mails moved while a pass is still going


def checkpoint(step: str) -> None:
    """Test seam for crash tests: die like ``kill -9`` right after ``step`` when asked to."""
    if os.environ.get(FAULT_ENV) == step:
        os._exit(137)


@dataclass(frozen=True)
class PollerConfig:
    folder_processed: str = "Behandlade"
    folder_quarantine: str = "Karantän"
    max_mail_bytes: int = 25_000_000
    limits: mime.MimeLimits = field(default_factory=mime.MimeLimits)
    extract_lease_seconds: float = 300.0
    idle_renew_seconds: float = 540.0
    poll_interval_seconds: float = 300.0
    max_backoff_seconds: float = 60.0


@dataclass
class PassSummary:
    mails_seen: int = 0
    stored: int = 0
    duplicates: int = 0
    known: int = 0
    quarantined: int = 0
    ready: int = 0
    recovered: int = 0
    moved: int = 0
    pending: int = 0
    errors: int = 0

    def add(self, other: PassSummary) -> None:
        for key, value in asdict(other).items():
            setattr(self, key, getattr(self, key) + value)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class Poller:
    def __init__(
        self,
        source: MailSource,
        ledger: MailLedger,
        raw_store: RawStore,
        document_store: RawStore,
        config: PollerConfig,
    ) -> None:
        self.source = source
        self.ledger = ledger
        self.raw_store = raw_store
        self.document_store = document_store
        self.config = config
        self.uidvalidity = 0

    # ------------------------------------------------------------------ one pass

    def open(self) -> None:
        self.uidvalidity = self.source.open()

    def poll_once(self, stop: threading.Event | None = None) -> PassSummary:
        """One pass over the folder (the source must be open).

        Handled mail leaves the folder every ``MOVE_EVERY`` mails, not only when the pass ends: a
        pass over a backlog of thousands takes long, and meanwhile another poller would fetch
        every mail again and the inbox would show no progress. ``stop`` (SIGTERM) ends the pass
        between two mails; what was handled is still moved, the rest waits for the next pass."""
        summary = PassSummary()
        self._recover_stale(summary)
        moves: dict[str, list[tuple[str, Recorded]]] = defaultdict(list)
        refs = self.source.list_messages()
        summary.mails_seen = len(refs)
        for ref in refs:
            if stop is not None and stop.is_set():
                break
            try:
                planned = self._handle(ref, summary)
            except SourceConnectionError:
                raise
            except Exception:  # one bad mail never blocks the rest
                log.exception(
                    "mail %s in %s failed; it stays for the next pass", ref.uid, self.source.name
                )
                summary.errors += 1
                continue
            if planned is not None:
                folder, recorded = planned
                moves[folder].append((ref.uid, recorded))
                if len(moves[folder]) >= MOVE_EVERY:
                    summary.moved += self._move(folder, moves.pop(folder))
        for folder, items in moves.items():
            for start in range(0, len(items), MOVE_BATCH):
                summary.moved += self._move(folder, items[start : start + MOVE_BATCH])
        return summary

    def _handle(self, ref: MessageRef, summary: PassSummary) -> tuple[str, Recorded] | None:
        """Record one message and bring its mail to an end state; returns the move to make."""
        recorded = self._record(ref)
        if recorded is None:
            return None
        if not recorded.new_location:
            summary.known += 1
        elif recorded.new_mail:
            summary.stored += 1 if recorded.state == MailState.STORED else 0
        else:
            summary.duplicates += 1
        state, folder = recorded.state, recorded.outcome_folder
        if state == MailState.STORED:
            state, folder = self._finish_stored(recorded, summary)
        elif recorded.new_mail:
            _count_end_state(summary, state)
        if state not in MailState.END_STATES or folder is None:
            summary.pending += 1
            return None
        return folder, recorded

    def _record(self, ref: MessageRef) -> Recorded | None:
        if ref.size > self.config.max_mail_bytes:
            return self._record_oversize(ref, ref.size)
        raw = self.source.fetch(ref.uid)
        if raw is None:
            return None
        checkpoint("fetched")
        if len(raw) > self.config.max_mail_bytes:
            return self._record_oversize(ref, len(raw))
        return self._record_raw(ref, raw)

    def _finish_stored(self, recorded: Recorded, summary: PassSummary) -> tuple[str, str | None]:
        """Extract a ``stored`` mail if we hold its claim or its lease has expired."""
        token = recorded.claim_token
        if token is None:
            claim = self.ledger.claim_for_extraction(
                recorded.mail_id, self.config.extract_lease_seconds
            )
            if claim is None:
                return MailState.STORED, None
            token = claim[0]
            summary.recovered += 1
        state, folder = self._extract(recorded.mail_id, token)
        _count_end_state(summary, state)
        return state, folder

    def _record_raw(self, ref: MessageRef, raw: bytes) -> Recorded:
        """Raw bytes durable before (file store) or with (database store) the mail's record."""
        in_transaction = writes_in_transaction(self.raw_store)
        write_raw: Callable[[Session], object] | None = None
        if in_transaction is None:
            key = self.raw_store.put(raw)
        else:
            key = sha256_hex(raw)
            write_raw = functools.partial(in_transaction.put_in, data=raw)
        checkpoint("stored")
        recorded = self.ledger.record(
            Location(self.source.name, self.uidvalidity, ref.uid, key),
            mail_sha256=key,
            size=len(raw),
            raw_key=key,
            summary=mime.read_summary(raw),
            write_raw=write_raw,
        )
        checkpoint("committed")
        return recorded

    def _record_oversize(self, ref: MessageRef, size: int) -> Recorded | None:
        headers = self.source.fetch_headers(ref.uid)
        if headers is None:
            return None
        return self.ledger.record(
            Location(
                self.source.name, self.uidvalidity, ref.uid, sha256_hex(b"oversize\0" + headers)
            ),
            mail_sha256=None,
            size=size,
            raw_key=None,
            summary=mime.read_summary(headers),
            quarantine=(
                "oversize",
                f"{size} bytes, limit {self.config.max_mail_bytes}; not fetched",
                self.config.folder_quarantine,
            ),
        )

    def _extract(self, mail_id: int, token: str) -> tuple[str, str | None]:
        """Extract documents and commit the end state; returns (state, outcome folder)."""
        with logs.bound(mail_id=mail_id):
            state, folder = self._extract_bound(mail_id, token)
            log.info("mail %s: %s", state, folder)
            return state, folder

    def _extract_bound(self, mail_id: int, token: str) -> tuple[str, str | None]:
        folders = (self.config.folder_processed, self.config.folder_quarantine)
        try:
            key = self.ledger.raw_key(mail_id)
            if key is None:
                raise KeyError(f"mail {mail_id} has no raw bytes")
            extraction = mime.extract(self.raw_store.get(key), self.config.limits)
            documents = [
                StoredDocument(
                    part_path=doc.part_path,
                    original_filename=doc.original_filename,
                    declared_type=doc.declared_type,
                    sniffed_type=doc.sniffed_type,
                    storage_key=self.document_store.put(doc.data),
                    sha256=doc.sha256,
                    size=len(doc.data),
                )
                for doc in extraction.documents
            ]
        except Exception as exc:
            log.exception("extracting mail %s failed; quarantined", mail_id)
            extraction = mime.Extraction(
                summary=mime.MailSummary(None, None, None),
                reason="extraction_failed",
                detail=f"{type(exc).__name__}: {exc}"[:2000],
            )
            documents = []
        folder = self.ledger.finish_extraction(mail_id, token, extraction, documents, folders)
        checkpoint("extracted")
        if folder is None:
            return self.ledger.state_of(mail_id)
        return (MailState.QUARANTINED if extraction.quarantined else MailState.READY), folder

    def _recover_stale(self, summary: PassSummary) -> None:
        """Mail stored by a poller that died before extracting (its inbox copy may be gone)."""
        for mail_id in self.ledger.stale_stored(self.config.extract_lease_seconds):
            claim = self.ledger.claim_for_extraction(mail_id, self.config.extract_lease_seconds)
            if claim is None:
                continue
            token, attempt = claim
            summary.recovered += 1
            if attempt > MAX_EXTRACT_ATTEMPTS:
                crashed = mime.Extraction(
                    summary=mime.MailSummary(None, None, None),
                    reason="extraction_crashed",
                    detail=f"extraction did not finish in {attempt - 1} attempts",
                )
                folders = (self.config.folder_processed, self.config.folder_quarantine)
                self.ledger.finish_extraction(mail_id, token, crashed, [], folders)
                summary.quarantined += 1
                continue
            state, _ = self._extract(mail_id, token)
            _count_end_state(summary, state)

    def _move(self, folder: str, items: list[tuple[str, Recorded]]) -> int:
        claimed = self.ledger.claim_moves(
            [r.sighting_id for _, r in items], self.config.extract_lease_seconds
        )
        items = [(uid, r) for uid, r in items if r.sighting_id in claimed]
        if not items:
            return 0
        uids = [uid for uid, _ in items]
        sightings = [recorded.sighting_id for _, recorded in items]
        if self.source.supports_move:
            self.source.move(uids, folder)
            checkpoint("moved")
            self.ledger.mark_moved(sightings, folder)
            return len(items)
        to_copy = [(uid, r) for uid, r in items if r.moved_to != folder]
        if to_copy:
            self.source.copy([uid for uid, _ in to_copy], folder)
            self.ledger.mark_copied([r.sighting_id for _, r in to_copy], folder)
            checkpoint("copied")
        self.source.expunge(uids)
        checkpoint("moved")
        self.ledger.mark_moved(sightings, folder)
        return len(items)

    # ------------------------------------------------------------------ the loop

    def run_forever(self, stop: threading.Event, on_pass: object = None) -> None:
        """Pass, then wait for news (IDLE) with a periodic full pass; reconnect with backoff."""
        backoff = 1.0
        while not stop.is_set():
            try:
                self.open()
                backoff = 1.0
                self._drain(stop, on_pass)
                last_full = time.monotonic()
                while not stop.is_set():
                    until_backstop = self.config.poll_interval_seconds - (
                        time.monotonic() - last_full
                    )
                    wait = max(0.0, min(self.config.idle_renew_seconds, until_backstop))
                    changed = self.source.wait_for_change(wait, stop)
                    if changed or time.monotonic() - last_full >= self.config.poll_interval_seconds:
                        self._drain(stop, on_pass)
                        last_full = time.monotonic()
            except SourceConnectionError as exc:
                log.warning(
                    "%s: connection lost (%s); reconnecting in %.1fs",
                    self.source.name,
                    exc,
                    backoff,
                )
                self.source.close()
                stop.wait(backoff * (1 + random.random() / 2))  # noqa: S311  (jitter, not crypto)
                backoff = min(backoff * 2, self.config.max_backoff_seconds)
        self.source.close()

    def _drain(self, stop: threading.Event, on_pass: object) -> None:
        """Pass until a pass finds no work. Mail arriving during a pass is announced in that
        pass's command responses, not in the IDLE that follows, so idling right after a busy pass
        would leave it to the backstop."""
        while not stop.is_set():
            summary = self.poll_once(stop)
            self._report(summary, on_pass)
            if not (summary.stored or summary.duplicates or summary.moved or summary.recovered):
                return

    @staticmethod
    def _report(summary: PassSummary, on_pass: object) -> None:
        if callable(on_pass):
            on_pass(summary)
        elif summary.mails_seen or summary.recovered:
            log.info("intake pass: %s", summary.as_dict())


def _count_end_state(summary: PassSummary, state: str) -> None:
    if state == MailState.QUARANTINED:
        summary.quarantined += 1
    elif state == MailState.READY:
        summary.ready += 1
