"""The case queue with the real storage, rules, operations and sandbox (a scripted reader)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kopplingar.config import Settings
from kopplingar.intake.maildir import deliver
from kopplingar.intake.wiring import build_poller
from kopplingar.queue.cases import ReadFailure, StaleClaimError, claim_next, enqueue_file, settle
from kopplingar.storage.case_tables import CaseEventRow, CaseRow
from kopplingar.storage.registry_tables import AuditRow, OperationRow
from kopplingar.validation.reading import FormReading
from tests.integration.queue.helpers import form, make_app
from tests.support.mails import form_mail
from tests.support.readers import scripted_document


def statuses(app) -> dict[int, tuple[str, str | None, list[str]]]:  # type: ignore[no-untyped-def]
    with app.db.transaction() as session:
        return {
            c.id: (c.status, c.operation, [r["code"] for r in c.reasons])
            for c in session.scalars(select(CaseRow).order_by(CaseRow.id)).all()
        }


def run_all(app) -> None:  # type: ignore[no-untyped-def]
    with app.reader_process() as reader:
        worker = app.worker(reader)
        while worker.run_once():
            pass


def test_a_good_form_is_applied_once_and_confirmed_to_both_parties(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    document = scripted_document([form()])
    first = enqueue_file(app.db, app.documents, document, "scan.pdf")
    second = enqueue_file(app.db, app.documents, document, "scan-igen.pdf")  # the same scan again
    run_all(app)
    result = statuses(app)
    assert result[first] == ("applied", "connect", [])
    assert result[second] == ("rejected", None, ["duplicate"])
    with app.db.transaction() as session:
        [operation] = session.scalars(select(OperationRow)).all()
        assert operation.key == f"case:{first}" and operation.route == "paper"
        events = [
            e.action
            for e in session.scalars(
                select(CaseEventRow).where(CaseEventRow.case_id == first)
            ).all()
        ]
    assert events == ["received", "claimed", "applied"]
    confirmations = [
        message_from_bytes(p.read_bytes(), policy=default)
        for p in sorted(app.settings.outbox_dir.glob("*.eml"))
    ]
    [confirmation] = [m for m in confirmations if m["Subject"].startswith("Bekräftelse")]
    assert {a.strip() for a in confirmation["To"].split(",")} == {
        "anna@siffrorna.se",
        "david@bageriet.se",
        "eva@bageriet.se",
    }


def test_each_form_in_a_document_is_its_own_case(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    snickeri = {
        "company_org_number": "556987-6542",
        "subscription_number": "1093377",
        "company_signer_name": "Fredrik Falk",
    }
    parent = enqueue_file(
        app.db,
        app.documents,
        scripted_document([form(page=2), form("disconnect", page=3, **snickeri)]),
        "two.pdf",
    )
    run_all(app)
    result = statuses(app)
    assert result[parent] == ("applied", "connect", [])
    [(child_id, child)] = [(k, v) for k, v in result.items() if k != parent]
    assert child == ("applied", "disconnect", [])
    with app.db.transaction() as session:
        assert session.get_one(CaseRow, child_id).parent_id == parent


def test_defects_reject_doubts_go_to_review_and_no_form_is_not_a_form(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    unsigned = enqueue_file(
        app.db, app.documents, scripted_document([form(company_signed=False)]), "a.pdf"
    )
    doubtful = enqueue_file(app.db, app.documents, scripted_document([form(conf=0.5)]), "b.pdf")
    letter = enqueue_file(app.db, app.documents, b"%PDF-1.4 just a letter", "c.pdf")
    run_all(app)
    result = statuses(app)
    assert result[unsigned] == ("rejected", "connect", ["missing_company_signature"])
    assert result[doubtful][0] == "review" and "low_confidence" in result[doubtful][2]
    assert result[letter] == ("rejected", None, ["not_a_form"])
    with app.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OperationRow)) == 0


def test_a_late_result_after_the_lease_ran_out_is_refused(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    case_id = enqueue_file(app.db, app.documents, scripted_document([form()]), "scan.pdf")
    t0 = datetime.now(UTC)
    slow = claim_next(app.db, "worker-slow", lease_seconds=60, now=t0)
    assert (
        slow is not None
        and claim_next(app.db, "worker-fast", lease_seconds=60, now=t0 + timedelta(seconds=30))
        is None
    )
    fast = claim_next(app.db, "worker-fast", lease_seconds=60, now=t0 + timedelta(seconds=61))
    assert fast is not None and (fast.case_id, fast.attempt) == (case_id, 2)
    readings = [FormReading.model_validate({"file": "scan.pdf", **form()})]
    settle(app.db, fast, readings)
    with pytest.raises(StaleClaimError):
        settle(app.db, slow, readings)
    with app.db.transaction() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(AuditRow).where(AuditRow.action == "connect")
            )
            == 1
        )


def test_a_reader_failure_goes_to_a_person_and_an_unreadable_file_is_rejected(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path)
    case_id = enqueue_file(app.db, app.documents, b"%PDF-1.4", "x.pdf")
    claim = claim_next(app.db, "w")
    assert claim is not None
    settle(app.db, claim, ReadFailure("crashed", "the reader process died (-9)"))
    assert statuses(app)[case_id] == ("review", None, ["unreadable"])
    encrypted = enqueue_file(app.db, app.documents, b"%PDF-1.4 locked", "locked.pdf")
    claim = claim_next(app.db, "w")
    assert claim is not None and claim.case_id == encrypted
    settle(app.db, claim, [FormReading(file="locked.pdf", reason="encrypted")])
    assert statuses(app)[encrypted] == ("rejected", None, ["unreadable"])


def test_mail_to_cases_with_a_threaded_reply_to_the_sender(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    settings = Settings(home=tmp_path)
    good = form_mail(
        "good", attachments=[(scripted_document([form()]), "application/pdf", "blankett.pdf")]
    )
    unsigned = form_mail(
        "bad",
        attachments=[(scripted_document([form(company_signed=False)]), "application/pdf", "b.pdf")],
    )
    empty = form_mail("empty", attachments=[])
    for raw in (good, unsigned, empty):
        deliver(settings.resolved_maildir, raw)
    poller = build_poller(settings)
    poller.open()
    poller.poll_once()
    run_all(app)
    assert sorted(s for s, *_ in statuses(app).values()) == ["applied", "rejected", "rejected"]
    with app.db.transaction() as session:
        rows = session.scalars(select(CaseRow)).all()
        assert all(r.message_id and r.source == "mail" for r in rows)
        not_a_form = [r for r in rows if r.reasons and r.reasons[0]["code"] == "not_a_form"]
        assert len(not_a_form) == 1
    replies = [
        message_from_bytes(p.read_bytes(), policy=default)
        for p in app.settings.outbox_dir.glob("*.eml")
    ]
    rejections = [m for m in replies if m["To"] == "anna@example.se"]
    assert len(rejections) == 2
    for reply in rejections:
        assert reply["In-Reply-To"] and reply["References"] == reply["In-Reply-To"]
        assert reply["Auto-Submitted"] == "auto-replied"
        assert reply["Subject"].startswith("Sv: ")
    bodies = " ".join(m.get_content() for m in rejections)  # type: ignore[attr-defined]
    assert "Företagets underskrift saknas" in bodies and "ingen blankett" in bodies


@pytest.mark.postgres
def test_two_workers_share_a_backlog_on_postgresql_and_apply_each_case_once(
    tmp_path: Path, postgres
) -> None:  # type: ignore[no-untyped-def]
    import threading

    app = make_app(tmp_path, postgres.create_database())
    companies = [
        ("559123-4561", "1048213", "David Dahl", "connect"),
        ("556987-6542", "1093377", "Fredrik Falk", "disconnect"),
    ]
    ids = []
    for org, sub, signer, kind in (
        companies * 6
    ):  # each pair twice per kind: duplicates must not apply
        doc = scripted_document(
            [
                form(
                    kind,
                    company_org_number=org,
                    subscription_number=sub,
                    company_signer_name=signer,
                )
            ]
        )
        ids.append(
            enqueue_file(
                app.db, app.documents, doc + str(len(ids)).encode(), f"scan-{len(ids)}.pdf"
            )
        )
    stop = threading.Event()
    readers = [app.reader_process() for _ in range(2)]
    workers = [app.worker(r) for r in readers]
    for i, worker in enumerate(workers):
        worker.owner = f"w{i}"
    threads = [threading.Thread(target=w.run, args=(stop, 0.05)) for w in workers]
    for thread in threads:
        thread.start()
    deadline = datetime.now(UTC) + timedelta(seconds=120)
    while datetime.now(UTC) < deadline and any(s == "received" for s, *_ in statuses(app).values()):
        stop.wait(0.2)
    stop.set()
    for thread in threads:
        thread.join()
    for reader in readers:
        reader.close()
    result = statuses(app)
    assert all(status != "received" for status, *_ in result.values())
    with app.db.transaction() as session:
        keys = session.scalars(select(OperationRow.key)).all()
        owners = set(
            session.scalars(
                select(CaseEventRow.actor).where(CaseEventRow.action == "claimed")
            ).all()
        )
    assert (
        len(keys) == 2
    )  # one connect, one disconnect; the rest are already_connected / not_connected
    assert sorted(status for status, *_ in result.values()).count("applied") == 2
    assert owners == {"w0", "w1"}


def test_a_case_that_keeps_killing_workers_goes_to_a_person(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    case_id = enqueue_file(app.db, app.documents, scripted_document([form()]), "poison.pdf")
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    for attempt in range(1, 6):  # five workers claimed it and died without settling
        moment = long_ago + timedelta(seconds=10 * attempt)
        claim = claim_next(app.db, f"dead-{attempt}", lease_seconds=1, now=moment)
        assert claim is not None and claim.attempt == attempt
    run_all(app)
    assert statuses(app)[case_id] == ("review", None, ["unreadable"])
    with app.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OperationRow)) == 0


def test_a_mailed_form_that_waits_for_a_person_gets_a_receipt(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    settings = Settings(home=tmp_path)
    doubtful = form_mail(
        "doubt", attachments=[(scripted_document([form(conf=0.5)]), "application/pdf", "d.pdf")]
    )
    deliver(settings.resolved_maildir, doubtful)
    poller = build_poller(settings)
    poller.open()
    poller.poll_once()
    run_all(app)
    assert [s for s, *_ in statuses(app).values()] == ["review"]
    [receipt] = [
        message_from_bytes(p.read_bytes(), policy=default)
        for p in app.settings.outbox_dir.glob("*.eml")
    ]
    assert receipt["To"] == "anna@example.se" and receipt["In-Reply-To"]
    assert "granskas nu av vår kundtjänst" in receipt.get_content()  # type: ignore[attr-defined]


def test_a_reader_that_ran_out_of_time_sends_the_case_to_a_person(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    case_id = enqueue_file(app.db, app.documents, b"%PDF-1.4 slow", "slow.pdf")
    claim = claim_next(app.db, "w")
    assert claim is not None
    settle(app.db, claim, [FormReading(file="slow.pdf", reason="timeout")])
    assert statuses(app)[case_id] == ("review", None, ["unreadable"])
