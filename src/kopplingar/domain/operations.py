"""The connect, activate and disconnect operations, shared by the digital and the paper route.

Each takes the current state and returns the new state plus the audit events to record; storage
applies both in one transaction under an operation key, which makes a repeated call harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kopplingar.domain.errors import AlreadyConnectedError, NotAllowedError, NotConnectedError
from kopplingar.domain.model import (
    BillingChange,
    BillingPeriod,
    Bureau,
    Company,
    Connection,
    ConnectionStatus,
    ConsultantAccess,
    OperationKind,
    Payer,
    Person,
    Route,
)


@dataclass(frozen=True)
class AuditEvent:
    """One line of the audit log: what happened, to what, by whom, on which evidence."""

    action: str
    actor: str
    bureau: str | None
    company: str | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Evidence:
    """Why an operation was applied: a digital consent or a paper case."""

    route: Route
    reference: str  # consent request id, or paper case id
    accepted_by: str | None = None  # the person who accepted or signed

    def as_dict(self) -> dict[str, Any]:
        return {
            "route": self.route.value,
            "reference": self.reference,
            "accepted_by": self.accepted_by,
        }


@dataclass(frozen=True)
class Outcome:
    connection: Connection
    events: tuple[AuditEvent, ...]
    billing_change: BillingChange | None = None


def connect(
    current: Connection | None,
    bureau: Bureau,
    company: Company,
    *,
    evidence: Evidence,
    actor: str,
    now: datetime,
    bureau_pays: bool = False,
) -> Outcome:
    """Connect: the company lands in the bureau's activation list."""
    if current is not None and current.is_open:
        raise AlreadyConnectedError(
            f"{company.name} ({company.org_number}) är redan kopplad till {bureau.name}"
        )
    connection = Connection(
        bureau=bureau.org_number,
        company=company.org_number,
        status=ConnectionStatus.PENDING_ACTIVATION,
        bureau_pays=bureau_pays,
        connected_at=now,
        route=evidence.route,
    )
    event = AuditEvent(
        action=OperationKind.CONNECT.value,
        actor=actor,
        bureau=str(bureau.org_number),
        company=str(company.org_number),
        data=evidence.as_dict(),
    )
    return Outcome(connection=connection, events=(event,))


def activate(
    current: Connection | None,
    bureau: Bureau,
    consultants: list[tuple[Person, ConsultantAccess]],
    *,
    actor: str,
    now: datetime,
) -> Outcome:
    """Activate a connected client with chosen consultants: it moves to the client list."""
    if current is None or not current.is_open:
        raise NotConnectedError("klienten är inte kopplad till byrån")
    if current.status is ConnectionStatus.ACTIVE:
        raise NotAllowedError("klienten är redan aktiverad")
    if not consultants:
        raise NotAllowedError("välj minst en konsult vid aktivering")
    for person, access in consultants:
        if not person.works_at_bureau(bureau.org_number):
            raise NotAllowedError(f"{access.email} är inte användare hos {bureau.name}")
    accesses = tuple(access for _, access in consultants)
    connection = Connection(
        bureau=current.bureau,
        company=current.company,
        status=ConnectionStatus.ACTIVE,
        bureau_pays=current.bureau_pays,
        connected_at=current.connected_at,
        route=current.route,
        activated_at=now,
        consultants=accesses,
    )
    event = AuditEvent(
        action="activate",
        actor=actor,
        bureau=str(current.bureau),
        company=str(current.company),
        data={
            "consultants": [
                {"email": a.email, "permissions": sorted(p.value for p in a.permissions)}
                for a in accesses
            ]
        },
    )
    return Outcome(connection=connection, events=(event,))


def disconnect(
    current: Connection | None,
    bureau: Bureau,
    company: Company,
    *,
    evidence: Evidence,
    actor: str,
    now: datetime,
) -> Outcome:
    """Disconnect; if the bureau paid, the company pays from the next billing period."""
    if current is None or not current.is_open:
        raise NotConnectedError(
            f"{company.name} ({company.org_number}) är inte kopplad till {bureau.name}"
        )
    connection = Connection(
        bureau=current.bureau,
        company=current.company,
        status=ConnectionStatus.ENDED,
        bureau_pays=current.bureau_pays,
        connected_at=current.connected_at,
        route=current.route,
        activated_at=current.activated_at,
        ended_at=now,
        consultants=(),
    )
    change = None
    events = [
        AuditEvent(
            action=OperationKind.DISCONNECT.value,
            actor=actor,
            bureau=str(bureau.org_number),
            company=str(company.org_number),
            data=evidence.as_dict(),
        )
    ]
    if current.bureau_pays:
        change = BillingChange(
            company=company.org_number,
            payer=Payer.COMPANY,
            bureau=None,
            from_period=BillingPeriod.containing(now).next(),
        )
        events.append(
            AuditEvent(
                action="billing_change",
                actor=actor,
                bureau=str(bureau.org_number),
                company=str(company.org_number),
                data={"payer": Payer.COMPANY.value, "from_period": str(change.from_period)},
            )
        )
    return Outcome(connection=connection, events=tuple(events), billing_change=change)
