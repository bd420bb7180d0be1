"""Digital consent requests: one per connect/disconnect, one emailed link per client administrator.

Links carry 256 random bits and only their SHA-256 is stored. A request is valid for a fixed number
of days from creation (exactly at the limit it has expired); the first administrator to accept wins.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from kopplingar.domain.errors import ConsentClosedError, ConsentExpiredError
from kopplingar.domain.model import OperationKind
from kopplingar.domain.orgnr import OrgNumber

TOKEN_BYTES = 32


class ConsentState(StrEnum):
    PENDING = "pending"  # väntar
    ACCEPTED = "accepted"  # godkänd
    EXPIRED = "expired"  # utgången
    CANCELLED = "cancelled"  # återkallad, or superseded by the paper route


def new_token() -> str:
    """A 256-bit URL-safe token that never starts with "-": one in 64 would, and then
    ``kopplingar consent accept TOKEN`` takes the token pasted from a link for an option."""
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if not token.startswith("-"):
            return token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)


@dataclass(frozen=True)
class ConsentRequest:
    id: int | None
    kind: OperationKind
    bureau: OrgNumber
    company: OrgNumber
    requested_by: str
    created_at: datetime
    expires_at: datetime
    closed: ConsentState | None = None  # accepted or cancelled, else still open
    accepted_by: str | None = None
    accepted_at: datetime | None = None

    @classmethod
    def open(
        cls,
        kind: OperationKind,
        *,
        bureau: OrgNumber,
        company: OrgNumber,
        requested_by: str,
        now: datetime,
        valid_days: int = 7,
    ) -> ConsentRequest:
        return cls(
            id=None,
            kind=kind,
            bureau=bureau,
            company=company,
            requested_by=requested_by,
            created_at=now,
            expires_at=now + timedelta(days=valid_days),
        )

    def state_at(self, now: datetime) -> ConsentState:
        if self.closed is not None:
            return self.closed
        return ConsentState.EXPIRED if now >= self.expires_at else ConsentState.PENDING

    def accept(self, by_email: str, now: datetime) -> ConsentRequest:
        state = self.state_at(now)
        if state is ConsentState.EXPIRED:
            raise ConsentExpiredError(f"länken gick ut {self.expires_at:%Y-%m-%d %H:%M}")
        if state is ConsentState.ACCEPTED:
            raise ConsentClosedError(
                f"förfrågan är redan godkänd av {self.accepted_by} den {self.accepted_at:%Y-%m-%d}"
            )
        if state is ConsentState.CANCELLED:
            raise ConsentClosedError("förfrågan är återkallad")
        return replace(self, closed=ConsentState.ACCEPTED, accepted_by=by_email, accepted_at=now)
