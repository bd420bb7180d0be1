"""The one place that wires real parts together: settings → database, mail transport."""

from __future__ import annotations

from dataclasses import dataclass

from kopplingar.config import Settings
from kopplingar.notify.outbox import DeliveryReport, Transport, deliver_pending
from kopplingar.notify.transports import EmlFolderTransport, SmtpTransport
from kopplingar.storage.database import Database


@dataclass
class App:
    settings: Settings
    db: Database
    transport: Transport

    def deliver_mail(self) -> DeliveryReport:
        return deliver_pending(self.db, self.transport, self.settings.mail_from)


def make_transport(settings: Settings) -> Transport:
    if settings.smtp_host:
        return SmtpTransport(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout,
        )
    return EmlFolderTransport(settings.outbox_dir)


def build(settings: Settings | None = None) -> App:
    settings = settings or Settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    return App(
        settings=settings,
        db=Database(settings.resolved_database_url),
        transport=make_transport(settings),
    )
