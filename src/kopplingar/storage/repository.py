"""Loads and saves domain objects; the only place that knows both rows and entities."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kopplingar.domain.consent import ConsentRequest, ConsentState
from kopplingar.domain.errors import NotFoundError
from kopplingar.domain.model import (
    Bureau,
    Company,
    Connection,
    ConnectionStatus,
    ConsultantAccess,
    OperationKind,
    Permission,
    Person,
    Role,
    Route,
)
from kopplingar.domain.operations import AuditEvent
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.storage.registry_tables import (
    AuditRow,
    BureauRow,
    CompanyRow,
    ConnectionRow,
    ConsentRequestRow,
    PersonRow,
    RoleRow,
)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything we store is UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    result = as_utc(moment)
    assert result is not None
    return result


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- registry -------------------------------------------------------------------------
    def bureau(self, org: OrgNumber) -> Bureau:
        row = self.session.get(BureauRow, org.digits)
        if row is None:
            raise NotFoundError(f"ingen byrå med organisationsnummer {org}")
        return Bureau(
            OrgNumber(row.org_number), row.name, row.digital_connect, row.digital_disconnect
        )

    def company(self, org: OrgNumber) -> Company:
        row = self.session.get(CompanyRow, org.digits)
        if row is None:
            raise NotFoundError(f"inget företag med organisationsnummer {org}")
        return _company(row)

    def company_by_database_id(self, database_id: str) -> Company:
        row = self.session.scalars(
            select(CompanyRow).where(CompanyRow.database_id == database_id.strip())
        ).first()
        if row is None:
            raise NotFoundError(f"inget företag med databas-id {database_id}")
        return _company(row)

    def company_by_subscription(self, subscription_number: str) -> Company | None:
        row = self.session.scalars(
            select(CompanyRow).where(CompanyRow.subscription_number == subscription_number.strip())
        ).first()
        return _company(row) if row else None

    def person_by_email(self, email: str) -> Person:
        row = self.session.scalars(
            select(PersonRow).where(PersonRow.email == email.strip().lower())
        ).first()
        if row is None:
            raise NotFoundError(f"ingen användare med e-postadressen {email}")
        return self._person(row)

    def person_by_id(self, person_id: int) -> tuple[int, Person]:
        row = self.session.get(PersonRow, person_id)
        if row is None:
            raise NotFoundError(f"ingen användare {person_id}")
        return row.id, self._person(row)

    def people_with_role(self, org: OrgNumber, role: Role) -> list[Person]:
        rows = self.session.scalars(
            select(PersonRow)
            .join(RoleRow, RoleRow.person_id == PersonRow.id)
            .where(RoleRow.org_number == org.digits, RoleRow.role == role.value)
            .order_by(PersonRow.name)
        ).all()
        return [self._person(row) for row in rows]

    def people_of(self, org: OrgNumber) -> list[Person]:
        rows = self.session.scalars(
            select(PersonRow)
            .join(RoleRow, RoleRow.person_id == PersonRow.id)
            .where(RoleRow.org_number == org.digits)
            .distinct()
            .order_by(PersonRow.name)
        ).all()
        return [self._person(row) for row in rows]

    def _person(self, row: PersonRow) -> Person:
        roles = self.session.scalars(select(RoleRow).where(RoleRow.person_id == row.id)).all()
        return Person(
            name=row.name,
            email=row.email,
            roles=frozenset((OrgNumber(r.org_number), Role(r.role)) for r in roles),
        )

    # --- connections ----------------------------------------------------------------------
    def connection_row(
        self, bureau: OrgNumber, company: OrgNumber, *, lock: bool = False
    ) -> ConnectionRow | None:
        query = select(ConnectionRow).where(
            ConnectionRow.bureau_org_number == bureau.digits,
            ConnectionRow.company_org_number == company.digits,
        )
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def connection(
        self, bureau: OrgNumber, company: OrgNumber, *, lock: bool = False
    ) -> Connection | None:
        row = self.connection_row(bureau, company, lock=lock)
        return connection_from_row(row) if row else None

    def save_connection(self, connection: Connection) -> None:
        row = self.connection_row(connection.bureau, connection.company)
        if row is None:
            row = ConnectionRow(
                bureau_org_number=connection.bureau.digits,
                company_org_number=connection.company.digits,
                version=0,
            )
            self.session.add(row)
        row.status = connection.status.value
        row.bureau_pays = connection.bureau_pays
        row.route = connection.route.value
        row.connected_at = connection.connected_at
        row.activated_at = connection.activated_at
        row.ended_at = connection.ended_at
        row.consultants = [
            {"email": c.email, "permissions": sorted(p.value for p in c.permissions)}
            for c in connection.consultants
        ]
        row.version = (row.version or 0) + 1
        self.session.flush()

    def connections_of_bureau(self, bureau: OrgNumber) -> list[Connection]:
        rows = self.session.scalars(
            select(ConnectionRow)
            .where(ConnectionRow.bureau_org_number == bureau.digits)
            .order_by(ConnectionRow.company_org_number)
        ).all()
        return [connection_from_row(row) for row in rows]

    def connections_of_company(self, company: OrgNumber) -> list[Connection]:
        rows = self.session.scalars(
            select(ConnectionRow).where(ConnectionRow.company_org_number == company.digits)
        ).all()
        return [connection_from_row(row) for row in rows]

    # --- consent ----------------------------------------------------------------------------
    def consent_row(self, request_id: int) -> ConsentRequestRow:
        row = self.session.get(ConsentRequestRow, request_id)
        if row is None:
            raise NotFoundError(f"ingen förfrågan {request_id}")
        return row

    # --- audit ------------------------------------------------------------------------------
    def record(self, event: AuditEvent, at: datetime, operation_key: str | None = None) -> None:
        self.session.add(
            AuditRow(
                at=at,
                action=event.action,
                actor=event.actor,
                bureau_org_number=_digits(event.bureau),
                company_org_number=_digits(event.company),
                operation_key=operation_key,
                data=event.data,
            )
        )

    def audit(
        self, *, company: OrgNumber | None = None, bureau: OrgNumber | None = None
    ) -> list[AuditRow]:
        query = select(AuditRow).order_by(AuditRow.id)
        if company is not None:
            query = query.where(AuditRow.company_org_number == company.digits)
        if bureau is not None:
            query = query.where(AuditRow.bureau_org_number == bureau.digits)
        return list(self.session.scalars(query).all())


def _digits(org_text: str | None) -> str | None:
    return OrgNumber.parse(org_text).digits if org_text else None


def _company(row: CompanyRow) -> Company:
    return Company(
        org_number=OrgNumber(row.org_number),
        name=row.name,
        subscription_number=row.subscription_number,
        database_id=row.database_id,
        multi_company=row.multi_company,
    )


def connection_from_row(row: ConnectionRow) -> Connection:
    consultants: list[dict[str, Any]] = row.consultants or []
    return Connection(
        bureau=OrgNumber(row.bureau_org_number),
        company=OrgNumber(row.company_org_number),
        status=ConnectionStatus(row.status),
        bureau_pays=row.bureau_pays,
        connected_at=_utc(row.connected_at),
        route=Route(row.route),
        activated_at=as_utc(row.activated_at),
        ended_at=as_utc(row.ended_at),
        consultants=tuple(
            ConsultantAccess(c["email"], frozenset(Permission(p) for p in c["permissions"]))
            for c in consultants
        ),
    )


def consent_from_row(row: ConsentRequestRow) -> ConsentRequest:
    return ConsentRequest(
        id=row.id,
        kind=OperationKind(row.kind),
        bureau=OrgNumber(row.bureau_org_number),
        company=OrgNumber(row.company_org_number),
        requested_by=row.requested_by,
        created_at=_utc(row.created_at),
        expires_at=_utc(row.expires_at),
        closed=ConsentState(row.closed) if row.closed else None,
        accepted_by=row.accepted_by,
        accepted_at=as_utc(row.accepted_at),
    )
