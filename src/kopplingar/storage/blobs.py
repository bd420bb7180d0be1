"""The database as the raw store: what a case needs is reachable from every host.

The embedded default keeps bytes in files under the data folder (:class:`FileRawStore`), which only
the machine holding that folder can read. With ``KOPPLINGAR_STORE=database`` the bytes live in the
``blobs`` table of the shared database instead, and :meth:`DatabaseRawStore.put_in` writes them in
the caller's transaction: the intake ledger stores a raw mail together with its ``mails`` row, so a
committed mail always has its bytes and a rolled-back one leaves none behind.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, Insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kopplingar.intake.rawstore import sha256_hex
from kopplingar.storage.blob_tables import BlobRow


class DatabaseRawStore:
    """Content-addressed bytes in the ``blobs`` table (bytea on PostgreSQL, BLOB on SQLite)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, data: bytes) -> str:
        """Store in a transaction of its own; returns the SHA-256 key."""
        with Session(self.engine) as session, session.begin():
            return self.put_in(session, data)

    def put_in(self, session: Session, data: bytes) -> str:
        """Store within ``session``'s transaction: the bytes commit or roll back with it.

        An insert that does nothing on conflict, so concurrent writers of the same bytes (two
        pollers racing for one mail) neither fail nor duplicate: on PostgreSQL the second waits for
        the first's transaction and then finds the row.
        """
        key = sha256_hex(data)
        values = {
            "sha256": key,
            "size": len(data),
            "data": data,
            "created_at": datetime.now(UTC),
        }
        statement = _insert_ignoring_conflict(session, values)
        if statement is not None:
            session.execute(statement)
        elif session.get(BlobRow, key) is None:  # another database: best effort, still keyed
            with session.begin_nested():
                session.add(BlobRow(**values))
        return key

    def get(self, key: str) -> bytes:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise KeyError(key)
        with Session(self.engine) as session:
            data = session.scalar(select(BlobRow.data).where(BlobRow.sha256 == key))
        if data is None:
            raise KeyError(key)
        data = bytes(data)
        if sha256_hex(data) != key:
            raise KeyError(f"{key}: stored bytes are damaged")
        return data


def _insert_ignoring_conflict(session: Session, values: dict[str, object]) -> Insert | None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(BlobRow).values(**values).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(BlobRow).values(**values).on_conflict_do_nothing()
    return None
