"""The registry as the validation rules see it, read from the database in one session."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kopplingar.domain.errors import NotFoundError
from kopplingar.domain.model import Bureau, Company, Connection, OperationKind, Person, Role
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.services.paper import paper_request
from kopplingar.storage.registry_tables import ConsentRequestRow
from kopplingar.storage.repository import Repository
from kopplingar.validation.rules import PaperRequest


class DatabaseRegistryView:
    def __init__(self, session: Session, now: datetime | None = None) -> None:
        self.repo = Repository(session)
        self.session = session
        self.now = now or datetime.now(UTC)

    def company_by_org(self, org: OrgNumber) -> Company | None:
        try:
            return self.repo.company(org)
        except NotFoundError:
            return None

    def company_by_subscription(self, number: str) -> Company | None:
        return self.repo.company_by_subscription(number)

    def bureau(self, org: OrgNumber) -> Bureau | None:
        try:
            return self.repo.bureau(org)
        except NotFoundError:
            return None

    def company_signers(self, org: OrgNumber) -> list[Person]:
        return [p for p in self.repo.people_of(org) if p.may_sign_for_company(org)]

    def bureau_admins(self, org: OrgNumber) -> list[Person]:
        return self.repo.people_with_role(org, Role.SYSTEM_ADMINISTRATOR)

    def connection(self, bureau: OrgNumber, company: OrgNumber) -> Connection | None:
        return self.repo.connection(bureau, company)

    def paper_request(self, form_id: str) -> PaperRequest | None:
        row = paper_request(self.session, form_id)
        if row is None:
            return None
        return PaperRequest(
            kind=OperationKind(row.kind),
            bureau=OrgNumber(row.bureau_org_number),
            company=OrgNumber(row.company_org_number),
            used_by_case=row.used_by_case,
        )

    def open_digital_request(
        self, bureau: OrgNumber, company: OrgNumber, kind: OperationKind
    ) -> bool:
        row = self.session.scalars(
            select(ConsentRequestRow.id).where(
                ConsentRequestRow.bureau_org_number == bureau.digits,
                ConsentRequestRow.company_org_number == company.digits,
                ConsentRequestRow.kind == kind.value,
                ConsentRequestRow.closed.is_(None),
                ConsentRequestRow.expires_at > self.now,
            )
        ).first()
        return row is not None
