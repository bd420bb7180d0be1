"""The one wrapper around imapclient: connect, list, fetch unread-safely, move, IDLE.

Every server error or socket failure becomes :class:`SourceConnectionError` so the poller
reconnects. Bodies are fetched with ``BODY.PEEK[]`` (a shared mailbox: never mark mail read) after
``RFC822.SIZE``; fetch results are filtered to the UIDs asked for (servers add unsolicited FETCH
responses). Without MOVE: COPY, then ``\\Deleted`` + UID EXPUNGE of exactly those UIDs, never a plain
EXPUNGE, which would also purge mail a person flagged. IDLE has a socket timeout and ends with a
NOOP, because imapclient's ``idle_check`` returns ``[]`` on EOF and a dead link looks like silence.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from imapclient import DELETED, IMAPClient
from imapclient.exceptions import IMAPClientError
from pydantic import SecretStr

from kopplingar.config import Settings
from kopplingar.intake.source import MessageRef, SourceConnectionError

log = logging.getLogger(__name__)
T = TypeVar("T")
FETCH_BATCH = 500
STOP_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    tls: bool = False
    starttls: bool = False
    xoauth2_token: str | None = None
    timeout: float = 60.0

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> ImapConfig:
        """``imap://user:password@host:port/FOLDER``; ``imaps://`` for implicit TLS."""
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps"):
            raise ValueError(f"not an imap:// or imaps:// URL: scheme {parts.scheme!r}")
        values: dict[str, Any] = {
            "host": parts.hostname or "localhost",
            "port": parts.port,
            "user": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "folder": unquote(parts.path.lstrip("/")) or "INBOX",
            "tls": parts.scheme == "imaps",
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["port"] is None:
            values["port"] = 993 if values["tls"] else 143
        return cls(**values)

    @classmethod
    def from_settings(cls, settings: Settings) -> ImapConfig | None:
        """From ``imap_url`` and/or the ``imap_*`` fields (fields win); None when neither is set."""
        if settings.imap_url is not None:
            url = settings.imap_url.get_secret_value()
        elif settings.imap_host is not None:
            url = f"imap://{settings.imap_host}"
        else:
            return None
        return cls.from_url(
            url,
            host=settings.imap_host,
            port=settings.imap_port,
            user=settings.imap_user,
            password=_secret(settings.imap_password),
            folder=settings.imap_folder,
            tls=settings.imap_tls,
            starttls=settings.imap_starttls,
            xoauth2_token=_secret(settings.imap_xoauth2_token),
            timeout=settings.imap_timeout,
        )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (OSError, imaplib.IMAP4.error, IMAPClientError, ssl.SSLError) as exc:
        raise SourceConnectionError(f"{type(exc).__name__}: {exc}") from exc


class ImapSource:
    def __init__(self, config: ImapConfig, folders: tuple[str, ...] = ()) -> None:
        self.config = config
        self.folders = folders
        self.name = f"imap://{config.user}@{config.host}:{config.port}/{config.folder}"
        self.supports_move = True
        self.supports_uidplus = True
        self._client: IMAPClient | None = None

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise SourceConnectionError("not connected")
        return self._client

    def _call(self, fn: Callable[[], T]) -> T:
        with _translated():
            return fn()

    def open(self) -> int:
        self.close()
        cfg = self.config
        with _translated():
            client = IMAPClient(
                cfg.host,
                port=cfg.port,
                ssl=cfg.tls,
                timeout=cfg.timeout,
            )
            self._client = client
            if cfg.starttls:
                client.starttls(ssl.create_default_context())
            if cfg.xoauth2_token:
                client.oauth2_login(cfg.user, cfg.xoauth2_token)
            else:
                client.login(cfg.user, cfg.password)
            for folder in self.folders:
                if not client.folder_exists(folder):
                    try:
                        client.create_folder(folder)
                    except IMAPClientError:
                        if not client.folder_exists(folder):  # lost a race: fine if it exists
                            raise
            info = client.select_folder(cfg.folder)
            self.supports_move = client.has_capability("MOVE")
            self.supports_uidplus = client.has_capability("UIDPLUS")
            return int(info[b"UIDVALIDITY"])

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error, IMAPClientError):
            with suppress(OSError):
                client.shutdown()

    def list_messages(self) -> list[MessageRef]:
        uids = self._call(lambda: self.client.search(["ALL"]))
        refs: list[MessageRef] = []
        for start in range(0, len(uids), FETCH_BATCH):
            batch = list(uids[start : start + FETCH_BATCH])
            wanted = set(batch)
            data = self._call(lambda b=batch: self.client.fetch(b, ["RFC822.SIZE"]))  # type: ignore[misc]
            for uid, item in data.items():
                if uid in wanted and b"RFC822.SIZE" in item:
                    refs.append(MessageRef(uid=str(uid), size=int(item[b"RFC822.SIZE"])))
        return refs

    def _fetch_part(self, uid: str, item: str, key: bytes) -> bytes | None:
        number = int(uid)
        data = self._call(lambda: self.client.fetch([number], [item]))
        entry = data.get(number)
        if not entry or key not in entry:
            return None
        value = entry[key]
        return bytes(value) if value is not None else None

    def fetch(self, uid: str) -> bytes | None:
        return self._fetch_part(uid, "BODY.PEEK[]", b"BODY[]")

    def fetch_headers(self, uid: str) -> bytes | None:
        return self._fetch_part(uid, "BODY.PEEK[HEADER]", b"BODY[HEADER]")

    def move(self, uids: list[str], folder: str) -> None:
        numbers = [int(u) for u in uids]
        self._call(lambda: self.client.move(numbers, folder))

    def copy(self, uids: list[str], folder: str) -> None:
        numbers = [int(u) for u in uids]
        self._call(lambda: self.client.copy(numbers, folder))

    def expunge(self, uids: list[str]) -> None:
        numbers = [int(u) for u in uids]
        self._call(lambda: self.client.add_flags(numbers, [DELETED], silent=True))
        if self.supports_uidplus:
            self._call(lambda: self.client.uid_expunge(numbers))
        else:
            log.warning(
                "%s lacks UIDPLUS: %d copied mails stay flagged \\Deleted for a person to expunge",
                self.name,
                len(numbers),
            )

    def wait_for_change(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """IDLE for up to ``timeout`` seconds; a NOOP afterwards proves the link still lives.

        Within one IDLE the socket is watched in slices of a second, so a shutdown (``stop``)
        is noticed at once without extra commands to the server."""
        client = self.client
        deadline = time.monotonic() + timeout
        with _translated():
            client.idle()
            try:
                responses: list[Any] = []
                while not responses and (left := deadline - time.monotonic()) > 0:
                    if stop is not None and stop.is_set():
                        break
                    responses = list(client.idle_check(timeout=min(left, STOP_CHECK_SECONDS)))
            finally:
                _, after_done = client.idle_done()
            _, after_noop = client.noop()
        # Mail arriving while DONE and NOOP are in flight is announced in their responses.
        responses += list(after_done or []) + list(after_noop or [])
        return any(_announces_mail(r) for r in responses)


def _announces_mail(response: Any) -> bool:
    return (
        isinstance(response, tuple) and len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT")
    )
