"""Applying connect, disconnect and activate: one transaction each, exactly once per operation key.

Both routes end here: a digital consent (key ``consent:<id>``) and a paper case (key
``case:<id>``). The operation row, the connection, billing, audit events, superseded consent requests
and the confirmation mails commit together; a repeated key returns the first result unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kopplingar.domain import operations
from kopplingar.domain.consent import ConsentState
from kopplingar.domain.errors import NotAllowedError, OperationKeyConflictError
from kopplingar.domain.model import (
    BillingChange,
    ConnectionStatus,
    ConsultantAccess,
    OperationKind,
    Permission,
    Role,
)
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.notify import templates
from kopplingar.notify.outbox import queue_mail
from kopplingar.storage.database import Database
from kopplingar.storage.registry_tables import BillingRow, ConsentRequestRow, OperationRow
from kopplingar.storage.repository import Repository, as_utc


@dataclass(frozen=True)
class AppliedOperation:
    key: str
    kind: OperationKind
    bureau: str
    company: str
    applied_at: datetime
    already_applied: bool
    billing_from: str | None = None


def apply_operation(
    db: Database,
    *,
    kind: OperationKind,
    bureau_org: OrgNumber,
    company_org: OrgNumber,
    evidence: operations.Evidence,
    actor: str,
    operation_key: str,
    now: datetime | None = None,
    notify_to: list[str] | None = None,
) -> AppliedOperation:
    """Apply once; a second call with the same key (even concurrently) changes nothing."""
    now = now or datetime.now(UTC)
    for attempt in range(3):
        try:
            with db.transaction() as session:
                return apply_in_session(
                    session,
                    kind=kind,
                    bureau_org=bureau_org,
                    company_org=company_org,
                    evidence=evidence,
                    actor=actor,
                    operation_key=operation_key,
                    now=now,
                    notify_to=notify_to,
                )
        except IntegrityError:
            # Lost a race: the same key, or a first connection row for the pair, was committed by
            # another process. Run again: the key is found, or the pair is now locked properly.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def apply_in_session(
    session: Session,
    *,
    kind: OperationKind,
    bureau_org: OrgNumber,
    company_org: OrgNumber,
    evidence: operations.Evidence,
    actor: str,
    operation_key: str,
    now: datetime,
    notify_to: list[str] | None = None,
    skip_consent_id: int | None = None,
) -> AppliedOperation:
    repo = Repository(session)
    bureau, company = repo.bureau(bureau_org), repo.company(company_org)
    # Lock the pair first, then look for the key: a concurrent apply of the same key that
    # committed while we waited for the lock is then seen, and not mistaken for a second connect.
    current = repo.connection(bureau_org, company_org, lock=True)
    done = session.get(OperationRow, operation_key)
    if done is not None:
        return _already(done, kind, bureau_org, company_org)
    if kind is OperationKind.CONNECT:
        outcome = operations.connect(
            current, bureau, company, evidence=evidence, actor=actor, now=now
        )
    else:
        outcome = operations.disconnect(
            current, bureau, company, evidence=evidence, actor=actor, now=now
        )
    repo.save_connection(outcome.connection)
    if outcome.billing_change is not None:
        _record_billing(session, outcome.billing_change)
    session.add(
        OperationRow(
            key=operation_key,
            kind=kind.value,
            bureau_org_number=bureau_org.digits,
            company_org_number=company_org.digits,
            route=evidence.route.value,
            evidence=evidence.as_dict(),
            actor=actor,
            applied_at=now,
        )
    )
    for event in outcome.events:
        repo.record(event, now, operation_key)
    _supersede_open_requests(
        session, bureau_org, company_org, kind, now=now, skip_id=skip_consent_id
    )
    billing_from = str(outcome.billing_change.from_period) if outcome.billing_change else None
    recipients = list(notify_to or []) + [
        p.email for p in repo.people_with_role(company_org, Role.SYSTEM_ADMINISTRATOR) if p.email
    ]
    if recipients:
        subject, body = templates.operation_confirmation(
            kind,
            bureau_name=bureau.name,
            company_name=company.name,
            accepted_by=evidence.accepted_by or actor,
            at=now,
            billing_from=billing_from,
        )
        queue_mail(
            session,
            to=recipients,
            subject=subject,
            body=body,
            purpose=f"{kind.value}_confirmation",
            now=now,
        )
    session.flush()
    return AppliedOperation(
        key=operation_key,
        kind=kind,
        bureau=str(bureau_org),
        company=str(company_org),
        applied_at=now,
        already_applied=False,
        billing_from=billing_from,
    )


def _already(
    done: OperationRow, kind: OperationKind, bureau: OrgNumber, company: OrgNumber
) -> AppliedOperation:
    if (done.kind, done.bureau_org_number, done.company_org_number) != (
        kind.value,
        bureau.digits,
        company.digits,
    ):
        raise OperationKeyConflictError(
            f"operationsnyckeln {done.key} användes redan för en annan åtgärd"
        )
    applied_at = as_utc(done.applied_at)
    assert applied_at is not None
    return AppliedOperation(
        key=done.key,
        kind=kind,
        bureau=str(bureau),
        company=str(company),
        applied_at=applied_at,
        already_applied=True,
    )


def _record_billing(session: Session, change: BillingChange) -> None:
    period = str(change.from_period)
    row = session.scalars(
        select(BillingRow).where(
            BillingRow.company_org_number == change.company.digits, BillingRow.from_period == period
        )
    ).first() or BillingRow(company_org_number=change.company.digits, from_period=period)
    row.payer = change.payer.value
    row.bureau_org_number = change.bureau.digits if change.bureau else None
    session.add(row)


def _supersede_open_requests(
    session: Session,
    bureau: OrgNumber,
    company: OrgNumber,
    kind: OperationKind,
    *,
    now: datetime,
    skip_id: int | None,
) -> None:
    """An applied operation closes other open requests of the same kind for the pair."""
    query = (
        update(ConsentRequestRow)
        .where(
            ConsentRequestRow.bureau_org_number == bureau.digits,
            ConsentRequestRow.company_org_number == company.digits,
            ConsentRequestRow.kind == kind.value,
            ConsentRequestRow.closed.is_(None),
            ConsentRequestRow.expires_at > now,
        )
        .values(closed=ConsentState.CANCELLED.value)
    )
    if skip_id is not None:
        query = query.where(ConsentRequestRow.id != skip_id)
    session.execute(query)


def billing_history(db: Database, company_org: OrgNumber) -> list[dict[str, str | None]]:
    with db.transaction() as session:
        rows = session.scalars(
            select(BillingRow)
            .where(BillingRow.company_org_number == company_org.digits)
            .order_by(BillingRow.from_period)
        ).all()
        return [
            {
                "from_period": r.from_period,
                "payer": r.payer,
                "bureau": str(OrgNumber(r.bureau_org_number)) if r.bureau_org_number else None,
            }
            for r in rows
        ]


def activate(
    db: Database,
    *,
    bureau_org: OrgNumber,
    company_org: OrgNumber,
    consultant_emails: list[str],
    permissions: list[Permission],
    actor: str,
    now: datetime | None = None,
    per_consultant: dict[str, list[Permission]] | None = None,
) -> None:
    """Move a connected client from the activation list to the client list.

    ``permissions`` apply to every chosen consultant unless ``per_consultant`` names their own.
    """
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        repo = Repository(session)
        bureau = repo.bureau(bureau_org)
        actor_person = repo.person_by_email(actor)
        if not actor_person.is_admin_of(bureau_org):
            raise NotAllowedError(
                f"{actor_person.name} är inte systemadministratör hos {bureau.name}"
            )
        chosen = [
            (
                repo.person_by_email(email),
                ConsultantAccess(
                    email.strip().lower(),
                    frozenset((per_consultant or {}).get(email, permissions)),
                ),
            )
            for email in consultant_emails
        ]
        current = repo.connection(bureau_org, company_org, lock=True)
        outcome = operations.activate(current, bureau, chosen, actor=actor, now=now)
        repo.save_connection(outcome.connection)
        for event in outcome.events:
            repo.record(event, now)


@dataclass(frozen=True)
class ClientEntry:
    org_number: str
    name: str
    subscription_number: str
    database_id: str
    status: str
    payer: str
    connected_at: datetime
    activated_at: datetime | None
    consultants: list[dict[str, object]]


def client_lists(db: Database, bureau_org: OrgNumber) -> dict[str, list[ClientEntry]]:
    """The bureau's activation list (pending activation) and client list (active)."""
    with db.transaction() as session:
        repo = Repository(session)
        repo.bureau(bureau_org)
        result: dict[str, list[ClientEntry]] = {"activation_list": [], "client_list": []}
        for conn in repo.connections_of_bureau(bureau_org):
            if conn.status is ConnectionStatus.ENDED:
                continue
            company = repo.company(conn.company)
            entry = ClientEntry(
                org_number=str(company.org_number),
                name=company.name,
                subscription_number=company.subscription_number,
                database_id=company.database_id,
                status=conn.status.value,
                payer="bureau" if conn.bureau_pays else "company",
                connected_at=conn.connected_at,
                activated_at=conn.activated_at,
                consultants=[
                    {"email": c.email, "permissions": sorted(p.value for p in c.permissions)}
                    for c in conn.consultants
                ],
            )
            key = "client_list" if conn.status is ConnectionStatus.ACTIVE else "activation_list"
            result[key].append(entry)
        return result
