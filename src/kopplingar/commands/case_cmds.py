"""Case commands: ``process`` local files through the pipeline, list ``cases``, run a ``work``er."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

from kopplingar.bootstrap import App, build
from kopplingar.commands.output import console, emit_json, fail
from kopplingar.queue.cases import enqueue_file
from kopplingar.queue.states import CaseStatus
from kopplingar.storage.case_tables import CaseRow

log = logging.getLogger(__name__)
JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object per case.")


def case_json(case: CaseRow) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "file": case.file_name,
        "status": "review" if case.status == CaseStatus.REVIEW.value else case.status,
        "operation": case.operation,
        "reasons": [r["code"] for r in case.reasons or []],
        "message_id": case.message_id,
        "page": case.page,
        "form_id": case.form_id,
        "parent_id": case.parent_id,
        "bureau": _org(case.bureau_org_number),
        "company": _org(case.company_org_number),
        "details": case.reasons or [],
    }


def _org(digits: str | None) -> str | None:
    return f"{digits[:6]}-{digits[6:]}" if digits else None


def _cases(app: App, ids: list[int]) -> list[CaseRow]:
    with app.db.transaction() as session:
        rows = session.scalars(
            select(CaseRow)
            .where((CaseRow.id.in_(ids)) | (CaseRow.parent_id.in_(ids)))
            .order_by(CaseRow.id)
        ).all()
        return list(rows)


def process(
    files: list[Path] = typer.Argument(..., help="PDF, JPEG, PNG or TIFF files."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run the whole pipeline on local files: read, validate, apply, reject or send to review."""
    app = build()
    payloads = []
    for path in files:
        try:
            payloads.append((path, path.read_bytes()))
        except OSError as error:
            fail(f"kan inte läsa {path}: {error.strerror}", as_json=as_json, code="unreadable_file")
    ids = [enqueue_file(app.db, app.documents, data, path.name) for path, data in payloads]
    pending = set(ids)
    with (
        app.reader_process() as reader,
        Progress(console=console, disable=as_json, transient=True) as progress,
    ):
        task = progress.add_task("Läser blanketter", total=len(ids))
        worker = app.worker(reader)
        while pending and worker.run_once():
            pending = {case_id for case_id in pending if not _settled(app, case_id)}
            progress.update(task, completed=len(ids) - len(pending))
    rows = _cases(app, ids)
    if as_json:
        for row in rows:
            emit_json(case_json(row))
        return
    _print_table(rows, "Ärenden")


def _settled(app: App, case_id: int) -> bool:
    with app.db.transaction() as session:
        row = session.get(CaseRow, case_id)
        return row is not None and row.status != CaseStatus.RECEIVED.value


def _print_table(rows: list[CaseRow], title: str) -> None:
    table = Table(title=title)
    for column in ("Ärende", "Fil", "Sida", "Status", "Åtgärd", "Skäl"):
        table.add_column(column)
    labels = {
        "applied": "genomförd",
        "rejected": "avvisad",
        "review": "granskas",
        "received": "väntar",
    }
    for row in rows:
        table.add_row(
            str(row.id),
            row.file_name or "–",
            str(row.page) if row.page is not None else "–",
            labels.get(row.status, row.status),
            row.operation or "–",
            ", ".join(r["code"] for r in row.reasons or []),
        )
    console.print(table)


def cases(
    status: CaseStatus | None = typer.Option(None, "--status", help="Only cases in this state."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Every case, newest last."""
    app = build()
    with app.db.transaction() as session:
        query = select(CaseRow).order_by(CaseRow.id)
        if status is not None:
            query = query.where(CaseRow.status == status.value)
        rows = list(session.scalars(query).all())
    if as_json:
        for row in rows:
            emit_json(case_json(row))
        return
    _print_table(rows, "Ärenden")


def work(
    once: bool = typer.Option(False, "--once", help="Handle what is waiting, then stop."),
) -> None:
    """Run a worker: cases from ready mail, reading, decisions.

    SIGTERM finishes the case in hand, or releases it untouched when its reading needs longer
    than KOPPLINGAR_SHUTDOWN_GRACE_SECONDS; then the worker exits 0."""
    app = build()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with app.reader_process() as reader:
        worker = app.worker(reader)
        worker.stop = stop
        log.info("worker %s started", worker.owner)
        if once:
            while not stop.is_set() and worker.run_once():
                pass
        else:
            worker.run(stop)
    log.info("worker %s stopped", worker.owner)


def register(app: typer.Typer) -> None:
    app.command("process")(process)
    app.command("cases")(cases)
    app.command("work")(work)
