"""Prefilled paper forms: values from the registry, bound to a paper request by a signed form id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kopplingar.domain.model import OperationKind, Role
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.storage.database import Database
from kopplingar.storage.registry_tables import PaperRequestRow
from kopplingar.storage.repository import Repository

FORM_ID_PREFIX = "PC-"


@dataclass(frozen=True)
class PrefilledForm:
    form_id: str
    kind: OperationKind
    values: dict[str, str]


def prefill_values(
    repo: Repository, bureau_org: OrgNumber, company_org: OrgNumber
) -> dict[str, str]:
    """What the registry knows: names, numbers and the people expected to sign (dates by hand)."""
    bureau, company = repo.bureau(bureau_org), repo.company(company_org)
    signatories = repo.people_with_role(company_org, Role.SIGNATORY)
    company_admins = repo.people_with_role(company_org, Role.SYSTEM_ADMINISTRATOR)
    bureau_admins = repo.people_with_role(bureau_org, Role.SYSTEM_ADMINISTRATOR)
    values = {
        "company_name": company.name,
        "company_org_number": str(company.org_number),
        "subscription_number": company.subscription_number,
        "bureau_name": bureau.name,
        "bureau_org_number": str(bureau.org_number),
    }
    if signatories:
        values |= {
            "company_signer_name": signatories[0].name,
            "company_signer_role": "firmatecknare",
        }
    elif company_admins:
        values |= {
            "company_signer_name": company_admins[0].name,
            "company_signer_role": "systemadministratör",
        }
    if bureau_admins:
        values["bureau_signer_name"] = bureau_admins[0].name
    contact = next((p.email for p in company_admins + signatories if p.email), None)
    if contact:
        values["contact_email"] = contact
    return values


def create_prefilled(
    db: Database,
    kind: OperationKind,
    *,
    bureau_org: OrgNumber,
    company_org: OrgNumber,
    created_by: str | None = None,
    now: datetime | None = None,
) -> PrefilledForm:
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        repo = Repository(session)
        values = prefill_values(repo, bureau_org, company_org)
        row = PaperRequestRow(
            form_id="pending",
            kind=kind.value,
            bureau_org_number=bureau_org.digits,
            company_org_number=company_org.digits,
            created_at=now,
            created_by=created_by,
        )
        session.add(row)
        session.flush()
        row.form_id = f"{FORM_ID_PREFIX}{row.id:06d}"
        return PrefilledForm(form_id=row.form_id, kind=kind, values=values)


def paper_request(db_session: object, form_id: str) -> PaperRequestRow | None:

    assert isinstance(db_session, Session)
    return db_session.scalars(
        select(PaperRequestRow).where(PaperRequestRow.form_id == form_id)
    ).first()
