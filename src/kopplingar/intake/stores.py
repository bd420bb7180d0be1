"""Chooses the stores for raw mail and documents from settings (``KOPPLINGAR_STORE``).

``file``: folders under the data folder, for one machine. ``database``: the ``blobs`` table of
the shared database, so every host reads what any host stored, and raw mail commits with its record.
"""

from __future__ import annotations

from sqlalchemy import Engine

from kopplingar.config import Settings
from kopplingar.intake.rawstore import FileRawStore, RawStore


def make_stores(settings: Settings, engine: Engine) -> tuple[RawStore, RawStore]:
    """(raw mail store, document store)."""
    if settings.store == "database":
        from kopplingar.storage.blobs import DatabaseRawStore

        shared = DatabaseRawStore(engine)
        return shared, shared
    return FileRawStore(settings.mail_dir / "raw"), FileRawStore(settings.mail_dir / "documents")
