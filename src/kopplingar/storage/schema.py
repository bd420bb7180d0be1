"""Create or upgrade the database schema."""

from __future__ import annotations

from sqlalchemy import Engine


def create_schema(engine: Engine) -> None:
    """Bring the database to the current schema (tables from every registered table module)."""
    from kopplingar.storage import tables  # noqa: F401  (registers the tables on Base.metadata)
    from kopplingar.storage.base import Base

    Base.metadata.create_all(engine)
