"""``kopplingar db current`` and ``db upgrade``: the upgrade path of a deployment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command

from kopplingar.storage.database import Database
from kopplingar.storage.schema import alembic_config, head_revision

SRC = str(Path(__file__).resolve().parents[3] / "src")


def cli(tmp_path: Path, url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kopplingar.cli", *args],
        env={
            **os.environ,
            "PYTHONPATH": SRC,
            "KOPPLINGAR_HOME": str(tmp_path),
            "KOPPLINGAR_DATABASE_URL": url,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_upgrade_path_and_processes_that_refuse_an_old_schema(
    tmp_path: Path, database_url: str
) -> None:
    db = Database(database_url)
    with db.engine.connect() as connection:  # as if the database were left by the last release
        command.downgrade(alembic_config(connection), "0004")
        connection.commit()
    head = head_revision()

    behind = cli(tmp_path, database_url, "db", "current", "--json", "--check")
    assert behind.returncode == 1
    assert json.loads(behind.stdout) == {"current": "0004", "head": head, "up_to_date": False}

    # with auto-migration off, a service of the new version will not start on the old schema
    refused = cli(tmp_path, database_url, "cases", "--json", KOPPLINGAR_AUTO_MIGRATE="false")
    assert refused.returncode == 3 and "kopplingar db upgrade" in refused.stderr
    assert "Traceback" not in refused.stderr

    upgraded = cli(tmp_path, database_url, "db", "upgrade", "--json")
    assert upgraded.returncode == 0, upgraded.stderr
    assert json.loads(upgraded.stdout) == {"from": "0004", "to": head, "changed": True}
    again = cli(tmp_path, database_url, "db", "upgrade", "--json")
    assert json.loads(again.stdout)["changed"] is False

    assert cli(tmp_path, database_url, "db", "current", "--check").returncode == 0
    started = cli(tmp_path, database_url, "cases", "--json", KOPPLINGAR_AUTO_MIGRATE="false")
    assert started.returncode == 0, started.stderr


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    result = cli(
        tmp_path,
        "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2",
        "db",
        "current",
        "--json",
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["code"] == "database_unavailable"
