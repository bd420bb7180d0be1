"""Fixtures: a real Dovecot per test (started here, never skipped) and intake settings for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kopplingar.config import Settings
from tests.support.dovecot import DovecotServer, start_dovecot


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dovecot_without_move() -> Iterator[DovecotServer]:
    server = start_dovecot(without_move=True)
    try:
        yield server
    finally:
        server.stop()


def intake_env(home: Path, server: DovecotServer, database_url: str) -> dict[str, str]:
    """Environment for a ``kopplingar poll`` subprocess against ``server``."""
    return {
        "KOPPLINGAR_HOME": str(home),
        "KOPPLINGAR_DATABASE_URL": database_url,
        "KOPPLINGAR_IMAP_URL": server.url,
        "KOPPLINGAR_IMAP_TIMEOUT": "10",
    }


def intake_settings(
    home: Path, server: DovecotServer, database_url: str, **extra: object
) -> Settings:
    return Settings(
        home=home,
        database_url=database_url,
        imap_url=server.url,
        imap_timeout=10,
        idle_renew_seconds=1,
        **extra,  # type: ignore[arg-type]
    )
