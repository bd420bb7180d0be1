"""Cost of a /metrics scrape against PostgreSQL with a long synthetic history.

    PYTHONPATH=src:. python scripts/bench_metrics.py 200000

Fills a fresh database with N cases (three events each) and N mails, then prints the first
scrape (catching up on the history, at most 20,000 decisions a scrape), the number of scrapes to
catch up, a steady scrape, and for comparison a full GROUP BY over all cases (what an unbounded
gauge would cost on every scrape).
"""

from __future__ import annotations

import sys
import time

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import Connection, text
from tests.support.postgres import start_postgres

from kopplingar.metrics import DatabaseCollector
from kopplingar.storage.database import Database

CASES = """
INSERT INTO cases (id, created_at, updated_at, status, source, reasons, attempt)
SELECT g, now() - interval '30 days' + g * interval '1 second', now(),
       CASE WHEN g % 10 = 0 THEN 'rejected' WHEN g % 50 = 1 THEN 'review' ELSE 'applied' END,
       'mail',
       CASE WHEN g % 10 = 0 THEN '[{"code": "missing_company_signature"}]'::json
            ELSE '[]'::json END,
       1
FROM generate_series(1, :n) g
"""
EVENTS = """
INSERT INTO case_events (case_id, at, actor, action, from_status, to_status, data)
SELECT c.id, c.created_at + k * interval '2 second', 'w',
       CASE k WHEN 0 THEN 'received' WHEN 1 THEN 'claimed' ELSE c.status END,
       CASE k WHEN 0 THEN NULL ELSE 'received' END,
       CASE k WHEN 2 THEN c.status ELSE 'received' END,
       '{}'::json
FROM cases c, generate_series(0, 2) k
"""
MAILS = """
INSERT INTO mails (id, source, uidvalidity, uid, sha256, size, state, received_at, updated_at,
                   extract_attempts)
SELECT g, 's', 1, g::text, md5(g::text) || md5(g::text), 1000, 'handed_over',
       now() - interval '30 days', now(), 1
FROM generate_series(1, :n) g
"""


def timed_group_by(connection: Connection) -> float:
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        connection.execute(text("SELECT status, count(*) FROM cases GROUP BY status")).all()
        best = min(best, time.perf_counter() - started)
    return best


def main(n: int) -> None:
    server = start_postgres()
    try:
        db = Database(server.create_database())
        with db.engine.begin() as connection:
            for statement in (CASES, EVENTS, MAILS):
                connection.execute(text(statement), {"n": n})
            connection.execute(text("ANALYZE"))
        registry = CollectorRegistry(auto_describe=False)
        registry.register(DatabaseCollector(db))
        done = f"kopplingar_decision_latency_seconds_count {float(n)}"
        times = []
        while True:
            started = time.perf_counter()
            out = generate_latest(registry).decode()
            times.append(time.perf_counter() - started)
            if done in out:
                break
        started = time.perf_counter()
        generate_latest(registry)
        steady = time.perf_counter() - started
        with db.engine.connect() as connection:
            full = timed_group_by(connection)
        print(f"{n} cases, {3 * n} case events, {n} mails (PostgreSQL)")
        print(f"first scrape {times[0]:.3f} s; {len(times)} scrapes to catch up")
        print(f"steady scrape {steady:.3f} s")
        print(f"for comparison: GROUP BY status over all cases {full:.3f} s")
    finally:
        server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
