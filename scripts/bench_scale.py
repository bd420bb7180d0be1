"""Scale test (issue #7): a backlog of simulator mails through two pollers and W workers.

For each worker count, on one machine: a fresh PostgreSQL database and a fresh Dovecot mailbox on
127.0.0.1 receive the same backlog of N mails, each with one generated scan (``kopplingar.forms.
simulator`` via ``kopplingar.bench.reading.scan``). The backlog is drawn from a pool of P unique scans
(P <= N): every scan is mailed at least once, and the rest of the backlog are *resends* of pool scans
(a new mail with its own Message-ID and the same attachment), in a fixed shuffled order, so resends
arrive both far from and right next to their first copy. A resend must never be applied a second time.

The registry is built from the pool's truth (``registry_from_truth``), so every valid form should
apply. Then two ``kopplingar poll`` processes and W ``kopplingar work`` processes start as separate OS
processes through the real CLI (``KOPPLINGAR_STORE=database``, the several-machine layout), and the
clock runs until the queue is drained. Checked from the database and the mailbox afterwards:

- lost: a mail appended to Dovecot without a ledger record in an end state, a handed-over mail
  without a case, a case not in a final state, or a message still in INBOX (must be 0);
- doubled: the same scan applied by two cases, a pair with two applied operations of one kind, a
  document made into cases twice, or a message copied twice into the mailbox folders (must be 0);
- decision mix, throughput (cases/s, forms/day per worker), drain time, CPU seconds per case (every
  process of the run: pollers, workers, reading children, PostgreSQL, Dovecot), and peak RSS per
  process (VmHWM from /proc, sampled every half second for every process, readers included).

The first worker count given is the baseline for the ratios. Each run's figures are also written as
JSON to ``--out`` as soon as the run ends, and ``--report`` prints the table from such files.

    PYTHONPATH=src:. python scripts/bench_scale.py --mails 300 --workers 1,2,4
    PYTHONPATH=src:. python scripts/bench_scale.py --mails 5000 --workers 1:1000,2,4 --out var/scale
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from tests.support.dovecot import DovecotServer, start_dovecot
from tests.support.postgres import PostgresServer, start_postgres

from kopplingar.bench.pipeline import form_page, registry_from_truth, seed_registry
from kopplingar.bench.reading import scan

DEFAULT_SEED = 920_000  # never the reading, pipeline or calibration scans
DEFAULT_POOL = 1250
POLLERS = 2
FINAL = ("applied", "rejected", "review")
TICK = os.sysconf("SC_CLK_TCK")
MIME = {
    ".pdf": ("application", "pdf"),
    ".jpg": ("image", "jpeg"),
    ".jpeg": ("image", "jpeg"),
    ".png": ("image", "png"),
    ".tif": ("image", "tiff"),
    ".tiff": ("image", "tiff"),
}


# ---------------------------------------------------------------------------------- the backlog


@dataclass(frozen=True)
class Backlog:
    """Which pool scan each mail carries, in arrival order; ``copy`` 0 is the first sending."""

    seeds: list[int]  # the pool
    mails: list[tuple[int, int]]  # (pool seed, copy number)

    @property
    def resends(self) -> int:
        return sum(1 for _, copy in self.mails if copy > 0)


def make_backlog(mails: int, pool: int, seed: int) -> Backlog:
    pool = max(1, min(pool, mails))
    seeds = [seed + i for i in range(pool)]
    order = [seeds[i % pool] for i in range(mails)]
    random.Random(seed).shuffle(order)  # noqa: S311  (a fixed test order, not crypto)
    seen: Counter[int] = Counter()
    numbered = []
    for s in order:
        numbered.append((s, seen[s]))
        seen[s] += 1
    return Backlog(seeds, numbered)


def mail_for(seed: int, copy: int, run: str) -> bytes:
    name, data, _truth = scan(seed)
    message = EmailMessage()
    message["From"] = f"Kund {seed} <kund{seed}@example.se>"
    message["To"] = "kopplingar@fortnox.se"
    message["Subject"] = f"Blankett {name}" + (f" (skickad igen {copy})" if copy else "")
    message["Message-ID"] = f"<scale-{run}-{seed}-{copy}@example.se>"
    message["Date"] = "Tue, 24 Nov 2026 08:00:00 +0100"
    message.set_content("Hej, här är den underskrivna blanketten.")
    maintype, subtype = MIME.get(Path(name).suffix.lower(), ("application", "octet-stream"))
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def append_backlog(
    dovecot: DovecotServer, backlog: Backlog, run: str, connections: int = 4
) -> tuple[int, float]:
    """APPEND every mail over a few connections (each mail built when sent, never all in memory);
    returns (bytes, seconds)."""
    started, sizes = time.perf_counter(), [0] * connections
    errors: list[BaseException] = []

    def send(index: int) -> None:
        try:
            with dovecot.client() as client:
                for seed, copy in backlog.mails[index::connections]:
                    raw = mail_for(seed, copy, run)
                    sizes[index] += len(raw)
                    client.append("INBOX", raw)
        except BaseException as error:  # reported by the caller
            errors.append(error)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return sum(sizes), time.perf_counter() - started


# ---------------------------------------------------------------------------------- processes


def _proc_stat(pid: int) -> tuple[int, float, float] | None:
    """(parent pid, own CPU seconds, reaped children's CPU seconds) from /proc/<pid>/stat."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()
    ppid = int(fields[1])
    own = (int(fields[11]) + int(fields[12])) / TICK
    children = (int(fields[13]) + int(fields[14])) / TICK
    return ppid, own, children


def _vm_hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat is not None:
                children.setdefault(stat[0], []).append(int(entry))
    return children


def _tree(root: int, children: dict[int, list[int]]) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


@dataclass
class Sampler:
    """Peak RSS of every process of the run and its descendants; CPU of each process tree.

    CPU is counted per tree, as the live processes' own time plus the time of the children they
    have reaped (``cutime``), so short-lived programs (tesseract runs of the reader) that start and
    end between two samples are counted too."""

    roots: dict[int, str]  # pid -> role ("poller", "worker")
    peaks: dict[int, tuple[str, int]] = field(default_factory=dict)  # pid -> (role, VmHWM KiB)
    own: dict[int, float] = field(default_factory=dict)  # root pid -> its own CPU seconds
    tree: dict[int, float] = field(default_factory=dict)  # root pid -> its tree's CPU seconds
    stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        children = _children_map()
        for root, role in self.roots.items():
            direct = set(children.get(root, []))
            total = 0.0
            for pid in _tree(root, children):
                kind = role if pid == root else f"{role}-child"
                if role == "worker" and pid != root:
                    # the reading child (and multiprocessing's resource tracker) / programs it runs
                    kind = "reader" if pid in direct else "reader-tool"
                hwm, stat = _vm_hwm_kib(pid), _proc_stat(pid)
                if hwm is not None:
                    self.peaks[pid] = (kind, max(hwm, self.peaks.get(pid, (kind, 0))[1]))
                if stat is not None:
                    total += stat[1] + stat[2]
                    if pid == root:
                        self.own[root] = stat[1]
            if root in self.own:
                self.tree[root] = max(total, self.tree.get(root, 0.0))

    def run(self, interval: float = 0.5) -> None:
        while not self.stop.wait(interval):
            self.sample()

    def cpu_by_role(self) -> dict[str, float]:
        """poller: the pollers' trees; worker: the workers' own; reader: everything under them."""
        out: Counter[str] = Counter()
        for root, role in self.roots.items():
            if role == "worker":
                out["worker"] += self.own.get(root, 0.0)
                out["reader"] += self.tree.get(root, 0.0) - self.own.get(root, 0.0)
            else:
                out[role] += self.tree.get(root, 0.0)
        return dict(out)

    def peak_by_role(self) -> dict[str, dict[str, float]]:
        by_role: dict[str, list[int]] = {}
        for role, kib in self.peaks.values():
            by_role.setdefault(role, []).append(kib)
        return {
            role: {
                "processes": len(v),
                "max_mib": max(v) / 1024,
                "mean_mib": sum(v) / len(v) / 1024,
            }
            for role, v in by_role.items()
        }


def tree_cpu(root: int) -> float:
    """CPU seconds of a server's whole process tree, ended children included."""
    total = 0.0
    for pid in _tree(root, _children_map()):
        stat = _proc_stat(pid)
        if stat is not None:
            total += stat[1] + stat[2]
    return total


def postmaster_pid(server: PostgresServer) -> int:
    return int((server.root / "data" / "postmaster.pid").read_text().split()[0])


def dovecot_pid(dovecot: DovecotServer) -> int:
    return int((dovecot.root / "run" / "master.pid").read_text().split()[0])


# ---------------------------------------------------------------------------------- one run


def _count(session: Session, sql: str) -> int:
    return int(session.execute(text(sql)).scalar() or 0)


def drain_state(engine: Any, expected: int) -> dict[str, int]:
    with Session(engine) as session:
        return {
            "mails": _count(session, "SELECT count(*) FROM mails"),
            "mails_open": _count(
                session, "SELECT count(*) FROM mails WHERE state IN ('stored', 'ready')"
            ),
            "cases": _count(session, "SELECT count(*) FROM cases"),
            "cases_waiting": _count(
                session, "SELECT count(*) FROM cases WHERE status = 'received'"
            ),
            "expected": expected,
        }


def drained(state: dict[str, int], inbox: int) -> bool:
    return (
        state["mails"] >= state["expected"]
        and state["mails_open"] == 0
        and state["cases_waiting"] == 0
        and inbox == 0
    )


def inbox_count(dovecot: DovecotServer) -> int:
    with dovecot.client() as client:
        return int(client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"])


def mailbox_message_ids(dovecot: DovecotServer) -> Counter[str]:
    """Message-ID of every message in every folder of the mailbox (a copy counted per copy)."""
    found: Counter[str] = Counter()
    with dovecot.client() as client:
        for _flags, _sep, folder in client.list_folders():
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            for start in range(0, len(uids), 500):
                data = client.fetch(
                    uids[start : start + 500], ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]
                )
                for item in data.values():
                    header = bytes(item.get(b"BODY[HEADER.FIELDS (MESSAGE-ID)]", b""))
                    value = header.decode(errors="replace").partition(":")[2].strip()
                    found[value] += 1
    return found


def prepare_database(home: Path, database_url: str, truths: list[dict[str, Any]]) -> None:
    """Schema, and the registry in which every valid scan of the pool is right."""
    from pydantic import SecretStr

    from kopplingar.bootstrap import build
    from kopplingar.config import Settings
    from kopplingar.forms.simulator import SAMPLE_SECRET

    registry, requests = registry_from_truth(truths)
    app = build(
        Settings(home=home, database_url=database_url, secret_key=SecretStr(SAMPLE_SECRET.decode()))
    )
    seed_registry(app.db, registry, requests)
    app.db.engine.dispose()


def process_env(home: Path, database_url: str, dovecot: DovecotServer) -> dict[str, str]:
    """The several-machine settings: shared PostgreSQL, IMAP, blobs in the database."""
    from kopplingar.forms.simulator import SAMPLE_SECRET

    return {
        **os.environ,
        "KOPPLINGAR_HOME": str(home),
        "KOPPLINGAR_DATABASE_URL": database_url,
        "KOPPLINGAR_IMAP_URL": dovecot.url,
        "KOPPLINGAR_STORE": "database",
        "KOPPLINGAR_SECRET_KEY": SAMPLE_SECRET.decode(),
        "KOPPLINGAR_AUTO_MIGRATE": "false",
        "OMP_THREAD_LIMIT": "1",
    }


Processes = list[tuple[str, "subprocess.Popen[bytes]"]]


def start_processes(env: dict[str, str], logs: Path, workers: int, sampler: Sampler) -> Processes:
    """Two ``kopplingar poll`` and W ``kopplingar work``, each its own OS process and log."""
    cli = [sys.executable, "-m", "kopplingar.cli"]
    processes: Processes = []
    for role, command, count in (("poller", "poll", POLLERS), ("worker", "work", workers)):
        for index in range(count):
            with (logs / f"{role}-{index}.log").open("wb") as log:
                proc = subprocess.Popen(  # noqa: S603  (our own CLI, fixed arguments)
                    [*cli, command], env=env, stdout=log, stderr=subprocess.STDOUT
                )
            processes.append((f"{role}-{index}", proc))
            sampler.roots[proc.pid] = role
    return processes


def wait_for_drain(
    engine: Any,
    dovecot: DovecotServer,
    processes: Processes,
    *,
    expected: int,
    stall_seconds: float,
    label: str,
) -> tuple[dict[str, int], int]:
    """Until every mail is recorded and settled and INBOX is empty, a process dies, or nothing
    moves for ``stall_seconds``; returns the last state seen and the INBOX count."""
    started = last_progress = time.perf_counter()
    last_settled, next_print = -1, started + 30
    while True:
        time.sleep(1.0)
        state, inbox = drain_state(engine, expected), inbox_count(dovecot)
        settled = state["cases"] - state["cases_waiting"] + state["mails"]
        if settled != last_settled:
            last_progress, last_settled = time.perf_counter(), settled
        if drained(state, inbox):
            return state, inbox
        dead = [name for name, p in processes if p.poll() is not None]
        if dead or time.perf_counter() - last_progress > stall_seconds:
            print(f"{label} stopped waiting: dead {dead}, {state}, inbox {inbox}", flush=True)
            return state, inbox
        if time.perf_counter() >= next_print:
            elapsed = time.perf_counter() - started
            print(f"{label} {elapsed:.0f} s: {state}, inbox {inbox}", flush=True)
            next_print += 60


def stop_processes(processes: Processes) -> dict[str, int]:
    """SIGTERM to all (each finishes the case in hand), then their exit codes."""
    for _name, proc in processes:
        proc.send_signal(signal.SIGTERM)
    exits = {}
    for name, proc in processes:
        try:
            exits[name] = proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            exits[name] = proc.wait()
    return exits


def run_once(
    server: PostgresServer,
    backlog: Backlog,
    truths: dict[int, dict[str, Any]],
    workers: int,
    *,
    stall_seconds: float,
    keep: bool,
) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix=f"kopplingar-scale-{workers}w-", dir="/tmp"))
    database_url = server.create_database()
    dovecot = start_dovecot()
    try:
        prepare_database(home, database_url, [truths[s] for s in backlog.seeds])
        result = drain_and_check(
            server,
            dovecot,
            home=home,
            database_url=database_url,
            backlog=backlog,
            truths=truths,
            workers=workers,
            stall_seconds=stall_seconds,
        )
    finally:
        dovecot.stop()
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
            _drop_database(server, database_url)
    if keep:
        result["home"] = str(home)
    return result


def drain_and_check(
    server: PostgresServer,
    dovecot: DovecotServer,
    *,
    home: Path,
    database_url: str,
    backlog: Backlog,
    truths: dict[int, dict[str, Any]],
    workers: int,
    stall_seconds: float,
) -> dict[str, Any]:
    """Append the backlog, run the processes until it is drained, and check the outcome."""
    run = f"{workers}w{int(time.time())}"
    mail_bytes, append_seconds = append_backlog(dovecot, backlog, run)
    print(
        f"[{workers} workers] {len(backlog.mails)} mails appended "
        f"({mail_bytes / 1e6:.0f} MB in {append_seconds:.0f} s); starting",
        flush=True,
    )
    env = process_env(home, database_url, dovecot)
    logs = home / "logs"
    logs.mkdir()
    engine = create_engine(database_url)
    sampler = Sampler({})
    pg_cpu0, dovecot_cpu0 = tree_cpu(postmaster_pid(server)), tree_cpu(dovecot_pid(dovecot))
    started_wall = datetime.now(UTC)
    started = time.perf_counter()
    processes = start_processes(env, logs, workers, sampler)
    try:
        threading.Thread(target=sampler.run, daemon=True).start()
        state, inbox = wait_for_drain(
            engine,
            dovecot,
            processes,
            expected=len(backlog.mails),
            stall_seconds=stall_seconds,
            label=f"[{workers} workers]",
        )
        observed = time.perf_counter() - started
        sampler.sample()
        cpu = sampler.cpu_by_role()
        cpu["postgresql"] = tree_cpu(postmaster_pid(server)) - pg_cpu0
        cpu["dovecot"] = tree_cpu(dovecot_pid(dovecot)) - dovecot_cpu0
    finally:
        exits = stop_processes(processes)
        sampler.stop.set()
    result = check(
        engine, dovecot, backlog=backlog, truths=truths, run=run, state=state, inbox=inbox
    )
    with Session(engine) as session:
        first, last = session.execute(
            text(
                "SELECT min(at), max(at) FROM case_events"
                " WHERE to_status IN ('applied', 'rejected', 'review')"
            )
        ).one()
        result["database_mib"] = (
            _count(session, "SELECT pg_database_size(current_database())") / 2**20
        )
    drain = (last - started_wall).total_seconds() if isinstance(last, datetime) else observed
    cases = result["cases"]
    result.update(
        workers=workers,
        pollers=POLLERS,
        mails=len(backlog.mails),
        unique_scans=len(backlog.seeds),
        resends=backlog.resends,
        mail_bytes=mail_bytes,
        append_seconds=append_seconds,
        drain_seconds=drain,
        observed_seconds=observed,
        cases_per_second=cases / drain if drain > 0 else 0.0,
        cpu_seconds=cpu,
        cpu_seconds_per_case=sum(cpu.values()) / max(cases, 1),
        reading_cpu_per_case=(cpu.get("worker", 0) + cpu.get("reader", 0)) / max(cases, 1),
        peak_rss=sampler.peak_by_role(),
        exit_codes=exits,
        errors_in_logs=_log_errors(logs),
        started_at=started_wall.isoformat(timespec="seconds"),
    )
    span = (last - first).total_seconds() if isinstance(first, datetime) else 0.0
    result["steady_cases_per_second"] = (cases - 1) / span if span > 0 else 0.0
    result["forms_per_day_per_worker"] = result["cases_per_second"] * 86400 / workers
    engine.dispose()
    return result


def _log_errors(logs: Path) -> dict[str, int]:
    out = {}
    for path in sorted(logs.glob("*.log")):
        lines = path.read_text(errors="replace").splitlines()
        out[path.stem] = sum(1 for line in lines if " ERROR " in line or "Traceback" in line)
    return out


def _drop_database(server: PostgresServer, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


# ---------------------------------------------------------------------------------- the checks


def check(
    engine: Any,
    dovecot: DovecotServer,
    *,
    backlog: Backlog,
    truths: dict[int, dict[str, Any]],
    run: str,
    state: dict[str, int],
    inbox: int,
) -> dict[str, Any]:
    """Lost and doubled, from the database and the mailbox; the decision mix."""
    in_mailbox = mailbox_message_ids(dovecot)
    sent = {f"<scale-{run}-{seed}-{copy}@example.se>": (seed, copy) for seed, copy in backlog.mails}
    with Session(engine) as session:
        mails = {
            mid: (mail_id, mstate)
            for mail_id, mid, mstate in session.execute(
                text("SELECT id, message_id, state FROM mails")
            )
        }
        cases = list(
            session.execute(
                text(
                    "SELECT id, mail_id, document_id, status, reasons, sha256, page, operation,"
                    " bureau_org_number, company_org_number, parent_id FROM cases"
                )
            )
        )
        operations = list(
            session.execute(
                text("SELECT key, kind, bureau_org_number, company_org_number FROM operations")
            )
        )
        sizes = session.execute(text("SELECT avg(size), sum(size) FROM mails")).one()
        blob_bytes = _count(session, "SELECT coalesce(sum(size), 0) FROM blobs")
    mails_with_cases = {c.mail_id for c in cases}
    lost: dict[str, list[str]] = {
        "not_in_mailbox": sorted(set(sent) - set(in_mailbox)),
        "no_ledger_record": sorted(m for m in sent if m not in mails),
        "ledger_not_final": sorted(
            m for m, (_i, s) in mails.items() if s not in ("handed_over", "quarantined")
        ),
        "handed_over_without_case": sorted(
            m for m, (i, s) in mails.items() if s == "handed_over" and i not in mails_with_cases
        ),
        "case_not_final": sorted(str(c.id) for c in cases if c.status not in FINAL),
        "left_in_inbox": [str(inbox)] if inbox else [],
    }
    applied = [c for c in cases if c.status == "applied"]
    by_scan = Counter((c.sha256, c.page) for c in applied)
    by_pair = Counter((o.kind, o.bureau_org_number, o.company_org_number) for o in operations)
    by_document = Counter((c.mail_id, c.document_id) for c in cases if c.parent_id is None)
    doubled: dict[str, list[str]] = {
        "scan_applied_twice": [f"{k[0][:12]} page {k[1]}" for k, n in by_scan.items() if n > 1],
        "pair_operation_twice": [" ".join(k) for k, n in by_pair.items() if n > 1],
        "operations_not_one_per_applied_case": (
            [] if len(operations) == len(applied) else [f"{len(operations)} vs {len(applied)}"]
        ),
        "document_cased_twice": [str(k) for k, n in by_document.items() if n > 1],
        "mailbox_copies": [m for m, n in in_mailbox.items() if n > 1],
    }
    reasons = Counter(
        (c.status, (c.reasons or [{}])[0].get("code", "")) for c in cases if c.status != "applied"
    )
    seed_of_mail = {mails[m][0]: sent[m] for m in sent if m in mails}
    first_copy_applied = Counter()
    for c in cases:
        seed, copy = seed_of_mail.get(c.mail_id, (None, None))
        if seed is None or copy != 0 or c.parent_id is not None:
            continue
        truth = truths[seed]
        valid = bool((truth.get("expected") or {}).get("valid")) and form_page(truth) is not None
        first_copy_applied[(valid, c.status)] += 1
    return {
        "cases": len(cases),
        "statuses": dict(Counter(c.status for c in cases)),
        "reasons": {f"{s} {r}": n for (s, r), n in reasons.most_common()},
        "operations": len(operations),
        "lost": {k: len(v) for k, v in lost.items()},
        "lost_examples": {k: v[:5] for k, v in lost.items() if v},
        "lost_total": sum(len(v) for v in lost.values()),
        "doubled": {k: len(v) for k, v in doubled.items()},
        "doubled_examples": {k: v[:5] for k, v in doubled.items() if v},
        "doubled_total": sum(len(v) for v in doubled.values()),
        "drained": drained(state, inbox) if state else False,
        "mean_mail_bytes": float(sizes[0] or 0),
        "stored_raw_and_document_bytes": blob_bytes,
        "first_copies": {
            "valid_applied": first_copy_applied[(True, "applied")],
            "valid": sum(n for (v, _s), n in first_copy_applied.items() if v),
            "defective_applied": first_copy_applied[(False, "applied")],
            "defective": sum(n for (v, _s), n in first_copy_applied.items() if not v),
        },
    }


# ---------------------------------------------------------------------------------- the report


def print_table(results: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    base = min(results, key=lambda r: r["workers"])  # the fewest workers: 1 when it ran
    table = Table(
        title=f"Scale test: {POLLERS} pollers, PostgreSQL + Dovecot on 127.0.0.1 "
        f"(baseline: the {base['workers']}-worker run)"
    )
    table.add_column("measure")
    for r in results:
        table.add_column(f"{r['workers']} worker{'s' if r['workers'] > 1 else ''}", justify="right")

    def row(label: str, value: Any) -> None:
        table.add_row(label, *[value(r) for r in results])

    def peak(role: str) -> Any:
        return lambda r: (
            f"{r['peak_rss'][role]['max_mib']:.0f} ({r['peak_rss'][role]['processes']})"
            if role in r["peak_rss"]
            else "–"
        )

    row(
        "mails (unique scans + resends)",
        lambda r: f"{r['mails']} ({r['unique_scans']} + {r['resends']})",
    )
    row("cases", lambda r: str(r["cases"]))
    row("drained", lambda r: "yes" if r["drained"] else "[bold red]NO")
    row("drain time, s", lambda r: f"{r['drain_seconds']:.0f}")
    row("cases/s", lambda r: f"{r['cases_per_second']:.3f}")
    row("cases/s between first and last decision", lambda r: f"{r['steady_cases_per_second']:.3f}")
    row("ratio to baseline", lambda r: f"{r['cases_per_second'] / base['cases_per_second']:.2f}×")
    row("forms/day per worker", lambda r: f"{r['forms_per_day_per_worker']:,.0f}")
    row("CPU s per case, all processes", lambda r: f"{r['cpu_seconds_per_case']:.2f}")
    row("  of which worker + reader", lambda r: f"{r['reading_cpu_per_case']:.2f}")
    row(
        "  pollers / PostgreSQL / Dovecot, s",
        lambda r: "{:.0f} / {:.0f} / {:.0f}".format(
            r["cpu_seconds"].get("poller", 0),
            r["cpu_seconds"].get("postgresql", 0),
            r["cpu_seconds"].get("dovecot", 0),
        ),
    )
    row("lost (must be 0)", lambda r: _flag(r["lost_total"]))
    row("applied twice (must be 0)", lambda r: _flag(r["doubled_total"]))
    row(
        "applied / rejected / review",
        lambda r: "{} / {} / {}".format(*(r["statuses"].get(s, 0) for s in FINAL)),
    )
    row("rejected as duplicate", lambda r: str(r["reasons"].get("rejected duplicate", 0)))
    row(
        "valid first copies applied",
        lambda r: f"{r['first_copies']['valid_applied']}/{r['first_copies']['valid']}",
    )
    row("defective applied (must be 0)", lambda r: _flag(r["first_copies"]["defective_applied"]))
    row("peak RSS MiB (procs): poller", peak("poller"))
    row("  worker", peak("worker"))
    row("  reader child", peak("reader"))
    row("  programs the reader runs", peak("reader-tool"))
    row("mean mail size, KB", lambda r: f"{r['mean_mail_bytes'] / 1000:.0f}")
    row(
        "blobs (raw + documents), KB/mail",
        lambda r: f"{r['stored_raw_and_document_bytes'] / r['mails'] / 1000:.0f}",
    )
    row("database size, MiB", lambda r: f"{r['database_mib']:.0f}")
    row("errors in process logs", lambda r: str(sum(r["errors_in_logs"].values())))
    row(
        "process exit codes",
        lambda r: " ".join(str(c) for c in sorted(set(r["exit_codes"].values()))),
    )
    console.print(table)
    for r in results:
        if r["lost_total"] or r["doubled_total"]:
            console.print(
                f"[bold red]{r['workers']} workers: lost {r['lost_examples']}, "
                f"doubled {r['doubled_examples']}"
            )
        mix = ", ".join(f"{k} {v}" for k, v in list(r["reasons"].items())[:8])
        console.print(f"{r['workers']} workers, not applied: {mix}")


def _flag(n: int) -> str:
    return str(n) if n == 0 else f"[bold red]{n}"


def parse_runs(spec: str, mails: int) -> list[tuple[int, int]]:
    runs = []
    for item in spec.split(","):
        workers, _, count = item.partition(":")
        runs.append((int(workers), int(count) if count else mails))
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mails", type=int, default=5000, help="backlog size per run")
    parser.add_argument(
        "--workers",
        default="1,2,4",
        help="worker counts in run order, first is the baseline; W:N gives that run N mails",
    )
    parser.add_argument(
        "--pool", type=int, default=DEFAULT_POOL, help="unique scans (the rest resends)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--stall-seconds", type=float, default=600, help="give up after no progress"
    )
    parser.add_argument("--out", type=Path, default=None, help="folder for each run's JSON")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON list")
    parser.add_argument(
        "--keep", action="store_true", help="keep each run's data folder and database"
    )
    parser.add_argument(
        "--report", type=Path, nargs="*", help="only print the table from run JSONs"
    )
    args = parser.parse_args(argv)
    if args.report:
        results = [json.loads(p.read_text()) for p in args.report]
        print_table(results)
        return 0
    runs = parse_runs(args.workers, args.mails)
    largest = max(n for _, n in runs)
    backlogs = {n: make_backlog(n, args.pool, args.seed) for _, n in runs}
    pool = backlogs[largest].seeds
    print(f"generating or loading {len(pool)} scans", flush=True)
    truths = {s: scan(s)[2] for s in pool}
    server = start_postgres()
    results = []
    try:
        for workers, count in runs:
            result = run_once(
                server,
                backlogs[count],
                truths,
                workers,
                stall_seconds=args.stall_seconds,
                keep=args.keep,
            )
            results.append(result)
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                path = args.out / f"scale-{workers}w-{count}.json"
                path.write_text(json.dumps(result, indent=1, default=str))
            print(
                f"[{workers} workers] {count} mails: drained {result['drained']} in "
                f"{result['drain_seconds']:.0f} s, lost {result['lost_total']}, "
                f"doubled {result['doubled_total']}",
                flush=True,
            )
    finally:
        server.stop()
    if args.json:
        print(json.dumps(results, default=str))
    else:
        print_table(results)
    bad = any(r["lost_total"] or r["doubled_total"] or not r["drained"] for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
