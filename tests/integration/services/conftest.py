from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kopplingar.services.registry import load_registry
from kopplingar.storage.database import Database
from kopplingar.validation.registry_file import parse_registry

REGISTRY = Path(__file__).parents[3] / "samples" / "registry.json"
LOADED_AT = datetime(2026, 1, 5, tzinfo=UTC)  # before every moment the tests use


def loaded_database(url: str) -> Database:
    database = Database(url)
    load_registry(database, parse_registry(REGISTRY.read_bytes()), now=LOADED_AT)
    return database


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = loaded_database(database_url)
    yield database
    database.dispose()
