"""Content-addressed, durable storage of raw mail and extracted documents.

A key is the SHA-256 of the bytes. A write is acknowledged only after the file is fsynced, renamed
into place and its directory fsynced (as Maildir and Postfix do), so a committed database row never
points at bytes a crash could lose. :class:`RawStore` is the port; the shared store for several
hosts is :class:`kopplingar.storage.blobs.DatabaseRawStore`, which can also write within the
caller's transaction (:class:`TransactionalRawStore`), so a raw mail commits with its record.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class RawStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store durably; returns the key (idempotent: the same bytes give the same key)."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; raises KeyError if absent or damaged."""
        ...


class TransactionalRawStore(RawStore, Protocol):
    """A store living in the database: it can write inside a transaction the caller commits."""

    def put_in(self, session: Session, data: bytes) -> str:
        """Stage ``data`` in ``session``'s transaction; returns the key (the SHA-256)."""
        ...


def writes_in_transaction(store: RawStore) -> TransactionalRawStore | None:
    """The store, when it can write in the caller's transaction; else None."""
    return store if callable(getattr(store, "put_in", None)) else None  # type: ignore[return-value]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileRawStore:
    """Files under ``root/ab/cd/<sha256>``; temp files under ``root/tmp`` on the same file system."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise KeyError(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        key = sha256_hex(data)
        final = self.path_for(key)
        if final.exists() and final.stat().st_size == len(data):
            return key
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = tmp_dir / f"{key}.{uuid.uuid4().hex}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)
        fsync_dir(final.parent)
        return key

    def get(self, key: str) -> bytes:
        try:
            data = self.path_for(key).read_bytes()
        except FileNotFoundError as exc:
            raise KeyError(key) from exc
        if sha256_hex(data) != key:
            raise KeyError(f"{key}: stored bytes are damaged")
        return data


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (the directory entry itself is fsynced)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
