"""Builds a poller from settings: IMAP when configured, else the embedded Maildir."""

from __future__ import annotations

from kopplingar.config import Settings
from kopplingar.intake.imap import ImapConfig, ImapSource
from kopplingar.intake.ledger import MailLedger
from kopplingar.intake.maildir import MaildirSource
from kopplingar.intake.mime import MimeLimits
from kopplingar.intake.poller import Poller, PollerConfig
from kopplingar.intake.source import MailSource
from kopplingar.intake.stores import make_stores
from kopplingar.intake.zipfiles import ZipLimits
from kopplingar.storage.engine import make_engine
from kopplingar.storage.schema import create_schema, require_schema_at_head


def poller_config(settings: Settings) -> PollerConfig:
    return PollerConfig(
        folder_processed=settings.folder_processed,
        folder_quarantine=settings.folder_quarantine,
        max_mail_bytes=settings.max_mail_bytes,
        limits=MimeLimits(
            max_parts=settings.max_parts,
            max_depth=settings.max_mime_depth,
            zip=ZipLimits(
                max_entries=settings.zip_max_entries,
                max_total_bytes=settings.zip_max_total_bytes,
                max_ratio=settings.zip_max_ratio,
            ),
        ),
        extract_lease_seconds=settings.extract_lease_seconds,
        idle_renew_seconds=settings.idle_renew_seconds,
        poll_interval_seconds=settings.poll_interval_seconds,
    )


def make_source(settings: Settings) -> MailSource:
    folders = (settings.folder_processed, settings.folder_rejected, settings.folder_quarantine)
    imap = ImapConfig.from_settings(settings)
    if imap is not None:
        return ImapSource(imap, folders)
    return MaildirSource(settings.resolved_maildir, folders)


def build_poller(settings: Settings, *, create_tables: bool = True) -> Poller:
    engine = make_engine(settings.resolved_database_url)
    if create_tables and settings.auto_migrate:
        create_schema(engine)
    elif create_tables:
        require_schema_at_head(engine)
    raw_store, document_store = make_stores(settings, engine)
    return Poller(
        source=make_source(settings),
        ledger=MailLedger(engine),
        raw_store=raw_store,
        document_store=document_store,
        config=poller_config(settings),
    )
