"""Creating, claiming and settling cases, each step a short transaction.

Claiming takes the oldest waiting case whose lease is free (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; ``BEGIN IMMEDIATE`` serialises it on SQLite), bumps its ``attempt`` (the fencing token)
and sets a lease. Settling checks that the attempt is still the case's: a worker that lost its
lease cannot apply anything. The operation of a case is applied under the key ``case:<id>``, in the
same transaction as the case's new state, so it is applied exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from kopplingar import logs
from kopplingar.domain.errors import DomainError
from kopplingar.domain.model import OperationKind, Role, Route
from kopplingar.domain.operations import Evidence
from kopplingar.intake.handoff import ready_mail_ids, take_ready_mail
from kopplingar.intake.rawstore import RawStore, sha256_hex
from kopplingar.notify import templates
from kopplingar.notify.outbox import queue_mail
from kopplingar.queue.states import CaseStatus, check_transition
from kopplingar.services.connections import apply_in_session
from kopplingar.services.registry_view import DatabaseRegistryView
from kopplingar.storage.case_tables import CaseEventRow, CaseRow
from kopplingar.storage.database import Database
from kopplingar.storage.repository import Repository
from kopplingar.validation.reading import FormReading
from kopplingar.validation.reasons import Code, Reason
from kopplingar.validation.rules import Decision, Thresholds, Verdict, decide, no_form_reason

DOMAIN_REASONS = {"already_connected": Code.ALREADY_CONNECTED, "not_connected": Code.NOT_CONNECTED}


class StaleClaimError(Exception):
    """The case was taken over by another worker (our lease ran out): our result is refused."""


@dataclass(frozen=True)
class Claim:
    case_id: int
    attempt: int
    storage_key: str | None
    file_name: str | None
    owner: str
    mail_id: int | None = None


@dataclass(frozen=True)
class ReadFailure:
    code: str
    message: str


@dataclass
class SettleOptions:
    thresholds: Thresholds = field(default_factory=Thresholds)
    reply_on_reject: bool = True  # False: automatic rejections wait for a person before replying


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def reason_dicts(reasons: list[Reason]) -> list[dict[str, Any]]:
    return [
        {"code": r.code.value, "text": r.text, "detail": r.detail, "field": r.field}
        for r in reasons
    ]


def record_event(
    session: Session,
    case: CaseRow,
    *,
    action: str,
    actor: str,
    now: datetime,
    from_status: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        CaseEventRow(
            case_id=case.id,
            at=now,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=case.status,
            note=note,
            data=data or {},
        )
    )


def transition(
    session: Session,
    case: CaseRow,
    target: CaseStatus,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
) -> None:
    current = CaseStatus(case.status)
    check_transition(current, target)
    case.status, case.updated_at = target.value, now
    record_event(
        session,
        case,
        action=target.value,
        actor=actor,
        now=now,
        from_status=current.value,
        note=note,
    )


def new_case(session: Session, *, now: datetime, actor: str, **columns: Any) -> CaseRow:
    case = CaseRow(
        created_at=now,
        updated_at=now,
        status=CaseStatus.RECEIVED.value,
        reasons=[],
        attempt=0,
        **columns,
    )
    session.add(case)
    session.flush()
    record_event(
        session, case, action="received", actor=actor, now=now, data={"file": case.file_name}
    )
    return case


def enqueue_file(
    db: Database, store: RawStore, data: bytes, file_name: str, *, now: datetime | None = None
) -> int:
    """A local file becomes a waiting case (the original kept in the document store)."""
    now = _now(now)
    key = store.put(data)
    with db.transaction() as session:
        return new_case(
            session,
            now=now,
            actor="cli",
            source="file",
            storage_key=key,
            file_name=file_name,
            sha256=sha256_hex(data),
        ).id


def cases_from_ready_mails(
    db: Database,
    *,
    options: SettleOptions | None = None,
    now: datetime | None = None,
    limit: int = 50,
) -> int:
    """Every mail intake stored becomes cases: one per document, or one ``not_a_form`` case."""
    created = 0
    with db.transaction() as session:
        ids = ready_mail_ids(session, limit)
    for mail_id in ids:
        with logs.bound(mail_id=mail_id), db.transaction() as session:
            mail = take_ready_mail(session, mail_id)
            if mail is None:
                continue  # another worker took it
            moment = _now(now)
            common = {
                "source": "mail",
                "mail_id": mail.mail_id,
                "message_id": mail.message_id,
                "reply_to": mail.sender,
                "subject": mail.subject,
            }
            if not mail.documents:
                case = new_case(session, now=moment, actor="intake", file_name=None, **common)
                _settle_without_form(
                    session,
                    case,
                    Reason(Code.NOT_A_FORM, "inga bilagor"),
                    now=moment,
                    actor="intake",
                    options=options or SettleOptions(),
                )
                created += 1
            for document in mail.documents:
                new_case(
                    session,
                    now=moment,
                    actor="intake",
                    document_id=document.document_id,
                    storage_key=document.storage_key,
                    file_name=document.original_filename or f"bilaga-{document.ordinal}",
                    sha256=document.sha256,
                    **common,
                )
                created += 1
    return created


def claim_next(
    db: Database, owner: str, *, lease_seconds: float = 600, now: datetime | None = None
) -> Claim | None:
    now = _now(now)
    with db.transaction() as session:
        case = session.scalars(
            select(CaseRow)
            .where(CaseRow.status == CaseStatus.RECEIVED.value)
            .where(or_(CaseRow.lease_until.is_(None), CaseRow.lease_until < now))
            .order_by(CaseRow.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if case is None:
            return None
        taken_over = case.lease_owner is not None
        case.attempt += 1
        case.lease_owner, case.lease_until = owner, now + timedelta(seconds=lease_seconds)
        note = f"lease of {case.lease_owner} expired" if taken_over else None
        record_event(
            session,
            case,
            action="claimed",
            actor=owner,
            now=now,
            from_status=case.status,
            note=note,
            data={"attempt": case.attempt},
        )
        return Claim(
            case.id, case.attempt, case.storage_key, case.file_name, owner, mail_id=case.mail_id
        )


def release(db: Database, claim: Claim, *, now: datetime | None = None) -> None:
    """Give a claimed case back unfinished (shutdown): the next worker takes it at once."""
    with db.transaction() as session:
        session.execute(
            update(CaseRow)
            .where(and_(CaseRow.id == claim.case_id, CaseRow.attempt == claim.attempt))
            .values(lease_owner=None, lease_until=None)
        )


def _fenced(session: Session, claim: Claim) -> CaseRow:
    case = session.scalars(
        select(CaseRow).where(CaseRow.id == claim.case_id).with_for_update()
    ).one()
    if case.attempt != claim.attempt or case.status != CaseStatus.RECEIVED.value:
        raise StaleClaimError(f"case {claim.case_id} attempt {claim.attempt} is no longer ours")
    return case


def settle(
    db: Database,
    claim: Claim,
    outcome: list[FormReading] | ReadFailure,
    *,
    options: SettleOptions | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Decide every form found and store the result; returns the ids of the settled cases."""
    options, now = options or SettleOptions(), _now(now)
    with db.transaction() as session:
        case = _fenced(session, claim)
        case.lease_owner, case.lease_until = None, None
        if not isinstance(outcome, ReadFailure) and any(r.reason == "timeout" for r in outcome):
            # The reader gave up on its own time limit: as much our failure as a crash.
            outcome = ReadFailure("timeout", "the reader ran out of time on this document")
        if isinstance(outcome, ReadFailure):
            # Our reader failed (a crash, a timeout, memory): not proof that the sender's file is
            # bad, so a person looks at it instead of an automatic reply blaming the file.
            first_line = outcome.message.splitlines()[0] if outcome.message else ""
            case.reasons = reason_dicts(
                [Reason(Code.UNREADABLE, f"{outcome.code}: {first_line}"[:500])]
            )
            transition(
                session, case, CaseStatus.REVIEW, actor=claim.owner, now=now, note=outcome.code
            )
            queue_receipt(session, case, now)
            return [case.id]
        forms = [r for r in outcome if r.form.kind is not None]
        if not forms:
            reading = (
                outcome[0]
                if outcome
                else FormReading(file=case.file_name or "", reason="no form found")
            )
            case.reading = reading.model_dump(mode="json")
            _settle_without_form(
                session, case, no_form_reason(reading), now=now, actor=claim.owner, options=options
            )
            return [case.id]
        settled = []
        for index, reading in enumerate(forms):
            target = (
                case
                if index == 0
                else new_case(
                    session,
                    now=now,
                    actor=claim.owner,
                    parent_id=case.id,
                    **{
                        k: getattr(case, k)
                        for k in (
                            "source",
                            "mail_id",
                            "document_id",
                            "storage_key",
                            "file_name",
                            "sha256",
                            "message_id",
                            "reply_to",
                            "subject",
                        )
                    },
                )
            )
            settle_reading(session, target, reading, actor=claim.owner, now=now, options=options)
            settled.append(target.id)
        return settled


def _settle_without_form(
    session: Session,
    case: CaseRow,
    reason: Reason,
    *,
    now: datetime,
    actor: str,
    options: SettleOptions,
) -> None:
    case.reasons = reason_dicts([reason])
    transition(session, case, CaseStatus.REJECTED, actor=actor, now=now, note=reason.code.value)
    if options.reply_on_reject:
        queue_rejection_reply(session, case, [reason], now)


def _duplicate_of(session: Session, case: CaseRow, reading: FormReading) -> CaseRow | None:
    same = [CaseRow.sha256 == case.sha256, CaseRow.page == reading.page] if case.sha256 else []
    conditions = [and_(*same)] if same else []
    if reading.form.form_id and reading.form.form_id_valid:
        conditions.append(CaseRow.form_id == reading.form.form_id)
    if not conditions:
        return None
    return session.scalars(
        select(CaseRow)
        .where(CaseRow.id != case.id, CaseRow.status == CaseStatus.APPLIED.value, or_(*conditions))
        .limit(1)
    ).first()


def settle_reading(
    session: Session,
    case: CaseRow,
    reading: FormReading,
    *,
    actor: str,
    now: datetime,
    options: SettleOptions,
) -> Decision:
    case.reading = reading.model_dump(mode="json")
    case.page, case.form_kind, case.form_id = reading.page, reading.form.kind, reading.form.form_id
    duplicate = _duplicate_of(session, case, reading)
    if duplicate is not None:
        decision = Decision(
            Verdict.REJECT, None, [Reason(Code.DUPLICATE, f"ärende {duplicate.id}")]
        )
    else:
        decision = decide(reading, DatabaseRegistryView(session, now), options.thresholds)
    return apply_decision(session, case, decision, actor=actor, now=now, options=options)


def apply_decision(
    session: Session,
    case: CaseRow,
    decision: Decision,
    *,
    actor: str,
    now: datetime,
    options: SettleOptions,
) -> Decision:
    case.operation = decision.operation.value if decision.operation else None
    case.bureau_org_number = decision.bureau.digits if decision.bureau else None
    case.company_org_number = decision.company.digits if decision.company else None
    if (
        decision.verdict is Verdict.APPLY
        and decision.operation
        and decision.bureau
        and decision.company
    ):
        try:
            with session.begin_nested():
                _apply(session, case, decision, actor=actor, now=now)
        except DomainError as error:  # the state changed since the decision: a clear rejection
            code = DOMAIN_REASONS.get(error.code)
            decision = Decision(
                Verdict.REJECT if code else Verdict.REVIEW,
                decision.operation,
                [Reason(code or Code.LOW_CONFIDENCE, error.message)],
            )
        else:
            case.reasons = reason_dicts(decision.notes)
            transition(
                session, case, CaseStatus.APPLIED, actor=actor, now=now, note=f"case:{case.id}"
            )
            return decision
    case.reasons = reason_dicts(decision.reasons + decision.notes)
    if decision.verdict is Verdict.REJECT:
        transition(
            session, case, CaseStatus.REJECTED, actor=actor, now=now, note=",".join(decision.codes)
        )
        if options.reply_on_reject:
            queue_rejection_reply(session, case, decision.reasons, now)
    else:
        transition(
            session, case, CaseStatus.REVIEW, actor=actor, now=now, note=",".join(decision.codes)
        )
        queue_receipt(session, case, now)
    return decision


def _apply(
    session: Session, case: CaseRow, decision: Decision, *, actor: str, now: datetime
) -> None:
    assert decision.operation and decision.bureau and decision.company
    bureau_admins = Repository(session).people_with_role(decision.bureau, Role.SYSTEM_ADMINISTRATOR)
    apply_in_session(
        session,
        kind=OperationKind(decision.operation),
        bureau_org=decision.bureau,
        company_org=decision.company,
        evidence=Evidence(Route.PAPER, f"case:{case.id}", accepted_by=decision.company_signer),
        actor=actor,
        operation_key=f"case:{case.id}",
        now=now,
        notify_to=[p.email for p in bureau_admins if p.email],
    )


def queue_rejection_reply(
    session: Session, case: CaseRow, reasons: list[Reason], now: datetime
) -> None:
    """Tell the sender why the form was not applied and what to do (once per decision)."""
    if case.replied_at is not None:
        return
    subject, body = templates.rejection(
        reasons=[(r.text, r.advice) for r in reasons], file_name=case.file_name, case_id=case.id
    )
    if _reply_to_sender(session, case, subject, body, purpose="rejection", now=now):
        case.replied_at = now
        record_event(
            session, case, action="replied", actor="notify", now=now, from_status=case.status
        )


def queue_receipt(session: Session, case: CaseRow, now: datetime) -> None:
    """Tell the sender the form arrived and a person is looking at it (when it goes to review)."""
    subject, body = templates.receipt(file_name=case.file_name, case_id=case.id)
    if _reply_to_sender(session, case, subject, body, purpose="receipt", now=now):
        record_event(
            session, case, action="receipt", actor="notify", now=now, from_status=case.status
        )


def _reply_to_sender(
    session: Session, case: CaseRow, subject: str, body: str, *, purpose: str, now: datetime
) -> bool:
    """A threaded reply to the sender of the scan; only mail cases with a trustworthy sender."""
    if not case.reply_to or never_reply_to(case.reply_to):
        return False
    headers = {"Auto-Submitted": "auto-replied"}  # RFC 3834: autoresponders must not answer
    if case.message_id:
        headers |= {"In-Reply-To": case.message_id, "References": case.message_id}
    queue_mail(
        session,
        to=[case.reply_to],
        subject=templates.reply_subject(case.subject, subject),
        body=body,
        purpose=purpose,
        headers=headers,
        now=now,
    )
    return True


NO_REPLY_LOCAL_PARTS = (
    "mailer-daemon",
    "postmaster",
    "noreply",
    "no-reply",
    "donotreply",
    "kopplingar",
)


def never_reply_to(address: str) -> bool:
    """No replies to robots or to ourselves: that is how mail loops start."""
    local = address.split("@", 1)[0].lower()
    return local.startswith(NO_REPLY_LOCAL_PARTS)
