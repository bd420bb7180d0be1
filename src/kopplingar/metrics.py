"""Prometheus metrics computed from the shared database when scraped.

Pollers and workers may run on other machines, so the web process does not count events in memory:
a custom collector reads the database at scrape time. The cost of a scrape is bounded:

- Gauges read only what waits (queued cases, cases in review, mail not yet handed over, unsent
  mail) through the state indexes: their size is the backlog, not the history.
- Counters and histograms (mails received, cases settled by state and reason, decision latency,
  reading time) are totals over append-only rows (``mails``, ``case_events``), read incrementally:
  each scrape reads the rows after a watermark, at most ``batch_limit`` of them. Rows older than
  ``settle_margin`` are folded into the totals and the watermark moves past them; younger rows are
  read again next time, because a transaction that started earlier may still commit a row with a
  smaller id. The first scrape of a long history catches up over several scrapes.

Each web process keeps its own totals from its start; Prometheus's ``rate()`` and ``increase()``
handle that like a process restart. Reasons are the settled case's current reason codes.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kopplingar.queue.states import CaseStatus
from kopplingar.storage.case_tables import CaseEventRow, CaseRow
from kopplingar.storage.database import Database
from kopplingar.storage.mail_tables import MailRow, MailState
from kopplingar.storage.registry_tables import OutgoingMailRow
from kopplingar.validation.reasons import Code

DECISION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400, 86400)
READING_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)
SETTLED = (CaseStatus.APPLIED.value, CaseStatus.REJECTED.value, CaseStatus.REVIEW.value)
KNOWN_REASONS = frozenset(code.value for code in Code)
WAITING_MAIL = (MailState.STORED, MailState.READY)
REVIEW_REASON_LIMIT = 10_000


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _reason_labels(reasons: Any) -> list[str]:
    """Reason codes as labels; unknown text becomes ``other`` so label values stay few."""
    codes = [r.get("code") for r in reasons or [] if isinstance(r, dict)]
    labels = sorted({c if c in KNOWN_REASONS else "other" for c in codes if c})
    return labels or ["none"]


@dataclass
class Histogram:
    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)  # per bucket, not cumulative; last is +Inf
    total: float = 0.0

    def __post_init__(self) -> None:
        self.counts = self.counts or [0] * (len(self.bounds) + 1)

    def observe(self, value: float) -> None:
        value = max(0.0, value)
        index = next((i for i, b in enumerate(self.bounds) if value <= b), len(self.bounds))
        self.counts[index] += 1
        self.total += value

    def copy(self) -> Histogram:
        return Histogram(self.bounds, list(self.counts), self.total)

    def buckets(self) -> list[tuple[str, float]]:
        cumulative, out = 0, list[tuple[str, float]]()
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            cumulative += count
            out.append(("+Inf" if bound == float("inf") else f"{bound:g}", cumulative))
        return out


@dataclass
class Totals:
    """What the append-only rows add up to: folded (final) or a scrape's view (folded + recent)."""

    mails: int = 0
    settled: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    decision: Histogram = field(default_factory=lambda: Histogram(DECISION_BUCKETS))
    reading: Histogram = field(default_factory=lambda: Histogram(READING_BUCKETS))

    def copy(self) -> Totals:
        return Totals(self.mails, Counter(self.settled), self.decision.copy(), self.reading.copy())


@dataclass(frozen=True)
class SettledEvent:
    id: int
    at: datetime
    state: str
    automatic: bool
    reasons: list[str]
    latency: float | None
    reading: float | None

    def add_to(self, totals: Totals) -> None:
        by = "worker" if self.automatic else "person"
        for reason in self.reasons:
            totals.settled[(self.state, reason, by)] += 1
        if self.latency is not None:
            totals.decision.observe(self.latency)
        if self.reading is not None:
            totals.reading.observe(self.reading)


class DatabaseCollector(Collector):
    def __init__(
        self,
        db: Database,
        *,
        settle_margin: timedelta = timedelta(minutes=10),
        batch_limit: int = 20_000,
    ) -> None:
        self.db = db
        self.settle_margin = settle_margin
        self.batch_limit = batch_limit
        self._lock = threading.Lock()  # one scrape at a time updates the folded totals
        self._folded = Totals()
        self._mail_mark = 0
        self._event_mark = 0

    def describe(self) -> Iterable[Metric]:
        return []  # computed at scrape time; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "kopplingar_database_up", "1 when the metrics could be read from the database."
        )
        try:
            with self._lock, Session(self.db.engine) as session:
                metrics = list(self._collect(session, datetime.now(UTC)))
        except Exception:  # a scrape reports the database as down instead of failing
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from metrics

    # ---------------------------------------------------------------- what waits now

    def _collect(self, session: Session, now: datetime) -> Iterator[Metric]:
        yield from self._backlog(session, now)
        totals = self._totals(session, now)
        received = CounterMetricFamily(
            "kopplingar_mails_received", "Mails recorded by intake (each distinct mail once)."
        )
        received.add_metric([], totals.mails)
        yield received
        settled = CounterMetricFamily(
            "kopplingar_cases_settled",
            "Cases settled, by state (applied, rejected, review), reason and who decided.",
            labels=["state", "reason", "by"],
        )
        for (state, reason, by), count in sorted(totals.settled.items()):
            settled.add_metric([state, reason, by], count)
        yield settled
        for name, doc, histogram in (
            (
                "kopplingar_decision_latency_seconds",
                "From a case's arrival to its automatic decision.",
                totals.decision,
            ),
            (
                "kopplingar_reading_seconds",
                "From a worker's claim of a case to its decision: reading and deciding.",
                totals.reading,
            ),
        ):
            family = HistogramMetricFamily(name, doc)
            family.add_metric([], histogram.buckets(), sum_value=histogram.total)
            yield family

    def _backlog(self, session: Session, now: datetime) -> Iterator[Metric]:
        open_cases = dict(
            session.execute(
                select(CaseRow.status, func.count())
                .where(CaseRow.status.in_([CaseStatus.RECEIVED.value, CaseStatus.REVIEW.value]))
                .group_by(CaseRow.status)
            ).all()
        )
        depth = GaugeMetricFamily(
            "kopplingar_queue_depth", "Cases waiting for a worker (state received)."
        )
        depth.add_metric([], open_cases.get(CaseStatus.RECEIVED.value, 0))
        yield depth
        cases = GaugeMetricFamily(
            "kopplingar_cases_open", "Cases not settled for good, by state.", labels=["state"]
        )
        for state in (CaseStatus.RECEIVED.value, CaseStatus.REVIEW.value):
            cases.add_metric([state], open_cases.get(state, 0))
        yield cases
        review = GaugeMetricFamily(
            "kopplingar_cases_in_review",
            "Cases waiting for a person, by reason (a case with two reasons counts under both).",
            labels=["reason"],
        )
        reasons: Counter[str] = Counter()
        for row in session.scalars(
            select(CaseRow.reasons)
            .where(CaseRow.status == CaseStatus.REVIEW.value)
            .limit(REVIEW_REASON_LIMIT)
        ):
            reasons.update(_reason_labels(row))
        for reason, count in sorted(reasons.items()):
            review.add_metric([reason], count)
        yield review

        waiting = {
            state: (count, oldest)
            for state, count, oldest in session.execute(
                select(MailRow.state, func.count(), func.min(MailRow.received_at))
                .where(MailRow.state.in_(WAITING_MAIL))
                .group_by(MailRow.state)
            ).all()
        }
        mails = GaugeMetricFamily(
            "kopplingar_mails_waiting",
            "Mails not yet handed to the case queue: stored (documents not yet extracted) or "
            "ready (waiting for a worker to make cases).",
            labels=["state"],
        )
        for state in WAITING_MAIL:
            mails.add_metric([state], waiting.get(state, (0, None))[0])
        yield mails
        oldest = [_aware(o) for _, o in waiting.values() if o is not None]
        lag = GaugeMetricFamily(
            "kopplingar_imap_lag_seconds",
            "Age of the oldest mail taken from the mailbox but not yet handed over (0: none).",
        )
        lag.add_metric([], max(0.0, (now - min(oldest)).total_seconds()) if oldest else 0.0)
        yield lag

        unsent, first = session.execute(
            select(func.count(), func.min(OutgoingMailRow.created_at)).where(
                OutgoingMailRow.sent_at.is_(None)
            )
        ).one()
        outbox = GaugeMetricFamily("kopplingar_outbox_backlog", "Outgoing mails not yet sent.")
        outbox.add_metric([], unsent)
        yield outbox
        age = GaugeMetricFamily(
            "kopplingar_outbox_oldest_seconds", "Age of the oldest unsent mail (0: none)."
        )
        age.add_metric([], (now - _aware(first)).total_seconds() if first is not None else 0.0)
        yield age

    # ---------------------------------------------------------------- totals, incrementally

    def _totals(self, session: Session, now: datetime) -> Totals:
        cutoff = now - self.settle_margin
        view = self._folded.copy()

        mails = session.execute(
            select(MailRow.id, MailRow.received_at)
            .where(MailRow.id > self._mail_mark)
            .order_by(MailRow.id)
            .limit(self.batch_limit)
        ).all()
        fold_to = _fold_point([(i, _aware(at)) for i, at in mails], cutoff)
        for mail_id, _ in mails:
            view.mails += 1
            if mail_id <= fold_to:
                self._folded.mails += 1
        self._mail_mark = max(self._mail_mark, fold_to)

        events = self._settled_events(session)
        fold_to = _fold_point([(e.id, e.at) for e in events], cutoff)
        for event in events:
            event.add_to(view)
            if event.id <= fold_to:
                event.add_to(self._folded)
        self._event_mark = max(self._event_mark, fold_to)
        return view

    def _settled_events(self, session: Session) -> list[SettledEvent]:
        rows = session.execute(
            select(
                CaseEventRow.id,
                CaseEventRow.at,
                CaseEventRow.case_id,
                CaseEventRow.to_status,
                CaseEventRow.from_status,
                CaseRow.created_at,
                CaseRow.reasons,
            )
            .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
            .where(CaseEventRow.id > self._event_mark)
            .where(CaseEventRow.action.in_(SETTLED))
            .order_by(CaseEventRow.id)
            .limit(self.batch_limit)
        ).all()
        automatic_ids = [r.case_id for r in rows if r.from_status == CaseStatus.RECEIVED.value]
        claimed: dict[int, datetime] = {}
        for start in range(0, len(automatic_ids), 500):
            chunk = automatic_ids[start : start + 500]
            for case_id, at in session.execute(
                select(CaseEventRow.case_id, func.max(CaseEventRow.at))
                .where(CaseEventRow.case_id.in_(chunk), CaseEventRow.action == "claimed")
                .group_by(CaseEventRow.case_id)
            ).all():
                claimed[case_id] = _aware(at)
        events = []
        for row in rows:
            at, automatic = _aware(row.at), row.from_status == CaseStatus.RECEIVED.value
            claim = claimed.get(row.case_id) if automatic else None
            events.append(
                SettledEvent(
                    id=row.id,
                    at=at,
                    state=row.to_status or "",
                    automatic=automatic,
                    reasons=_reason_labels(row.reasons),
                    latency=(at - _aware(row.created_at)).total_seconds() if automatic else None,
                    reading=(at - claim).total_seconds() if claim is not None else None,
                )
            )
        return events


def _fold_point(rows: list[tuple[int, datetime]], cutoff: datetime) -> int:
    """The largest id up to which every row read is older than ``cutoff`` (0: none)."""
    fold_to = 0
    for row_id, at in rows:
        if at >= cutoff:
            break
        fold_to = row_id
    return fold_to


def build_registry(db: Database, **options: Any) -> CollectorRegistry:
    """A registry of this app's metrics and the web process's own (memory, CPU, open files)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(db, **options))
    ProcessCollector(registry=registry)
    return registry
