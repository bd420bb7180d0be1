"""Content-addressed bytes in the database: raw mail and documents shared by every host.

A blob is keyed by the SHA-256 of its bytes, so writing it twice is harmless and a key names exactly
one content. Used by :class:`kopplingar.storage.blobs.DatabaseRawStore` when ``KOPPLINGAR_STORE`` is
``database``: then pollers, workers and web processes on several machines read the same bytes, and
the raw mail is written in the same transaction as its ``mails`` row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from kopplingar.storage.base import Base


class BlobRow(Base):
    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
