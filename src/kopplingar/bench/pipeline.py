"""The pipeline benchmark: generated scans through the whole case pipeline (sandboxed reading,
validation against a registry, apply/reject/review), with 1 and with 2 workers in one run.

The registry is built from the scans' ground truth: every party a scan names (with a valid number)
exists, its signers hold the roles the form claims, the pairs of disconnect forms are connected,
and prefilled forms have their paper request. So a valid scan *should* be applied, and a defective
one never. Printed: cases per second for each worker count and the ratio (the 1-worker run is the
baseline), the share of valid forms applied without a person, defective forms applied (must be 0),
valid forms rejected, and the decision mix.
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import resource
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kopplingar.bench.reading import scan

if TYPE_CHECKING:
    from kopplingar.storage.database import Database

DEFAULT_COUNT = 120
DEFAULT_SEED = 900_000  # never the reading benchmark's or the calibration's scans


def form_page(truth: dict[str, Any]) -> dict[str, Any] | None:
    return next((p for p in truth.get("pages", []) if p.get("is_form")), None)


def registry_from_truth(
    truths: list[dict[str, Any]],
) -> tuple[dict[str, Any], list[tuple[str, str, str, str]]]:
    """A registry in which every valid scan is right; returns it and the paper requests to add."""
    from kopplingar.domain.errors import InvalidOrgNumberError
    from kopplingar.domain.orgnr import OrgNumber

    def org(text: str | None) -> str | None:
        try:
            return str(OrgNumber.parse(text or ""))
        except InvalidOrgNumberError:
            return None

    bureaus: dict[str, dict[str, Any]] = {}
    companies: dict[str, dict[str, Any]] = {}
    people: dict[str, dict[str, Any]] = {}
    subscriptions: set[str] = set()
    connections: dict[tuple[str, str], dict[str, Any]] = {}
    requests: list[tuple[str, str, str, str]] = []
    for truth in truths:
        page = form_page(truth)
        if page is None:
            continue
        values = {name: (field.get("value") or "") for name, field in page["fields"].items()}
        bureau, company = org(values["bureau_org_number"]), org(values["company_org_number"])
        subscription = values["subscription_number"].replace("-", "")
        if bureau and bureau not in bureaus and values["bureau_name"]:
            bureaus[bureau] = {"org_number": bureau, "name": values["bureau_name"]}
        if (
            company
            and company not in companies
            and values["company_name"]
            and subscription.isdigit()
            and subscription not in subscriptions
        ):
            subscriptions.add(subscription)
            companies[company] = {
                "org_number": company,
                "name": values["company_name"],
                "subscription_number": subscription,
                "database_id": f"db{len(companies) + 1}",
            }
        for name, where, role in (
            (
                values["company_signer_name"],
                company,
                "signatory"
                if values["company_signer_role"] == "firmatecknare"
                else "system_administrator",
            ),
            (values["bureau_signer_name"], bureau, "system_administrator"),
        ):
            if name and where and (where in companies or where in bureaus):
                person = people.setdefault(name, {"name": name, "roles": []})
                if {"org_number": where, "role": role} not in person["roles"]:
                    person["roles"].append({"org_number": where, "role": role})
        if truth.get("kind") == "disconnect" and bureau in bureaus and company in companies:
            connections[(bureau, company)] = {
                "bureau_org_number": bureau,
                "company_org_number": company,
                "status": "active",
            }
        if truth.get("form_id") and (truth.get("qr") or {}).get("authentic") and bureau and company:
            requests.append((truth["form_id"], truth["kind"], bureau, company))
    registry = {
        "bureaus": list(bureaus.values()),
        "companies": list(companies.values()),
        "people": list(people.values()),
        "connections": list(connections.values()),
    }
    return registry, [r for r in requests if r[2] in bureaus and r[3] in companies]


def seed_registry(
    db: Database, registry: dict[str, Any], requests: list[tuple[str, str, str, str]]
) -> None:
    """Load a registry from :func:`registry_from_truth` and its paper requests into ``db``."""
    from datetime import UTC, datetime

    from kopplingar.services.registry import load_registry
    from kopplingar.storage.registry_tables import PaperRequestRow
    from kopplingar.validation.registry_file import parse_registry

    load_registry(db, parse_registry(json.dumps(registry).encode()))
    with db.transaction() as session:
        for form_id, kind, bureau, company in requests:
            session.add(
                PaperRequestRow(
                    form_id=form_id,
                    kind=kind,
                    bureau_org_number=bureau.replace("-", ""),
                    company_org_number=company.replace("-", ""),
                    created_at=datetime.now(UTC),
                )
            )


def run_pipeline(
    docs: list[tuple[str, bytes]],
    registry: dict[str, Any],
    requests: list[tuple[str, str, str, str]],
    workers: int,
    database_url: str | None,
) -> dict[str, Any]:
    from pydantic import SecretStr
    from sqlalchemy import select

    from kopplingar.bootstrap import build
    from kopplingar.config import Settings
    from kopplingar.forms.simulator import SAMPLE_SECRET
    from kopplingar.queue.cases import enqueue_file
    from kopplingar.storage.case_tables import CaseRow
    from kopplingar.storage.registry_tables import OperationRow

    home = Path(tempfile.mkdtemp(prefix=f"kopplingar-bench-{workers}w-"))
    app = build(
        Settings(home=home, database_url=database_url, secret_key=SecretStr(SAMPLE_SECRET.decode()))
    )
    seed_registry(app.db, registry, requests)
    ids = {enqueue_file(app.db, app.documents, data, name): name for name, data in docs}
    readers = [app.reader_process() for _ in range(workers)]
    for reader in readers:  # start the children (imports, models) before the clock starts
        reader.read(b"", "warm-up")
    stop = threading.Event()
    pool = [app.worker(r) for r in readers]
    for index, worker in enumerate(pool):
        worker.owner = f"bench-{index}"
        worker.after_case = None
    threads = [threading.Thread(target=w.run, args=(stop, 0.05)) for w in pool]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    while True:
        with app.db.transaction() as session:
            waiting = session.scalars(
                select(CaseRow.id).where(CaseRow.status == "received")
            ).first()
        if waiting is None:
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join()
    for reader in readers:
        reader.close()
    with app.db.transaction() as session:
        rows = session.scalars(select(CaseRow)).all()
        by_file = {ids[r.id]: r for r in rows if r.id in ids}
        applied_keys = len(session.scalars(select(OperationRow.key)).all())
        statuses = Counter(r.status for r in rows)
        outcome = {
            name: (row.status, [x["code"] for x in row.reasons or []])
            for name, row in by_file.items()
            if name
        }
    return {
        "workers": workers,
        "elapsed": elapsed,
        "cases": len(rows),
        "statuses": statuses,
        "operations": applied_keys,
        "outcome": outcome,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kopplingar.bench pipeline", description=__doc__
    )
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="generated scans")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--workers", default="1,2", help="worker counts to compare, first is the baseline"
    )
    parser.add_argument("--database-url", default=None, help="default: a SQLite file per run")
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.table import Table

    console = Console()
    generated = [scan(args.seed + i) for i in range(args.count)]
    docs = [(f"{i:05d}-{name}", data) for i, (name, data, _t) in enumerate(generated)]
    truths = {f"{i:05d}-{name}": truth for i, (name, _d, truth) in enumerate(generated)}
    registry, requests = registry_from_truth(list(truths.values()))
    results = [
        run_pipeline(docs, registry, requests, int(w), args.database_url)
        for w in args.workers.split(",")
    ]

    table = Table(title=f"Pipeline: {args.count} generated scans (seed {args.seed})")
    for column in (
        "workers",
        "cases",
        "seconds",
        "cases/s",
        "ratio",
        "applied",
        "rejected",
        "review",
    ):
        table.add_column(column, justify="right")
    base = results[0]["cases"] / results[0]["elapsed"]
    for r in results:
        rate = r["cases"] / r["elapsed"]
        s = r["statuses"]
        table.add_row(
            str(r["workers"]),
            str(r["cases"]),
            f"{r['elapsed']:.1f}",
            f"{rate:.2f}",
            f"{rate / base:.2f}×",
            str(s["applied"]),
            str(s["rejected"]),
            str(s["review"]),
        )
    console.print(table)

    outcome = results[0]["outcome"]
    valid = [
        n for n, t in truths.items() if (t.get("expected") or {}).get("valid") and form_page(t)
    ]
    defective = [n for n, t in truths.items() if not (t.get("expected") or {}).get("valid")]
    applied_valid = sum(outcome.get(n, ("", []))[0] == "applied" for n in valid)
    rejected_valid = [n for n in valid if outcome.get(n, ("", []))[0] == "rejected"]
    applied_defective = [n for n in defective if outcome.get(n, ("", []))[0] == "applied"]
    review_reasons = Counter(
        code for n in valid if outcome.get(n, ("", []))[0] == "review" for code in outcome[n][1]
    )
    summary = Table(title="Decisions (1-worker run)")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    summary.add_row("valid forms", str(len(valid)))
    summary.add_row(
        "valid applied without a person",
        f"{applied_valid} ({applied_valid / max(len(valid), 1):.1%})",
    )
    summary.add_row("valid rejected (should be 0)", str(len(rejected_valid)))
    summary.add_row("defective documents", str(len(defective)))
    summary.add_row("defective applied (must be 0)", str(len(applied_defective)))
    summary.add_row(
        "why valid forms went to review",
        ", ".join(f"{k} {v}" for k, v in review_reasons.most_common(6)),
    )
    peak = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    summary.add_row("peak RSS (this process + largest child), MiB", f"{peak / 1024:.0f}")
    console.print(summary)
    if rejected_valid:
        console.print(
            "valid but rejected: " + ", ".join(f"{n} {outcome[n][1]}" for n in rejected_valid[:10])
        )
    if applied_defective:
        console.print(
            "[bold red]defective but applied: "
            + ", ".join(f"{n} {truths[n]['expected']}" for n in applied_defective)
        )
    return 1 if applied_defective else 0
