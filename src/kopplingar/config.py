"""Settings from the environment (prefix ``KOPPLINGAR_``), one model for every process.

Everything has an embedded default so that a first run needs no configuration: data under
``./var``, a SQLite database there, outgoing mail written as ``.eml`` files to the outbox folder.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

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

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'kopplingar.db').resolve()}"

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
