"""Benchmark: latency from IMAP APPEND to a stored, extracted mail record with IDLE (p50/p95).

Starts a throwaway Dovecot on 127.0.0.1 (as the tests do), runs the real poller in IDLE mode in a
thread against a SQLite database, appends N mails one at a time from another connection and waits
for each to reach ``ready``. Baseline side by side: the same mails found by the periodic full
search alone (IDLE ignored), to show what IDLE buys. Prints figures; asserts nothing.

    PYTHONPATH=src:. python scripts/bench_intake.py [N]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session
from tests.support.dovecot import DovecotServer, start_dovecot
from tests.support.mails import form_mail

from kopplingar.config import Settings
from kopplingar.intake.wiring import build_poller
from kopplingar.storage.mail_tables import MailRow, MailState


def _ready(reader: Engine) -> int:
    with Session(reader) as session:
        return len(
            list(session.scalars(select(MailRow.id).where(MailRow.state == MailState.READY)))
        )


def measure(server: DovecotServer, home: Path, count: int, *, use_idle: bool) -> list[float]:
    settings = Settings(
        home=home,
        database_url=f"sqlite:///{home / 'bench.db'}",
        imap_url=server.url,
        idle_renew_seconds=1 if not use_idle else 540,
        poll_interval_seconds=600 if use_idle else 1,
    )
    poller = build_poller(settings)
    # A plain WAL reader: the app engine takes BEGIN IMMEDIATE even for reads, and a tight read
    # loop through it would starve the poller's writes and measure lock contention instead.
    reader = create_engine(settings.resolved_database_url)
    if not use_idle:  # baseline: wake on the timer only, never on IDLE news
        source = poller.source
        original = source.wait_for_change

        def timer_only(timeout: float) -> bool:
            original(timeout)
            return False

        source.wait_for_change = timer_only  # type: ignore[method-assign]
    stop = threading.Event()
    thread = threading.Thread(target=poller.run_forever, args=(stop, lambda _s: None), daemon=True)
    thread.start()
    time.sleep(1.0)
    latencies = []
    with server.client() as client:
        for i in range(count):
            raw = form_mail(f"bench-{use_idle}-{i}")
            time.sleep(random.uniform(0.1, 0.4))  # noqa: S311  (mail arrives at random moments)
            before = _ready(reader)
            started = time.perf_counter()
            client.append("INBOX", raw)
            while _ready(reader) == before:
                time.sleep(0.005)
            latencies.append(time.perf_counter() - started)
    stop.set()
    thread.join(5)
    return latencies


def _describe(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{name:<28} n={len(values):>3}  p50={statistics.median(values) * 1000:7.1f} ms  "
        f"p95={p95 * 1000:7.1f} ms  max={ordered[-1] * 1000:7.1f} ms"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    server = start_dovecot()
    try:
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            idle = measure(server, Path(a), count, use_idle=True)
            baseline = measure(server, Path(b), max(10, count // 5), use_idle=False)
    finally:
        server.stop()
    print("APPEND -> stored and extracted mail record (loopback Dovecot, SQLite)")
    print(_describe("IDLE", idle))
    print(_describe("baseline: 1 s search timer", baseline))
    ratio = statistics.median(baseline) / statistics.median(idle)
    print(f"p50 ratio baseline/IDLE: {ratio:.1f}x")


if __name__ == "__main__":
    main()
