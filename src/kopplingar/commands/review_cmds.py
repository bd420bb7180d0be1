"""``kopplingar review``: the review desk's actions on the command line."""

from __future__ import annotations

import typer
from rich.table import Table

from kopplingar.bootstrap import build
from kopplingar.commands.output import console, emit_json, fail, handled
from kopplingar.services import review

review_app = typer.Typer(
    help="Cases waiting for a person: list, show, approve, reject.", no_args_is_help=True
)
JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object.")
BY_OPTION = typer.Option(..., "--by", help="Who decides (recorded in the case history).")


@review_app.command("list")
def list_(
    status: str = typer.Option("review", "--status", help="review or rejected (or applied)."),
    reason: str | None = typer.Option(None, "--reason", help="Only cases with this reason code."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Cases waiting for review (or the rejected ones), oldest first, with counts per state."""
    items, counts = review.list_cases(build().db, status=status, reason=reason)
    if as_json:
        emit_json({"status": status, "counts": counts, "cases": items})
        return
    table = Table(title=f"Ärenden: {status} ({len(items)})")
    for column in ("Ärende", "Fil", "Åtgärd", "Skäl", "Avsändare"):
        table.add_column(column)
    for item in items:
        table.add_row(
            str(item["case_id"]),
            item["file"] or "–",
            item["operation"] or "–",
            ", ".join(item["reasons"]),
            item["reply_to"] or "–",
        )
    console.print(table)
    console.print("Antal per status: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


@review_app.command("show")
def show(case_id: int = typer.Argument(...), as_json: bool = JSON_OPTION) -> None:
    """One case: its values with confidences, reasons and history."""
    with handled(as_json):
        detail = review.show(build().db, case_id)
    if as_json:
        emit_json({"case": detail.case, "reading": detail.reading, "events": detail.events})
        return
    console.print(f"[bold]Ärende {case_id}[/] – {detail.case['status']} – {detail.case['file']}")
    fields = (detail.reading or {}).get("fields") or {}
    table = Table()
    for column in ("Fält", "Värde", "Säkerhet"):
        table.add_column(column)
    for name, value in fields.items():
        table.add_row(name, str(value.get("value") or ""), f"{value.get('confidence', 0):.2f}")
    console.print(table)
    for event in detail.events:
        console.print(
            f"{event['at']:%Y-%m-%d %H:%M} {event['actor']}: {event['action']} {event['note'] or ''}"
        )


@review_app.command("approve")
def approve(
    case_id: int = typer.Argument(...),
    by: str = BY_OPTION,
    set_: list[str] = typer.Option([], "--set", help="Correct a field: NAME=VALUE (repeatable)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Approve (with corrections): the operation is applied if the registry agrees."""
    corrections = {}
    for item in set_:
        name, sep, value = item.partition("=")
        if not sep:
            fail(f"--set väntar NAMN=VÄRDE, inte {item!r}", as_json=as_json, code="usage")
        corrections[name.strip()] = value
    app = build()
    with handled(as_json):
        result = review.approve(app.db, case_id, reviewer=by, corrections=corrections)
    app.deliver_mail()
    emit_json(result) if as_json else console.print(
        f"Ärende {case_id} godkänt och genomfört ({result['operation']})."
    )


@review_app.command("reject")
def reject(
    case_id: int = typer.Argument(...),
    by: str = BY_OPTION,
    reason: list[str] = typer.Option(
        ..., "--reason", help="Reason code (repeatable), e.g. missing_bureau_signature."
    ),
    note: str | None = typer.Option(None, "--note", help="A note for the history and the reply."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Reject with reasons; the sender gets a reply saying why and what to do."""
    app = build()
    with handled(as_json):
        result = review.reject(app.db, case_id, reviewer=by, codes=reason, note=note)
    app.deliver_mail()
    emit_json(result) if as_json else console.print(f"Ärende {case_id} avvisat.")


@review_app.command("rescan")
def rescan(
    case_id: int = typer.Argument(...),
    by: str = BY_OPTION,
    note: str | None = typer.Option(None, "--note"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Ask the sender for a new scan."""
    app = build()
    with handled(as_json):
        result = review.request_new_scan(app.db, case_id, reviewer=by, note=note)
    app.deliver_mail()
    emit_json(result) if as_json else console.print(f"Ny skanning begärd för ärende {case_id}.")


@review_app.command("reopen")
def reopen(
    case_id: int = typer.Argument(...), by: str = BY_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """Put a rejected case back before a person (when the machine was wrong)."""
    with handled(as_json):
        result = review.reopen(build().db, case_id, reviewer=by)
    emit_json(result) if as_json else console.print(f"Ärende {case_id} granskas igen.")


@review_app.command("reply")
def reply(
    case_id: int = typer.Argument(...), by: str = BY_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """Send a rejection reply the queue held back for a person (KOPPLINGAR_REPLY_ON_REJECT=false)."""
    app = build()
    with handled(as_json):
        result = review.send_reply(app.db, case_id, reviewer=by)
    app.deliver_mail()
    emit_json(result) if as_json else console.print(f"Svaret för ärende {case_id} är skickat.")


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
