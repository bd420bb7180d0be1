"""Where outgoing mail goes: ``.eml`` files in the outbox folder, or an SMTP server.

The SMTP transport is the one module that talks SMTP (smtplib), with STARTTLS or implicit TLS and
an optional login; a timeout on every call so a dead server cannot hang a worker.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path


class EmlFolderTransport:
    """Writes each mail atomically as ``<Message-ID>.eml``, the embedded default."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        message_id = str(message["Message-ID"] or "mail").strip("<>")
        safe = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in message_id)
        target = self.folder / f"{safe}.eml"
        tmp = target.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            handle.write(message.as_bytes())
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(target)


class SmtpTransport:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.timeout = user, password, timeout

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.security == "tls":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(message)
