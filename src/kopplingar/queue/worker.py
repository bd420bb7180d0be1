"""The worker: turns ready mail into cases, claims one, reads it in the sandbox, settles it."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

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
from kopplingar.queue.sandbox import ReaderProcess, ReadFailedError
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

    def __post_init__(self) -> None:
        self.owner = self.owner or worker_name()

    def run_once(self) -> list[int]:
        """Handle one case; returns the ids settled (empty when there was nothing to do)."""
        cases_from_ready_mails(self.db, options=self.options)
        claim = claim_next(self.db, self.owner, lease_seconds=self.lease_seconds)
        if claim is None:
            return []
        if claim.attempt > MAX_ATTEMPTS:
            # Tried again and again (a worker died each time, or settling kept failing): stop
            # retrying and let a person look, so one bad case never loops for ever.
            outcome: list[FormReading] | ReadFailure = ReadFailure(
                "attempts", f"gave up after {claim.attempt - 1} attempts"
            )
        else:
            outcome = self.read(claim)
        try:
            settled = settle(self.db, claim, outcome, options=self.options)
        except StaleClaimError:
            log.warning("case %s was taken over; our result is dropped", claim.case_id)
            return []
        except Exception:
            release(self.db, claim)  # let the next attempt come soon, not after the lease
            raise
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
            raw = self.reader.read(data, claim.file_name or "dokument")
        except ReadFailedError as error:
            return ReadFailure(error.code, error.message)
        try:
            return [FormReading.model_validate(item) for item in raw]
        except (ValidationError, TypeError) as error:
            return ReadFailure("error", f"the reader returned something unexpected: {error}")

    def run(self, stop: threading.Event, idle_seconds: float = 1.0) -> None:
        """Work until ``stop`` is set; the case in hand is finished first."""
        while not stop.is_set():
            try:
                if not self.run_once():
                    stop.wait(idle_seconds)
            except Exception:  # one bad case or a passing database error must not stop the worker
                log.exception("worker %s: error while handling a case", self.owner)
                stop.wait(idle_seconds)
