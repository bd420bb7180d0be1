"""/readyz: each check against the real thing (database revision, Dovecot, tesseract, folders)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient

from kopplingar.bootstrap import App
from kopplingar.storage.schema import alembic_config
from kopplingar.web.app import create_app
from tests.integration.queue.helpers import make_app
from tests.support.dovecot import DovecotServer, start_dovecot
from tests.support.ports import free_port


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()


def ready(app: App) -> tuple[int, dict[str, dict[str, object]]]:
    response = TestClient(create_app(app)).get("/readyz")
    body = response.json()
    assert body["status"] == ("ready" if response.status_code == 200 else "not_ready")
    return response.status_code, body["checks"]


def failing(checks: dict[str, dict[str, object]]) -> set[str]:
    return {name for name, check in checks.items() if not check["ok"]}


def test_embedded_defaults_ready_once_the_maildir_exists(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    status, checks = ready(app)
    assert (status, failing(checks)) == (503, {"mailbox"})
    assert "does not exist" in str(checks["mailbox"]["detail"])
    (tmp_path / "maildir").mkdir()
    status, checks = ready(app)
    assert (status, failing(checks)) == (200, set())
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"schema at {head}" in str(checks["database"]["detail"])
    assert "writable" in str(checks["outbox"]["detail"])


def test_a_schema_behind_the_code_is_not_ready(tmp_path: Path, database_url: str) -> None:
    app = make_app(tmp_path, database_url)
    (tmp_path / "maildir").mkdir()
    with app.db.engine.connect() as connection:
        command.downgrade(alembic_config(connection), "0004")
        connection.commit()
    status, checks = ready(app)
    assert (status, failing(checks)) == (503, {"database"})
    assert "kopplingar db upgrade" in str(checks["database"]["detail"])


def test_tesseract_missing_is_not_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path)
    (tmp_path / "maildir").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract program on the PATH
    status, checks = ready(app)
    assert (status, failing(checks)) == (503, {"tesseract"})


def test_imap_login_and_noop(tmp_path: Path, dovecot: DovecotServer) -> None:
    good = make_app(tmp_path / "good", imap_url=dovecot.url)
    status, checks = ready(good)
    assert (status, failing(checks)) == (200, set())
    assert str(checks["mailbox"]["detail"]).startswith("IMAP kopplingar@127.0.0.1")

    wrong = make_app(tmp_path / "wrong", imap_url=dovecot.url, imap_password="not-the-password")
    status, checks = ready(wrong)
    assert (status, failing(checks)) == (503, {"mailbox"})

    closed = make_app(tmp_path / "closed", imap_url=f"imap://u:p@127.0.0.1:{free_port()}/INBOX")
    started = time.monotonic()
    status, checks = ready(closed)
    assert (status, failing(checks)) == (503, {"mailbox"})
    assert time.monotonic() - started < 10
