"""The port every mail source implements (IMAP, Maildir), so one poller logic serves both."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol


class SourceConnectionError(Exception):
    """The link to the source broke or misbehaved: the poller reconnects with backoff."""


@dataclass(frozen=True)
class MessageRef:
    uid: str
    size: int


class MailSource(Protocol):
    name: str
    """Stable identity of the mailbox, part of every location key."""

    supports_move: bool
    """True when a move is one atomic step; else copy, then expunge exactly the moved UIDs."""

    def open(self) -> int:
        """Connect (again) and select the folder; returns its UIDVALIDITY (0 where none exists)."""
        ...

    def close(self) -> None: ...

    def list_messages(self) -> list[MessageRef]:
        """Everything in the folder now, with sizes, without reading bodies or setting flags."""
        ...

    def fetch(self, uid: str) -> bytes | None:
        """The raw mail without marking it read; None if it has gone meanwhile."""
        ...

    def fetch_headers(self, uid: str) -> bytes | None: ...

    def move(self, uids: list[str], folder: str) -> None: ...

    def copy(self, uids: list[str], folder: str) -> None: ...

    def expunge(self, uids: list[str]) -> None:
        """Remove exactly these messages (``\\Deleted`` + UID EXPUNGE), never others."""
        ...

    def wait_for_change(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """Block up to ``timeout`` seconds, or until ``stop`` is set (within about a second);
        True when the folder may have new mail."""
        ...
