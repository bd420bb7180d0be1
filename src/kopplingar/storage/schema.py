"""Create or upgrade the database schema with Alembic, safely from several processes at once."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_ID = 0x6B6F7070  # PostgreSQL advisory lock key for schema upgrades ("kopp")
_IN_PROCESS = (
    threading.Lock()
)  # Alembic loads env.py as a module: one upgrade per process at a time


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def create_schema(engine: Engine) -> None:
    """Bring the database to the newest revision (a no-op when it is there already)."""
    with _IN_PROCESS, engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_ID})
            connection.commit()
        try:
            # SQLite has no advisory lock, and Alembic commits each migration on its own there
            # (no transactional DDL assumed), so a second process could read the revision between
            # two of our migrations and repeat the next one. One outer transaction (BEGIN
            # IMMEDIATE: engine.py) holds the write lock from reading the revision to the last step.
            with connection.begin():
                command.upgrade(alembic_config(connection), "head")
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_ID})
                connection.commit()


def schema_drift(engine: Engine) -> list[object]:
    """Differences between the tables in code and the migrated database (empty when in step)."""
    from kopplingar.storage import tables  # noqa: F401
    from kopplingar.storage.base import Base

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


class SchemaNotAtHeadError(RuntimeError):
    """The database is at another revision than this code expects: run ``kopplingar db upgrade``."""


def head_revision() -> str | None:
    """The newest migration this code ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_schema_at_head(engine: Engine) -> None:
    """For processes that do not migrate on start (``KOPPLINGAR_AUTO_MIGRATE=false``)."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaNotAtHeadError(
            f"the database is at revision {current or 'none'}, this version needs {head}: "
            "run `kopplingar db upgrade`"
        )
