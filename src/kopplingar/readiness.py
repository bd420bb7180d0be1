"""Readiness: can this installation do its work now? (Liveness is ``/healthz``: the process answers.)

Checks, each with a short time limit, run side by side:
- ``database``: ``SELECT 1`` and the schema at the newest migration this code ships.
- ``mailbox``: IMAP login and NOOP when IMAP is configured; else the Maildir folder exists and is
  writable.
- ``tesseract``: the program, the tesserocr binding and the Swedish language data are present.
- ``outbox``: SMTP is configured, or the outbox folder is writable.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import ssl
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from kopplingar.config import Settings
from kopplingar.storage.database import Database
from kopplingar.storage.schema import current_revision, head_revision

CHECK_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    seconds: float = 0.0


def database(db: Database) -> Check:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    current, head = current_revision(db.engine), head_revision()
    if current != head:
        return Check(
            False, f"schema at {current or 'none'}, code needs {head}: kopplingar db upgrade"
        )
    return Check(True, f"{db.dialect}, schema at {current}")


def mailbox(settings: Settings, timeout: float = CHECK_TIMEOUT_SECONDS) -> Check:
    from kopplingar.intake.imap import ImapConfig

    config = ImapConfig.from_settings(settings)
    if config is None:
        folder = settings.resolved_maildir
        if not folder.is_dir():
            return Check(False, f"Maildir {folder} does not exist")
        return _writable(folder, "Maildir")
    from imapclient import IMAPClient

    client = IMAPClient(
        config.host, port=config.port, ssl=config.tls, timeout=min(timeout, config.timeout)
    )
    try:
        if config.starttls:
            client.starttls(ssl.create_default_context())
        if config.xoauth2_token:
            client.oauth2_login(config.user, config.xoauth2_token)
        else:
            client.login(config.user, config.password)
        client.noop()
    finally:
        with contextlib.suppress(Exception):  # closing after a failed check: that is reported
            client.logout()
    return Check(True, f"IMAP {config.user}@{config.host}:{config.port}")


def tesseract() -> Check:
    from kopplingar.forms.tesseract import tessdata_dir

    program = shutil.which("tesseract")
    if program is None:
        return Check(
            False, "the tesseract program is not installed (apt-get install tesseract-ocr)"
        )
    if importlib.util.find_spec("tesserocr") is None:
        return Check(False, "the tesserocr binding is not installed")
    return Check(True, f"{program}, Swedish data in {tessdata_dir()}")


def outbox(settings: Settings) -> Check:
    if settings.smtp_host:
        return Check(True, f"SMTP {settings.smtp_host}:{settings.smtp_port}")
    folder = settings.outbox_dir
    folder.mkdir(parents=True, exist_ok=True)
    return _writable(folder, "outbox")


def _writable(folder: Path, what: str) -> Check:
    """Writable in fact, not only by permission bits: create and remove a file."""
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".readyz-", delete=True) as probe:
        probe.write(b"ok")
        probe.flush()
        os.fsync(probe.fileno())
    return Check(True, f"{what} {folder} writable")


def run_checks(
    settings: Settings, db: Database, timeout: float = CHECK_TIMEOUT_SECONDS
) -> dict[str, Any]:
    """Every check at once; a check that raises or overruns ``timeout`` fails with the reason."""
    checks: dict[str, Callable[[], Check]] = {
        "database": lambda: database(db),
        "mailbox": lambda: mailbox(settings, timeout),
        "tesseract": tesseract,
        "outbox": lambda: outbox(settings),
    }
    results: dict[str, Check] = {}
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    try:
        started = time.monotonic()
        futures = {name: pool.submit(_timed, check) for name, check in checks.items()}
        for name, future in futures.items():
            left = max(0.0, timeout + 1.0 - (time.monotonic() - started))
            try:
                results[name] = future.result(timeout=left)
            except FutureTimeoutError:
                results[name] = Check(False, f"no answer within {timeout:.0f} s", timeout)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # an overrunning check is not waited for
    ready = all(check.ok for check in results.values())
    return {
        "status": "ready" if ready else "not_ready",
        "checks": {name: asdict(check) for name, check in results.items()},
    }


def _timed(check: Callable[[], Check]) -> Check:
    started = time.monotonic()
    try:
        result = check()
    except Exception as error:  # a failed check is a finding, reported with its cause
        result = Check(False, f"{type(error).__name__}: {error}"[:500])
    return Check(result.ok, result.detail, round(time.monotonic() - started, 3))
