"""Case states. ``received`` waits for a worker; the others are where a case can end or wait."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    RECEIVED = "received"  # stored, waiting to be read
    APPLIED = "applied"  # the operation was applied (end)
    REJECTED = "rejected"  # not applied, sender told why (end; a reviewer may reopen)
    REVIEW = "review"  # waiting for a person


ALLOWED = {
    CaseStatus.RECEIVED: {CaseStatus.APPLIED, CaseStatus.REJECTED, CaseStatus.REVIEW},
    CaseStatus.REVIEW: {CaseStatus.APPLIED, CaseStatus.REJECTED},
    CaseStatus.REJECTED: {CaseStatus.REVIEW},
    CaseStatus.APPLIED: set(),
}


def check_transition(current: CaseStatus, target: CaseStatus) -> None:
    if target not in ALLOWED[current]:
        raise ValueError(f"a case cannot go from {current.value} to {target.value}")
