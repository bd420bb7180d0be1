"""``kopplingar poll``: read forms arriving by mail (IMAP, or the embedded Maildir)."""

from __future__ import annotations

import signal
import threading
from typing import Any

import typer

from kopplingar.commands.output import console, emit_json, fail


def register(app: typer.Typer) -> None:
    @app.command("poll")
    def poll(
        once: bool = typer.Option(False, "--once", help="One pass over the mailbox, then exit."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON summary object."),
    ) -> None:
        """Store new mail, extract its documents and file it by outcome; with IDLE unless --once."""
        from kopplingar.config import Settings
        from kopplingar.intake.poller import PassSummary
        from kopplingar.intake.source import SourceConnectionError
        from kopplingar.intake.wiring import build_poller

        poller = build_poller(Settings())
        if once:
            try:
                poller.open()
                summary = poller.poll_once()
            except SourceConnectionError as exc:
                fail(f"mail source unavailable: {exc}", as_json=as_json, code="source_unavailable")
            finally:
                poller.source.close()
            _print(summary.as_dict(), as_json)
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())

        def on_pass(summary: PassSummary) -> None:
            if as_json:
                emit_json(summary.as_dict())
            elif summary.mails_seen or summary.recovered:
                _print(summary.as_dict(), False)

        poller.run_forever(stop, on_pass)


def _print(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(summary)
        return
    console.print(", ".join(f"{key} {value}" for key, value in summary.items()))
