"""A local Maildir as the embedded mail source, so the demo and a first try need no mail server.

Unprocessed mail is whatever lies in ``new/`` or ``cur/`` (people reading the shared folder move
mail to ``cur/``; that does not make it processed). Processing moves a file by ``rename`` into a
Maildir++ sub-folder per outcome (``.Behandlade/cur/``), named as Dovecot names folders (modified
UTF-7), so the same tree can be served by Dovecot. The unique file name, without its ``:2,`` flags,
is the UID; Maildir has no UIDVALIDITY (0).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from imapclient import imap_utf7

from kopplingar.intake.rawstore import fsync_dir
from kopplingar.intake.source import MessageRef

SUBDIRS = ("tmp", "new", "cur")


def ensure_maildir(path: Path) -> None:
    for sub in SUBDIRS:
        (path / sub).mkdir(parents=True, exist_ok=True)


def folder_path(root: Path, folder: str) -> Path:
    encoded = imap_utf7.encode(folder).decode("ascii")
    return root / f".{encoded}"


class MaildirSource:
    supports_move = True

    def __init__(self, root: Path, folders: tuple[str, ...] = ()) -> None:
        self.root = Path(root)
        self.folders = folders
        self.name = f"maildir:{self.root.resolve()}"
        self._snapshot: frozenset[str] = frozenset()

    def open(self) -> int:
        ensure_maildir(self.root)
        for folder in self.folders:
            ensure_maildir(folder_path(self.root, folder))
        return 0

    def close(self) -> None:
        return None

    def _files(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for sub in ("new", "cur"):
            with os.scandir(self.root / sub) as entries:
                for entry in entries:
                    if not entry.name.startswith(".") and entry.is_file():
                        found[entry.name.split(":", 1)[0]] = Path(entry.path)
        return found

    def list_messages(self) -> list[MessageRef]:
        refs = []
        for uid, path in sorted(self._files().items()):
            try:
                refs.append(MessageRef(uid=uid, size=path.stat().st_size))
            except FileNotFoundError:
                continue
        return refs

    def _path(self, uid: str) -> Path | None:
        for candidate in (self.root / "new" / uid, *(self.root / "cur").glob(f"{uid}:*")):
            if candidate.exists():
                return candidate
        cur = self.root / "cur" / uid
        return cur if cur.exists() else None

    def fetch(self, uid: str) -> bytes | None:
        path = self._path(uid)
        if path is None:
            return None
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def fetch_headers(self, uid: str) -> bytes | None:
        path = self._path(uid)
        if path is None:
            return None
        try:
            with path.open("rb") as handle:
                head = handle.read(256 * 1024)
        except FileNotFoundError:
            return None
        for separator in (b"\r\n\r\n", b"\n\n"):
            index = head.find(separator)
            if index >= 0:
                return head[: index + len(separator)]
        return head

    def move(self, uids: list[str], folder: str) -> None:
        target = folder_path(self.root, folder)
        ensure_maildir(target)
        touched: set[Path] = set()
        for uid in uids:
            path = self._path(uid)
            if path is None:
                continue  # moved already (another poller, or a person)
            info = path.name.split(":", 1)[1] if ":" in path.name else "2,"
            try:
                os.rename(path, target / "cur" / f"{uid}:{info}")
            except FileNotFoundError:
                continue
            touched.add(path.parent)
        if touched:
            touched.add(target / "cur")
        for directory in touched:
            fsync_dir(directory)

    def copy(self, uids: list[str], folder: str) -> None:
        self.move(uids, folder)

    def expunge(self, uids: list[str]) -> None:
        return None

    def wait_for_change(self, timeout: float, stop: threading.Event | None = None) -> bool:
        deadline = time.monotonic() + timeout
        while stop is None or not stop.is_set():
            current = frozenset(self._files())
            if current - self._snapshot:
                self._snapshot = current
                return True
            self._snapshot = current
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        return False


def deliver(root: Path, raw: bytes) -> str:
    """Write a mail into ``root/new`` the Maildir way (tmp, fsync, rename); returns its name."""
    import socket
    import uuid

    ensure_maildir(root)
    name = f"{time.time_ns()}.{uuid.uuid4().hex}.{socket.gethostname()}"
    tmp = root / "tmp" / name
    with tmp.open("wb") as handle:
        handle.write(raw)
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(tmp, root / "new" / name)
    fsync_dir(root / "new")
    return name
