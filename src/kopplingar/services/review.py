"""What customer service does with cases: list, look, approve (with corrections), reject, ask for
a new scan, reopen. A person's approval confirms every value as shown; the rules still run, so a
person cannot apply a form whose values contradict the registry, only correct what was misread.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kopplingar.domain.errors import DomainError, NotFoundError
from kopplingar.queue.cases import (
    SettleOptions,
    apply_decision,
    never_reply_to,
    queue_rejection_reply,
    reason_dicts,
    record_event,
    transition,
)
from kopplingar.queue.states import CaseStatus
from kopplingar.services.registry_view import DatabaseRegistryView
from kopplingar.storage.case_tables import CaseEventRow, CaseRow
from kopplingar.storage.database import Database
from kopplingar.validation.reading import FIELD_NAMES, FormReading
from kopplingar.validation.reasons import Code, Reason
from kopplingar.validation.rules import Verdict, decide


class ReviewError(DomainError):
    code = "review_refused"


@dataclass(frozen=True)
class CaseDetail:
    case: dict[str, Any]
    reading: dict[str, Any] | None
    events: list[dict[str, Any]]


def _case(session: Session, case_id: int, *, lock: bool = False) -> CaseRow:
    query = select(CaseRow).where(CaseRow.id == case_id)
    case = session.scalars(query.with_for_update() if lock else query).first()
    if case is None:
        raise NotFoundError(f"inget ärende {case_id}")
    return case


def summary(case: CaseRow) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "status": case.status,
        "operation": case.operation,
        "reasons": [r["code"] for r in case.reasons or []],
        "details": case.reasons or [],
        "file": case.file_name,
        "page": case.page,
        "message_id": case.message_id,
        "reply_to": case.reply_to,
        "received_at": case.created_at,
        "bureau": case.bureau_org_number,
        "company": case.company_org_number,
        "mail_id": case.mail_id,
        "replied_at": case.replied_at,
    }


def list_cases(
    db: Database, *, status: str = "review", reason: str | None = None
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Cases in a state (optionally with a reason), oldest first, and counts per state."""
    with db.transaction() as session:
        rows = session.scalars(
            select(CaseRow).where(CaseRow.status == status).order_by(CaseRow.id)
        ).all()
        counts = Counter(session.scalars(select(CaseRow.status)).all())
        items = [
            summary(r)
            for r in rows
            if reason is None or reason in {x["code"] for x in r.reasons or []}
        ]
    return items, dict(counts)


def show(db: Database, case_id: int) -> CaseDetail:
    with db.transaction() as session:
        case = _case(session, case_id)
        events = session.scalars(
            select(CaseEventRow).where(CaseEventRow.case_id == case_id).order_by(CaseEventRow.id)
        ).all()
        return CaseDetail(
            case=summary(case)
            | {
                "corrections": case.corrections,
                "subject": case.subject,
                "storage_key": case.storage_key,
            },
            reading=case.reading,
            events=[
                {
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "from": e.from_status,
                    "to": e.to_status,
                    "note": e.note,
                }
                for e in events
            ],
        )


def _confirmed_reading(case: CaseRow, corrections: dict[str, str]) -> FormReading:
    unknown = set(corrections) - set(FIELD_NAMES)
    if unknown:
        raise ReviewError(f"okända fält: {', '.join(sorted(unknown))}")
    if case.reading is None or not (case.reading.get("form") or {}).get("kind"):
        raise ReviewError("ärendet har ingen läst blankett att godkänna")
    data = dict(case.reading)
    fields = {
        name: {"value": (value or {}).get("value"), "confidence": 1.0}
        for name, value in (data.get("fields") or {}).items()
    }
    for name, value in corrections.items():
        fields[name] = {"value": value.strip() or None, "confidence": 1.0}
    data["fields"] = fields
    # The reviewer looked at both signature boxes: approving says both parties signed.
    data["signatures"] = {
        party: {"present": True, "confidence": 1.0} for party in ("company", "bureau")
    }
    return FormReading.model_validate(data)


def approve(
    db: Database,
    case_id: int,
    *,
    reviewer: str,
    corrections: dict[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    corrections = corrections or {}
    with db.transaction() as session:
        case = _case(session, case_id, lock=True)
        if case.status == CaseStatus.APPLIED.value:
            raise ReviewError(f"ärende {case_id} är redan genomfört")
        if case.status == CaseStatus.RECEIVED.value:
            raise ReviewError(f"ärende {case_id} har inte lästs än")
        reading = _confirmed_reading(case, corrections)
        decision = decide(reading, DatabaseRegistryView(session, now))
        if decision.verdict is not Verdict.APPLY:
            raise ReviewError(
                "kan inte godkännas: "
                + "; ".join(f"{r.text} {r.detail}".strip() for r in decision.reasons)
            )
        if case.status == CaseStatus.REJECTED.value:
            transition(
                session,
                case,
                CaseStatus.REVIEW,
                actor=reviewer,
                now=now,
                note="reopened to approve",
            )
        case.corrections = corrections or None
        case.reading = reading.model_dump(mode="json")
        result = apply_decision(
            session, case, decision, actor=reviewer, now=now, options=SettleOptions()
        )
        if case.status != CaseStatus.APPLIED.value:
            raise ReviewError("kan inte godkännas: " + "; ".join(r.text for r in result.reasons))
        return summary(case)


def reject(
    db: Database,
    case_id: int,
    *,
    reviewer: str,
    codes: list[str],
    note: str | None = None,
    reply: bool = True,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    try:
        reasons = [Reason(Code(code), note or "") for code in codes]
    except ValueError as error:
        raise ReviewError(f"okänd skälkod: {error}") from None
    if not reasons:
        raise ReviewError("ange minst ett skäl")
    with db.transaction() as session:
        case = _case(session, case_id, lock=True)
        if case.status != CaseStatus.REVIEW.value:
            raise ReviewError(f"ärende {case_id} väntar inte på granskning (status {case.status})")
        case.reasons = reason_dicts(reasons)
        transition(session, case, CaseStatus.REJECTED, actor=reviewer, now=now, note=note)
        if reply:
            case.replied_at = (
                None  # a person's decision is always told, even after an earlier reply
            )
            queue_rejection_reply(session, case, reasons, now)
        return summary(case)


def request_new_scan(
    db: Database, case_id: int, *, reviewer: str, note: str | None = None
) -> dict[str, Any]:
    return reject(db, case_id, reviewer=reviewer, codes=[Code.NEW_SCAN_REQUESTED.value], note=note)


def reopen(
    db: Database, case_id: int, *, reviewer: str, now: datetime | None = None
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        case = _case(session, case_id, lock=True)
        if case.status != CaseStatus.REJECTED.value:
            raise ReviewError(f"bara avvisade ärenden kan öppnas igen (status {case.status})")
        transition(session, case, CaseStatus.REVIEW, actor=reviewer, now=now, note="reopened")
        return summary(case)


MACHINE_ACTORS = ("worker:", "intake")  # what the queue writes as the actor of its decisions


def rejected_by_person(events: list[dict[str, Any]]) -> bool:
    """Whether the latest rejection in a case's history was a person's decision (not the queue's)."""
    for event in reversed(events):
        if event["to"] == CaseStatus.REJECTED.value and event["action"] == "rejected":
            return not str(event["actor"]).startswith(MACHINE_ACTORS)
    return False


def _stored_reasons(case: CaseRow) -> list[Reason]:
    reasons = []
    for item in case.reasons or []:
        try:
            reasons.append(
                Reason(Code(str(item.get("code"))), item.get("detail") or "", item.get("field"))
            )
        except ValueError:
            continue
    return reasons


def send_reply(
    db: Database, case_id: int, *, reviewer: str, now: datetime | None = None
) -> dict[str, Any]:
    """Send the rejection reply the queue held back for a person (``reply_on_reject`` off)."""
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        case = _case(session, case_id, lock=True)
        if case.status != CaseStatus.REJECTED.value:
            raise ReviewError(f"ärende {case_id} är inte avvisat (status {case.status})")
        if case.replied_at is not None:
            raise ReviewError(f"svaret för ärende {case_id} är redan skickat")
        if not case.reply_to or never_reply_to(case.reply_to):
            raise ReviewError(f"ärende {case_id} har ingen avsändare att svara")
        reasons = _stored_reasons(case)
        if not reasons:
            raise ReviewError(f"ärende {case_id} har inga skäl att svara med")
        record_event(
            session,
            case,
            action="reply_released",
            actor=reviewer,
            now=now,
            from_status=case.status,
        )
        queue_rejection_reply(session, case, reasons, now)
        return summary(case)


def preview_rejection(codes: list[str], case_file: str | None, case_id: int) -> tuple[str, str]:
    """The reply a rejection would send, for the reviewer to read before deciding."""
    from kopplingar.notify import templates

    reasons = [Reason(Code(code)) for code in codes]
    return templates.rejection(
        reasons=[(r.text, r.advice) for r in reasons], file_name=case_file, case_id=case_id
    )
