"""/metrics: computed from the database at scrape time, right after real work by a worker."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from kopplingar.bootstrap import App
from kopplingar.intake.maildir import deliver
from kopplingar.intake.wiring import build_poller
from kopplingar.metrics import DatabaseCollector
from kopplingar.queue.cases import enqueue_file
from kopplingar.storage.database import Database
from kopplingar.storage.registry_tables import OutgoingMailRow
from kopplingar.web.app import create_app
from tests.integration.queue.helpers import form, make_app
from tests.support.mails import form_mail
from tests.support.readers import scripted_document

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def work(app: App) -> None:
    with app.reader_process() as reader:
        worker = app.worker(reader)
        worker.after_case = None  # leave outgoing mail unsent: the outbox backlog to measure
        while worker.run_once():
            pass


def enqueue(app: App, readings: list[dict[str, object]], name: str) -> int:
    return enqueue_file(app.db, app.documents, scripted_document(readings), name)


def test_metrics_follow_the_work_of_other_processes(tmp_path: Path, database_url: str) -> None:
    app = make_app(tmp_path, database_url)
    client = TestClient(create_app(app))
    empty = parse(client.get("/metrics").text)
    assert value(empty, "kopplingar_database_up") == 1
    assert value(empty, "kopplingar_queue_depth") == 0
    assert value(empty, "kopplingar_decision_latency_seconds_count") == 0

    enqueue(app, [form()], "good.pdf")
    enqueue(app, [form(company_signed=False)], "unsigned.pdf")
    enqueue(app, [form(conf=0.5)], "doubtful.pdf")
    work(app)  # as a worker elsewhere would
    enqueue(app, [form("disconnect")], "later.pdf")
    deliver(app.settings.resolved_maildir, form_mail("metrics"))
    poller = build_poller(app.settings)
    poller.open()
    assert poller.poll_once().ready == 1

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    first = parse(response.text)
    assert value(first, "kopplingar_queue_depth") == 1
    assert value(first, "kopplingar_cases_open", state="received") == 1
    assert value(first, "kopplingar_cases_open", state="review") == 1
    assert value(first, "kopplingar_cases_in_review", reason="low_confidence") == 1
    settled = {
        labels: v for (name, labels), v in first.items() if name == "kopplingar_cases_settled_total"
    }
    assert settled[(("by", "worker"), ("reason", "none"), ("state", "applied"))] == 1
    key = (("by", "worker"), ("reason", "missing_company_signature"), ("state", "rejected"))
    assert settled[key] == 1
    assert settled[(("by", "worker"), ("reason", "low_confidence"), ("state", "review"))] == 1
    assert value(first, "kopplingar_decision_latency_seconds_count") == 3
    assert value(first, "kopplingar_reading_seconds_count") == 3
    assert value(first, "kopplingar_reading_seconds_bucket", le="+Inf") == 3
    assert 0 < value(first, "kopplingar_reading_seconds_sum") < 60
    assert value(first, "kopplingar_mails_received_total") == 1
    assert value(first, "kopplingar_mails_waiting", state="ready") == 1
    assert value(first, "kopplingar_imap_lag_seconds") > 0
    with app.db.transaction() as session:
        unsent = session.scalar(
            select(func.count())
            .select_from(OutgoingMailRow)
            .where(OutgoingMailRow.sent_at.is_(None))
        )
    assert unsent and value(first, "kopplingar_outbox_backlog") == unsent
    assert value(first, "process_resident_memory_bytes") > 0  # the web process's own

    work(app)  # the waiting case and the mail's case
    second = parse(client.get("/metrics").text)
    assert value(second, "kopplingar_queue_depth") == 0
    assert value(second, "kopplingar_mails_waiting", state="ready") == 0
    assert value(second, "kopplingar_imap_lag_seconds") == 0
    assert value(second, "kopplingar_decision_latency_seconds_count") == 5
    settled_now = {
        labels: v
        for (name, labels), v in second.items()
        if name == "kopplingar_cases_settled_total"
    }
    worker = ("by", "worker")
    assert settled_now == {  # a case with two reasons counts under both
        (worker, ("reason", "none"), ("state", "applied")): 2,  # the connect, then the disconnect
        (worker, ("reason", "missing_company_signature"), ("state", "rejected")): 1,
        (worker, ("reason", "already_connected"), ("state", "rejected")): 1,
        (worker, ("reason", "low_confidence"), ("state", "review")): 1,
        (worker, ("reason", "not_a_form"), ("state", "rejected")): 1,  # the mail's attachment
    }
    app.deliver_mail()
    assert value(parse(client.get("/metrics").text), "kopplingar_outbox_backlog") == 0


def scrape(registry: CollectorRegistry) -> Samples:
    return parse(generate_latest(registry).decode())


def test_totals_fold_once_and_catch_up_in_bounded_batches(
    tmp_path: Path, database_url: str
) -> None:
    app = make_app(tmp_path, database_url)
    for index in range(3):
        enqueue(app, [form(conf=0.5)], f"doubt-{index}.pdf")
    work(app)
    registry = CollectorRegistry(auto_describe=False)
    # margin 0: every row read is final at once; one settled event per scrape
    registry.register(DatabaseCollector(app.db, settle_margin=timedelta(0), batch_limit=1))
    counts = [
        value(scrape(registry), "kopplingar_decision_latency_seconds_count") for _ in range(5)
    ]
    assert counts == [1, 2, 3, 3, 3]  # caught up, then never counted twice
    enqueue(app, [form(conf=0.5)], "doubt-late.pdf")
    work(app)
    assert value(scrape(registry), "kopplingar_decision_latency_seconds_count") == 4


def test_recent_rows_are_read_again_not_folded(tmp_path: Path, database_url: str) -> None:
    app = make_app(tmp_path, database_url)
    enqueue(app, [form(conf=0.5)], "doubt.pdf")
    work(app)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(app.db))  # 10 minutes: nothing folds yet
    for _ in range(3):
        samples = scrape(registry)
        assert value(samples, "kopplingar_decision_latency_seconds_count") == 1
        assert value(samples, "kopplingar_mails_received_total") == 0


def test_a_database_that_does_not_answer_is_reported_not_raised() -> None:
    registry = CollectorRegistry(auto_describe=False)
    db = Database("postgresql://nobody@127.0.0.1:9/none?connect_timeout=2", create=False)
    registry.register(DatabaseCollector(db))
    samples = scrape(registry)
    assert value(samples, "kopplingar_database_up") == 0
    assert not any(name == "kopplingar_queue_depth" for name, _ in samples)
