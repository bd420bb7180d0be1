"""``kopplingar work`` and ``poll`` under SIGTERM and SIGKILL: a real process, a real signal, a real database.

SIGTERM while reading: a reading that ends within the grace period is settled; a longer one is
stopped and the case released for another worker at once. SIGKILL: nothing half-applied; the case
is taken again after its lease and applied exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kopplingar.bootstrap import App
from kopplingar.intake.maildir import deliver
from kopplingar.queue.cases import enqueue_file
from kopplingar.storage.case_tables import CaseEventRow, CaseRow
from kopplingar.storage.database import Database
from kopplingar.storage.mail_tables import MailRow
from kopplingar.storage.registry_tables import OperationRow
from tests.integration.queue.helpers import form, make_app
from tests.support.dovecot import start_dovecot
from tests.support.mails import form_mail
from tests.support.readers import DELAY_ENV, MARKER_ENV, scripted_document

SRC = str(Path(__file__).resolve().parents[3] / "src")
ROOT = str(Path(__file__).resolve().parents[3])


def _start_worker(app: App, *, delay: float, grace: float, lease: float) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([SRC, ROOT]),
        "KOPPLINGAR_HOME": str(app.settings.home),
        "KOPPLINGAR_DATABASE_URL": app.settings.resolved_database_url,
        "KOPPLINGAR_READER": "tests.support.readers:slow_scripted",
        "KOPPLINGAR_SHUTDOWN_GRACE_SECONDS": str(grace),
        "KOPPLINGAR_LEASE_SECONDS": str(lease),
        DELAY_ENV: str(delay),
        MARKER_ENV: str(app.settings.home / "reading.started"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "kopplingar.cli", "--log-json", "work"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the reading child goes down with it
    )


def _case(app: App, case_id: int) -> CaseRow:
    with app.db.transaction() as session:
        return session.get_one(CaseRow, case_id)


def _wait_until_reading(app: App, case_id: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    marker = app.settings.home / "reading.started"
    while _case(app, case_id).lease_owner is None or not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the worker never started reading the case"
        time.sleep(0.1)


def _history(app: App, case_id: int) -> tuple[list[str], list[str]]:
    with app.db.transaction() as session:
        actions = list(
            session.scalars(
                select(CaseEventRow.action)
                .where(CaseEventRow.case_id == case_id)
                .order_by(CaseEventRow.id)
            )
        )
        keys = list(session.scalars(select(OperationRow.key)))
    return actions, keys


def _work_in_process(app: App) -> list[int]:
    with app.reader_process() as reader:
        return app.worker(reader).run_once()


def _setup(tmp_path: Path, database_url: str) -> tuple[App, int]:
    app = make_app(tmp_path, database_url)
    case_id = enqueue_file(app.db, app.documents, scripted_document([form()]), "scan.pdf")
    return app, case_id


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_sigterm_lets_a_short_reading_finish(tmp_path: Path, database_url: str) -> None:
    app, case_id = _setup(tmp_path, database_url)
    proc = _start_worker(app, delay=2.5, grace=30, lease=600)
    _wait_until_reading(app, case_id, proc)
    os.killpg(proc.pid, signal.SIGTERM)  # to the whole group, as systemd and Ctrl-C do
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert _case(app, case_id).status == "applied"  # the reading child was not killed by it
    assert _history(app, case_id) == (["received", "claimed", "applied"], [f"case:{case_id}"])

    lines = [json.loads(line) for line in err.splitlines()]  # every line is JSON
    about_case = [line for line in lines if line["case_id"] == case_id]
    assert any(line["message"].startswith("claimed") for line in about_case)
    assert any(line["message"].startswith("settled") for line in about_case)
    # a line logged inside the reading process carries the case id too
    [reader_line] = [line for line in lines if line["logger"] == "tests.reader"]
    assert reader_line["case_id"] == case_id and reader_line["process"] != proc.pid
    assert lines[-1]["message"].endswith("stopped") and lines[-1]["case_id"] is None


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_sigterm_releases_a_long_reading_for_another_worker(
    tmp_path: Path, database_url: str
) -> None:
    app, case_id = _setup(tmp_path, database_url)
    proc = _start_worker(app, delay=120, grace=1, lease=600)
    _wait_until_reading(app, case_id, proc)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert time.monotonic() - sent < 15  # did not wait for the 120 s reading
    case = _case(app, case_id)
    assert (case.status, case.lease_owner, case.attempt) == ("received", None, 1)
    assert _history(app, case_id) == (["received", "claimed"], [])
    assert "released" in err

    assert _work_in_process(app) == [case_id]  # at once: no lease to wait for
    assert _history(app, case_id) == (
        ["received", "claimed", "claimed", "applied"],
        [f"case:{case_id}"],
    )


def test_sigkill_mid_case_leaves_nothing_half_applied(tmp_path: Path, database_url: str) -> None:
    app, case_id = _setup(tmp_path, database_url)
    proc = _start_worker(app, delay=120, grace=30, lease=3)
    _wait_until_reading(app, case_id, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    case = _case(app, case_id)
    assert case.status == "received" and case.lease_owner is not None
    assert _history(app, case_id) == (["received", "claimed"], [])
    assert _work_in_process(app) == []  # still leased to the dead worker

    lease_until = case.lease_until
    assert lease_until is not None
    if lease_until.tzinfo is None:
        lease_until = lease_until.replace(tzinfo=UTC)
    time.sleep(max(0.0, (lease_until - datetime.now(UTC)).total_seconds()) + 0.2)
    assert _work_in_process(app) == [case_id]
    assert _work_in_process(app) == []  # and never again
    actions, keys = _history(app, case_id)
    assert (actions, keys) == (["received", "claimed", "claimed", "applied"], [f"case:{case_id}"])
    assert _case(app, case_id).attempt == 2


def _start_poller(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kopplingar.cli", "poll"],
        env={**os.environ, "PYTHONPATH": SRC, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _stop_promptly(proc: subprocess.Popen[str], settled: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not settled():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the poller never stored the mail"
        time.sleep(0.2)
    time.sleep(1.0)  # waiting for news now (IDLE, or watching the Maildir)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert time.monotonic() - sent < 5, "SIGTERM waited for the idle timeout"


def _ready_mails(url: str) -> Callable[[], bool]:
    db = Database(url)

    def ready() -> bool:
        with db.transaction() as session:
            return bool(session.scalar(select(func.count()).select_from(MailRow)))

    return ready


def test_sigterm_stops_an_idling_maildir_poller(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'poll.db'}"
    deliver(tmp_path / "maildir", form_mail("poll-sigterm"))
    proc = _start_poller(
        {"KOPPLINGAR_HOME": str(tmp_path), "KOPPLINGAR_DATABASE_URL": url}  # backstop 300 s
    )
    _stop_promptly(proc, _ready_mails(url))


def test_sigterm_stops_a_poller_in_imap_idle(tmp_path: Path) -> None:
    server = start_dovecot()
    try:
        server.append_many([form_mail("idle-sigterm")])
        url = f"sqlite:///{tmp_path / 'poll.db'}"
        proc = _start_poller(
            {
                "KOPPLINGAR_HOME": str(tmp_path),
                "KOPPLINGAR_DATABASE_URL": url,
                "KOPPLINGAR_IMAP_URL": server.url,
            }
        )
        _stop_promptly(proc, _ready_mails(url))
    finally:
        server.stop()


def test_a_reader_dying_during_shutdown_releases_the_case(tmp_path: Path) -> None:
    """A group-wide SIGTERM may reach a reader still starting; it is not the document's fault."""
    app = make_app(tmp_path)
    app.settings.reader = "tests.support.readers:misbehave"
    case_id = enqueue_file(app.db, app.documents, b"die", "scan.pdf")
    with app.reader_process() as reader:
        worker = app.worker(reader)
        worker.stop.set()  # shutting down
        assert worker.run_once() == []
        case = _case(app, case_id)
        assert (case.status, case.lease_owner) == ("received", None)
        worker.stop.clear()  # not shutting down: the same crash is a finding for a person
        assert worker.run_once() == [case_id]
    case = _case(app, case_id)
    assert case.status == "review" and case.reasons[0]["code"] == "unreadable"
