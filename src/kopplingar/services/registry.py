"""Loading the registry file into the database; running it again updates, never duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kopplingar.domain.model import BillingPeriod, ConnectionStatus, Payer, Route
from kopplingar.storage.database import Database
from kopplingar.storage.registry_tables import (
    AuditRow,
    BillingRow,
    BureauRow,
    CompanyRow,
    ConnectionRow,
    PersonRow,
    RoleRow,
)
from kopplingar.validation.registry_file import ConnectionEntry, RegistryFile


@dataclass
class LoadReport:
    bureaus: int = 0
    companies: int = 0
    people: int = 0
    connections: int = 0


def load_registry(
    db: Database, registry: RegistryFile, *, now: datetime | None = None
) -> LoadReport:
    now = now or datetime.now(UTC)
    report = LoadReport()
    with db.transaction() as session:
        for b in registry.bureaus:
            row = session.get(BureauRow, b.org_number) or BureauRow(org_number=b.org_number)
            row.name, row.digital_connect, row.digital_disconnect = (
                b.name,
                b.digital_connect,
                b.digital_disconnect,
            )
            session.add(row)
            report.bureaus += 1
        for c in registry.companies:
            row_c = session.get(CompanyRow, c.org_number) or CompanyRow(org_number=c.org_number)
            row_c.name, row_c.subscription_number = c.name, c.subscription_number
            row_c.database_id, row_c.multi_company = c.database_id, c.multi_company
            session.add(row_c)
            report.companies += 1
        session.flush()
        for p in registry.people:
            person = _find_person(session, str(p.email).lower() if p.email else None, p.name)
            person.name = p.name
            session.flush()
            session.execute(delete(RoleRow).where(RoleRow.person_id == person.id))
            for role in {(r.org_number, r.role.value) for r in p.roles}:
                session.add(RoleRow(person_id=person.id, org_number=role[0], role=role[1]))
            report.people += 1
        for conn in registry.connections:
            _load_connection(session, conn, now)
            report.connections += 1
        session.add(
            AuditRow(
                at=now,
                action="registry_load",
                actor="registry",
                data={
                    "bureaus": report.bureaus,
                    "companies": report.companies,
                    "people": report.people,
                },
            )
        )
    return report


def _find_person(session: Session, email: str | None, name: str) -> PersonRow:
    query = (
        select(PersonRow).where(PersonRow.email == email)
        if email
        else (select(PersonRow).where(PersonRow.email.is_(None), PersonRow.name == name))
    )
    row = session.scalars(query).first()
    if row is None:
        row = PersonRow(name=name, email=email)
        session.add(row)
    return row


def _load_connection(session: Session, entry: ConnectionEntry, now: datetime) -> None:
    bureau, company = entry.bureau_org_number, entry.company_org_number
    status, bureau_pays = entry.status, entry.bureau_pays
    row = session.scalars(
        select(ConnectionRow).where(
            ConnectionRow.bureau_org_number == bureau, ConnectionRow.company_org_number == company
        )
    ).first()
    if row is None:
        row = ConnectionRow(
            bureau_org_number=bureau, company_org_number=company, connected_at=now, version=0
        )
        session.add(row)
    row.status, row.bureau_pays, row.route = status.value, bureau_pays, Route.DIGITAL.value
    row.activated_at = now if status is ConnectionStatus.ACTIVE else None
    row.ended_at = now if status is ConnectionStatus.ENDED else None
    row.consultants = row.consultants or []
    row.version = (row.version or 0) + 1
    if bureau_pays and status is not ConnectionStatus.ENDED:
        period = str(BillingPeriod.containing(now))
        billing = session.scalars(
            select(BillingRow).where(
                BillingRow.company_org_number == company, BillingRow.from_period == period
            )
        ).first() or BillingRow(company_org_number=company, from_period=period)
        billing.payer, billing.bureau_org_number = Payer.BUREAU.value, bureau
        session.add(billing)
