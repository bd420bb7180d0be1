"""``kopplingar run``: poller, workers and web in one process (the embedded, one-machine set-up)."""

from __future__ import annotations

import logging
import threading

import typer

log = logging.getLogger(__name__)


def run(
    workers: int = typer.Option(
        1, "--workers", min=0, help="Worker threads (each reads in its own child process)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Web address."),
    port: int = typer.Option(8000, "--port", help="Web port."),
    web: bool = typer.Option(True, "--web/--no-web", help="Serve the pages too."),
) -> None:
    """Run everything: mail intake (IDLE), N workers and the pages. SIGTERM stops it cleanly."""
    import signal

    import uvicorn

    from kopplingar.bootstrap import build
    from kopplingar.intake.wiring import build_poller
    from kopplingar.web.app import create_app

    app = build()
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=build_poller(app.settings).run_forever, args=(stop,), name="poller", daemon=True
        )
    ]
    readers = [app.reader_process() for _ in range(workers)]
    for index, reader in enumerate(readers):
        worker = app.worker(reader)
        worker.owner = f"{worker.owner}:{index}"
        threads.append(
            threading.Thread(target=worker.run, args=(stop,), name=f"worker-{index}", daemon=True)
        )
    for thread in threads:
        thread.start()
    # uvicorn captures SIGTERM/SIGINT while serving and re-raises them after its shutdown: with
    # these handlers in place the re-raised signal only sets ``stop``, so the finally below runs.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        if web:
            # log_config=None: uvicorn's lines go through kopplingar.logs like every other line
            uvicorn.run(create_app(app), host=host, port=port, log_config=None, proxy_headers=True)
        else:
            stop.wait()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=app.settings.shutdown_grace_seconds + 10)
        for reader in readers:
            reader.close()
        log.info("stopped")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
