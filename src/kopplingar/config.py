"""Settings from the environment (prefix ``KOPPLINGAR_``), one model for every process.

Everything has an embedded default so that a first run needs no configuration: data under
``./var``, a SQLite database there, outgoing mail written as ``.eml`` files to the outbox folder.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KOPPLINGAR_", extra="ignore")

    home: Path = Field(
        default=Path("var"), description="Data folder for the database, mail and files."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is a SQLite file in the data folder."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL of the web app, used in links sent by email.",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Key for HMAC signatures (QR codes, CSRF); generated into the data folder if empty.",
    )
    store: Literal["file", "database"] = Field(
        default="file",
        description="Where raw mail and documents are kept: file (the data folder, one machine) or "
        "database (the shared database, for pollers and workers on several machines).",
    )
    auto_migrate: bool = Field(
        default=True,
        description="Upgrade the database schema when a process starts; false: refuse to start "
        "until `kopplingar db upgrade` has run (several machines, one controlled upgrade).",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines for people (text) or one JSON object a line (json)."
    )
    log_level: str = Field(
        default="INFO",
        pattern="^(DEBUG|INFO|WARNING|ERROR|CRITICAL|debug|info|warning|error|critical)$",
        description="Lowest level logged: DEBUG, INFO, WARNING, ERROR or CRITICAL.",
    )
    consent_valid_days: int = Field(
        default=7, ge=1, description="How long an emailed link is valid."
    )

    mail_from: str = Field(default="kopplingar@fortnox.se", description="Sender of outgoing mail.")
    smtp_host: str | None = Field(default=None, description="SMTP server; unset writes .eml files.")
    smtp_port: int = Field(default=587, description="SMTP port.")
    smtp_user: str | None = Field(default=None, description="SMTP user name.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_security: str = Field(
        default="starttls", pattern="^(none|starttls|tls)$", description="none, starttls or tls."
    )
    smtp_timeout: float = Field(default=30.0, description="Seconds before an SMTP call gives up.")

    # Mail intake (kopplingar.intake): the source is IMAP when imap_url/imap_host is set, else Maildir.
    imap_url: SecretStr | None = Field(
        default=None,
        description="imap://user:password@host:port/FOLDER (imaps:// for TLS); fields below override.",
    )
    imap_host: str | None = Field(default=None, description="IMAP server (instead of imap_url).")
    imap_port: int | None = Field(default=None, description="IMAP port; 143, or 993 with TLS.")
    imap_user: str | None = Field(default=None, description="IMAP user name.")
    imap_password: SecretStr | None = Field(default=None, description="IMAP password.")
    imap_folder: str | None = Field(default=None, description="Folder to read; default INBOX.")
    imap_tls: bool | None = Field(default=None, description="Implicit TLS (imaps).")
    imap_starttls: bool = Field(
        default=False, description="Upgrade a plain connection with STARTTLS."
    )
    imap_xoauth2_token: SecretStr | None = Field(
        default=None, description="OAuth2 access token: log in with XOAUTH2 instead of a password."
    )
    imap_timeout: float = Field(default=60.0, gt=0, description="Socket timeout for IMAP calls.")
    maildir: Path | None = Field(
        default=None,
        description="Maildir to read when no IMAP server is set; default HOME/maildir.",
    )
    folder_processed: str = Field(default="Behandlade", description="Folder for accepted mail.")
    folder_rejected: str = Field(default="Avvisade", description="Folder the case queue may use.")
    folder_quarantine: str = Field(default="Karantän", description="Folder for hostile mail.")
    max_mail_bytes: int = Field(default=25_000_000, gt=0, description="Larger mail is quarantined.")
    max_parts: int = Field(default=200, gt=0, description="More MIME parts is quarantined.")
    max_mime_depth: int = Field(default=8, gt=0, description="Deeper nesting is quarantined.")
    zip_max_entries: int = Field(default=100, gt=0, description="Entries allowed in one zip.")
    zip_max_total_bytes: int = Field(
        default=100_000_000, gt=0, description="Unzipped bytes allowed."
    )
    zip_max_ratio: int = Field(default=200, gt=0, description="Largest compression ratio allowed.")
    idle_renew_seconds: float = Field(
        default=540.0, gt=0, description="Re-issue IMAP IDLE this often (well under 29 minutes)."
    )
    poll_interval_seconds: float = Field(
        default=300.0, gt=0, description="Full UID SEARCH backstop interval while idling."
    )
    extract_lease_seconds: float = Field(
        default=300.0, ge=0, description="A stored mail left unextracted this long is retried."
    )

    # Case queue (kopplingar.queue) and the decision thresholds (kopplingar.validation).
    reader: str = Field(
        default="kopplingar.forms.reader:read_document",
        description="module:function that reads a document into form readings (runs in a child process).",
    )
    read_timeout_seconds: float = Field(
        default=120.0, gt=0, description="Wall time allowed to read one document."
    )
    read_memory_mb: int = Field(
        default=2048, ge=256, description="Memory allowed to the reading process."
    )
    lease_seconds: float = Field(
        default=600.0, gt=0, description="A claimed case is taken over after this long."
    )
    shutdown_grace_seconds: float = Field(
        default=20.0,
        ge=0,
        description="On SIGTERM a reading in progress may finish within this long; after it the "
        "case is released, untouched, for another worker.",
    )
    reply_on_reject: bool = Field(
        default=True,
        description="Reply to the sender at once on an automatic rejection (else a person decides).",
    )
    field_confidence: float = Field(
        default=0.90, ge=0, le=1, description="A value below this goes to a person."
    )
    signature_confidence: float = Field(
        default=0.98, ge=0, le=1, description="Same, for signature presence."
    )
    name_exact_score: float = Field(
        default=95.0, ge=0, le=100, description="Name match score that authorises a signer."
    )
    name_match_score: float = Field(
        default=80.0, ge=0, le=100, description="Below exact but above this: a person decides."
    )
    confirmed_pair_confidence: float = Field(
        default=0.60,
        ge=0,
        le=1,
        description="Org and subscription numbers that agree in the registry need only this.",
    )

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'kopplingar.db').resolve()}"

    @property
    def mail_dir(self) -> Path:
        """Content-addressed raw mail and extracted documents."""
        return self.home / "mail"

    @property
    def resolved_maildir(self) -> Path:
        return self.maildir or self.home / "maildir"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    def secret_bytes(self) -> bytes:
        """The HMAC key: configured, or created once in the data folder (mode 600)."""
        configured = self.secret_key.get_secret_value()
        if configured:
            return configured.encode()
        path = self.home / "secret.key"
        if not path.exists():
            import secrets

            self.home.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secrets.token_hex(32))
            tmp.chmod(0o600)
            tmp.replace(path)
        return path.read_text().strip().encode()
