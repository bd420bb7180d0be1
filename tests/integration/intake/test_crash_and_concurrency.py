"""kill -9 at every step, two pollers at once, and a 1,000-mail backlog, against real Dovecot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kopplingar.intake.rawstore import FileRawStore
from kopplingar.intake.wiring import build_poller
from kopplingar.storage.engine import make_engine
from kopplingar.storage.schema import create_schema
from tests.integration.intake.conftest import intake_env, intake_settings
from tests.support.dovecot import DovecotServer
from tests.support.intake_checks import report
from tests.support.mails import form_mail

SRC = str(Path(__file__).resolve().parents[3] / "src")


def _poll_once(env: dict[str, str], fault: str | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "PYTHONPATH": SRC}
    full.pop("KOPPLINGAR_FAULT_AFTER", None)
    if fault:
        full["KOPPLINGAR_FAULT_AFTER"] = fault
    return subprocess.run(
        [sys.executable, "-m", "kopplingar.cli", "poll", "--once", "--json"],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("step", ["fetched", "stored", "committed", "extracted", "moved"])
def test_kill_at_each_step_then_restart(tmp_path: Path, dovecot: DovecotServer, step: str) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    mails = [form_mail(f"{step}{i}") for i in range(3)]
    dovecot.append_many(mails)
    env = {**intake_env(tmp_path, dovecot, url), "KOPPLINGAR_EXTRACT_LEASE_SECONDS": "0"}

    crashed = _poll_once(env, fault=step)
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    restarted = _poll_once(env)
    assert restarted.returncode == 0, restarted.stderr[-2000:]

    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids("Behandlade")) == 3
    result = report(make_engine(url), FileRawStore(tmp_path / "mail" / "raw"), mails)
    assert (result.lost, result.doubled, result.documents) == (0, 0, 3)
    assert result.states == {"ready": 3}


@pytest.mark.parametrize("step", ["copied", "extracted"])
def test_kill_without_move_then_restart(
    tmp_path: Path, dovecot_without_move: DovecotServer, step: str
) -> None:
    server = dovecot_without_move
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    mails = [form_mail(f"nm-{step}{i}") for i in range(3)]
    server.append_many(mails)
    env = {**intake_env(tmp_path, server, url), "KOPPLINGAR_EXTRACT_LEASE_SECONDS": "0"}

    assert _poll_once(env, fault=step).returncode == 137
    assert _poll_once(env).returncode == 0

    assert server.uids("INBOX") == []
    assert len(server.uids("Behandlade")) == 3  # copied once: the restart only expunged
    result = report(make_engine(url), FileRawStore(tmp_path / "mail" / "raw"), mails)
    assert (result.lost, result.doubled) == (0, 0)


def test_two_pollers_at_once_hand_over_each_mail_once(
    tmp_path: Path, dovecot: DovecotServer, database_url: str
) -> None:
    mails = [form_mail(f"two{i}") for i in range(60)]
    dovecot.append_many(mails)
    create_schema(make_engine(database_url))  # both pollers start on an existing schema
    env = intake_env(tmp_path, dovecot, database_url)
    full = {**os.environ, **env, "PYTHONPATH": SRC}
    argv = [sys.executable, "-m", "kopplingar.cli", "poll", "--once", "--json"]
    procs = [
        subprocess.Popen(argv, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-1500:] for _, err in outputs]
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    # Whatever one poller left pending (the other was extracting it), a later pass files.
    final = _poll_once(env)
    assert final.returncode == 0, final.stderr[-1500:]

    assert sum(s["stored"] for s in summaries) == 60
    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids("Behandlade")) == 60
    result = report(make_engine(database_url), FileRawStore(tmp_path / "mail" / "raw"), mails)
    assert (result.lost, result.doubled, result.documents) == (0, 0, 60)
    print(f"two pollers: {summaries}")


@pytest.mark.slow
def test_backlog_of_1000_mails(tmp_path: Path, dovecot: DovecotServer) -> None:
    url = f"sqlite:///{tmp_path / 'backlog.db'}"
    mails = [form_mail(f"b{i:04d}") for i in range(1000)]
    dovecot.append_many(mails)
    poller = build_poller(intake_settings(tmp_path, dovecot, url))
    started = time.monotonic()
    poller.open()
    summary = poller.poll_once()
    poller.source.close()
    elapsed = time.monotonic() - started
    print(f"backlog: 1000 mails in {elapsed:.1f}s ({summary.as_dict()})")

    assert (summary.stored, summary.ready, summary.moved, summary.errors) == (1000, 1000, 1000, 0)
    assert dovecot.uids("INBOX") == []
    result = report(poller.ledger.engine, FileRawStore(tmp_path / "mail" / "raw"), mails)
    assert (result.lost, result.doubled, result.documents) == (0, 0, 1000)
