"""Server-side web sessions: a random id in an HttpOnly cookie, only its SHA-256 in the database.

A session holds a principal (kind and id), so the review desk's staff users can sign in through the
same mechanism. Sessions end after an absolute lifetime or when idle too long; signing out deletes
the row, so a copied cookie is useless afterwards.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from kopplingar.domain.consent import hash_token
from kopplingar.services.accounts import Principal
from kopplingar.storage.auth_tables import WebSessionRow
from kopplingar.storage.database import Database
from kopplingar.storage.repository import as_utc

COOKIE = "kopplingar_session"
LIFETIME = timedelta(hours=10)
IDLE = timedelta(hours=2)
_TOUCH_EVERY = timedelta(minutes=1)  # write last_seen at most this often


class SessionStore:
    def __init__(self, db: Database, *, lifetime: timedelta = LIFETIME, idle: timedelta = IDLE):
        self.db, self.lifetime, self.idle = db, lifetime, idle

    def create(self, principal: Principal, *, now: datetime | None = None) -> str:
        """A fresh session (never reuses an id from before sign-in: no session fixation)."""
        now = now or datetime.now(UTC)
        raw = secrets.token_urlsafe(32)
        with self.db.transaction() as session:
            session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
            session.add(
                WebSessionRow(
                    id_hash=hash_token(raw),
                    principal_kind=principal.kind,
                    principal_id=principal.id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self.lifetime,
                )
            )
        return raw

    def load(self, raw: str | None, *, now: datetime | None = None) -> Principal | None:
        if not raw or len(raw) > 100:
            return None
        now = now or datetime.now(UTC)
        with self.db.transaction() as session:
            row = session.get(WebSessionRow, hash_token(raw))
            if row is None:
                return None
            expires, seen = as_utc(row.expires_at), as_utc(row.last_seen_at)
            assert expires is not None and seen is not None
            if expires <= now or seen + self.idle <= now:
                session.delete(row)
                return None
            if now - seen >= _TOUCH_EVERY:
                row.last_seen_at = now
            return Principal(row.principal_kind, row.principal_id)

    def delete(self, raw: str | None) -> None:
        if raw and len(raw) <= 100:
            with self.db.transaction() as session:
                session.execute(
                    delete(WebSessionRow).where(WebSessionRow.id_hash == hash_token(raw))
                )
