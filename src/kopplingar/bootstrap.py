"""The one place that wires real parts together: settings → database, mail transport."""

from __future__ import annotations

from dataclasses import dataclass

from kopplingar.config import Settings
from kopplingar.intake.rawstore import RawStore
from kopplingar.intake.stores import make_stores
from kopplingar.notify.outbox import DeliveryReport, Transport, deliver_pending
from kopplingar.notify.transports import EmlFolderTransport, SmtpTransport
from kopplingar.queue.cases import SettleOptions
from kopplingar.queue.sandbox import ReaderProcess
from kopplingar.queue.worker import Worker
from kopplingar.storage.database import Database
from kopplingar.storage.schema import require_schema_at_head
from kopplingar.validation.rules import Thresholds


@dataclass
class App:
    settings: Settings
    db: Database
    transport: Transport
    documents: RawStore

    def deliver_mail(self) -> DeliveryReport:
        return deliver_pending(self.db, self.transport, self.settings.mail_from)

    def settle_options(self) -> SettleOptions:
        s = self.settings
        return SettleOptions(
            thresholds=Thresholds(
                field=s.field_confidence,
                signature=s.signature_confidence,
                name_exact=s.name_exact_score,
                name_match=s.name_match_score,
                confirmed_pair=s.confirmed_pair_confidence,
            ),
            reply_on_reject=s.reply_on_reject,
        )

    def reader_process(self) -> ReaderProcess:
        s = self.settings
        return ReaderProcess(s.reader, timeout=s.read_timeout_seconds, memory_mb=s.read_memory_mb)

    def worker(self, reader: ReaderProcess) -> Worker:
        return Worker(
            db=self.db,
            documents=self.documents,
            reader=reader,
            options=self.settle_options(),
            lease_seconds=self.settings.lease_seconds,
            after_case=self.deliver_mail,
            shutdown_grace_seconds=self.settings.shutdown_grace_seconds,
        )


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
    db = Database(settings.resolved_database_url, create=settings.auto_migrate)
    if not settings.auto_migrate:
        require_schema_at_head(db.engine)
    _, documents = make_stores(settings, db.engine)
    return App(
        settings=settings,
        db=db,
        transport=make_transport(settings),
        documents=documents,
    )
