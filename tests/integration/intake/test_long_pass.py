"""A pass over a long backlog (found by the scale test, issue #7): SIGTERM ends it between two
mails instead of after the whole backlog, and handled mail leaves the inbox while it goes on."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kopplingar.intake import poller as poller_module
from kopplingar.intake.rawstore import FileRawStore
from kopplingar.intake.wiring import build_poller
from tests.integration.intake.conftest import intake_settings
from tests.support.dovecot import DovecotServer
from tests.support.intake_checks import report
from tests.support.mails import form_mail


def _stop_after_fetches(poller: poller_module.Poller, stop: threading.Event, count: int) -> None:
    fetch, seen = poller.source.fetch, [0]

    def fetch_then_stop(uid: str) -> bytes | None:
        raw = fetch(uid)
        seen[0] += 1
        if seen[0] >= count:
            stop.set()  # as the SIGTERM handler of `kopplingar poll` does
        return raw

    poller.source.fetch = fetch_then_stop  # type: ignore[method-assign]


def test_stop_ends_a_pass_between_mails_and_the_next_pass_does_the_rest(
    tmp_path: Path, dovecot: DovecotServer
) -> None:
    mails = [form_mail(f"stop{i}") for i in range(6)]
    dovecot.append_many(mails)
    poller = build_poller(intake_settings(tmp_path, dovecot, f"sqlite:///{tmp_path / 'p.db'}"))
    stop = threading.Event()
    _stop_after_fetches(poller, stop, 2)
    poller.open()
    summary = poller.poll_once(stop)

    assert (summary.mails_seen, summary.stored, summary.moved) == (6, 2, 2)
    assert len(dovecot.uids("INBOX")) == 4
    assert len(dovecot.uids("Behandlade")) == 2

    rest = poller.poll_once()
    poller.source.close()
    assert (rest.stored, rest.moved) == (4, 4)
    assert dovecot.uids("INBOX") == []
    result = report(poller.ledger.engine, FileRawStore(tmp_path / "mail" / "raw"), mails)
    assert (result.lost, result.doubled, result.documents) == (0, 0, 6)


def test_sigterm_during_a_long_pass_stops_the_poller_loop(
    tmp_path: Path, dovecot: DovecotServer
) -> None:
    mails = [form_mail(f"loop{i}") for i in range(8)]
    dovecot.append_many(mails)
    poller = build_poller(intake_settings(tmp_path, dovecot, f"sqlite:///{tmp_path / 'p.db'}"))
    stop = threading.Event()
    _stop_after_fetches(poller, stop, 1)
    thread = threading.Thread(target=poller.run_forever, args=(stop,))
    thread.start()
    thread.join(timeout=60)

    assert not thread.is_alive()
    # the pass ended right after the mail in hand: the other seven wait in the inbox
    assert len(dovecot.uids("Behandlade")) == 1
    assert len(dovecot.uids("INBOX")) == 7


def test_handled_mail_leaves_the_inbox_while_the_pass_goes_on(
    tmp_path: Path, dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(poller_module, "MOVE_EVERY", 2)
    mails = [form_mail(f"move{i}") for i in range(5)]
    dovecot.append_many(mails)
    poller = build_poller(intake_settings(tmp_path, dovecot, f"sqlite:///{tmp_path / 'p.db'}"))
    fetch, inbox_at_fetch = poller.source.fetch, []

    def counting_fetch(uid: str) -> bytes | None:
        inbox_at_fetch.append(len(dovecot.uids("INBOX")))
        return fetch(uid)

    poller.source.fetch = counting_fetch  # type: ignore[method-assign]
    poller.open()
    summary = poller.poll_once()
    poller.source.close()

    assert inbox_at_fetch == [5, 5, 3, 3, 1]
    assert (summary.stored, summary.moved) == (5, 5)
    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids("Behandlade")) == 5
    result = report(poller.ledger.engine, FileRawStore(tmp_path / "mail" / "raw"), mails)
    assert (result.lost, result.doubled, result.documents) == (0, 0, 5)
