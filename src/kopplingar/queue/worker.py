"""The worker: turns ready mail into cases, claims one, reads it in the sandbox, settles it.

Shutting down (SIGTERM sets ``stop``): the case in hand is finished when its reading ends within
``shutdown_grace_seconds``; otherwise the reading is stopped and the case released untouched, so
another worker takes it at once. Nothing is applied outside ``settle``'s one transaction, so a
worker killed outright leaves the case claimed and unchanged until its lease runs out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import ValidationError

from kopplingar import logs
from kopplingar.intake.rawstore import RawStore
from kopplingar.queue.cases import (
    Claim,
    ReadFailure,
    SettleOptions,
    StaleClaimError,
    cases_from_ready_mails,
    claim_next,
    release,
    settle,
)
from kopplingar.queue.sandbox import ReadCancelledError, ReaderProcess, ReadFailedError
from kopplingar.storage.database import Database
from kopplingar.validation.reading import FormReading

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def worker_name() -> str:
    return f"worker:{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"


@dataclass
class Worker:
    db: Database
    documents: RawStore
    reader: ReaderProcess
    options: SettleOptions
    lease_seconds: float = 600.0
    after_case: Callable[[], object] | None = None  # e.g. deliver queued mail
    owner: str = ""
    shutdown_grace_seconds: float = 20.0
    stop: threading.Event = field(default_factory=threading.Event)
    _stop_seen: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.owner = self.owner or worker_name()

    def run_once(self) -> list[int]:
        """Handle one case; returns the ids settled (empty when there was nothing to do, or the
        case was released because we are shutting down)."""
        cases_from_ready_mails(self.db, options=self.options)
        claim = claim_next(self.db, self.owner, lease_seconds=self.lease_seconds)
        if claim is None:
            return []
        with logs.bound(case_id=claim.case_id, mail_id=claim.mail_id):
            return self._handle(claim)

    def _handle(self, claim: Claim) -> list[int]:
        started = time.monotonic()
        log.info("claimed (attempt %d) by %s", claim.attempt, self.owner)
        if claim.attempt > MAX_ATTEMPTS:
            # Tried again and again (a worker died each time, or settling kept failing): stop
            # retrying and let a person look, so one bad case never loops for ever.
            outcome: list[FormReading] | ReadFailure = ReadFailure(
                "attempts", f"gave up after {claim.attempt - 1} attempts"
            )
        else:
            try:
                outcome = self.read(claim)
            except ReadCancelledError:
                release(self.db, claim)
                log.warning("shutting down: reading stopped, case released for another worker")
                return []
        try:
            settled = settle(self.db, claim, outcome, options=self.options)
        except StaleClaimError:
            log.warning("case %s was taken over; our result is dropped", claim.case_id)
            return []
        except Exception:
            release(self.db, claim)  # let the next attempt come soon, not after the lease
            raise
        log.info("settled %s in %.2f s", settled, time.monotonic() - started)
        if self.after_case is not None:
            self.after_case()
        return settled

    def read(self, claim: Claim) -> list[FormReading] | ReadFailure:
        if claim.storage_key is None:
            return ReadFailure("missing", "the case has no document")
        try:
            data = self.documents.get(claim.storage_key)
        except KeyError as error:
            return ReadFailure("missing", f"the stored document is missing or damaged: {error}")
        try:
            raw = self.reader.read(data, claim.file_name or "dokument", abandon=self._abandon)
        except ReadFailedError as error:
            if error.code == "crashed" and self.stop.is_set():
                # A shutdown signal to the whole group can reach a reader still starting, before
                # it ignores such signals: not the document's fault, so give the case back.
                raise ReadCancelledError(error.message) from error
            return ReadFailure(error.code, error.message)
        try:
            return [FormReading.model_validate(item) for item in raw]
        except (ValidationError, TypeError) as error:
            return ReadFailure("error", f"the reader returned something unexpected: {error}")

    def _abandon(self) -> bool:
        """Asked while reading: give up once stopping for longer than the grace period."""
        if not self.stop.is_set():
            return False
        if self._stop_seen is None:
            self._stop_seen = time.monotonic()
        return time.monotonic() - self._stop_seen >= self.shutdown_grace_seconds

    def run(self, stop: threading.Event | None = None, idle_seconds: float = 1.0) -> None:
        """Work until ``stop`` is set; the case in hand is finished or released first."""
        stop = self.stop = stop or self.stop
        while not stop.is_set():
            try:
                if not self.run_once():
                    stop.wait(idle_seconds)
            except Exception:  # one bad case or a passing database error must not stop the worker
                log.exception("worker %s: error while handling a case", self.owner)
                stop.wait(idle_seconds)
