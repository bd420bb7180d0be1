"""Read models for the bureau and client pages: who the signed-in person is, and what they may see.

The rules stay in the domain and the consent service: whether "Koppla bort" is open for a client is
answered by the same check a real request runs, so the page and the action can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from kopplingar.domain import policies
from kopplingar.domain.errors import DigitalRouteClosedError, DomainError, NotFoundError
from kopplingar.domain.model import Bureau, Company, Connection, OperationKind, Person
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.services import connections
from kopplingar.services.consent import check_request
from kopplingar.storage.database import Database
from kopplingar.storage.repository import Repository


@dataclass(frozen=True)
class Membership:
    org: OrgNumber
    name: str
    is_bureau: bool
    is_admin: bool


@dataclass(frozen=True)
class Viewer:
    """The signed-in registry person and the organisations they belong to."""

    person_id: int
    person: Person
    memberships: tuple[Membership, ...]

    def bureau_member(self, org: OrgNumber) -> bool:
        return any(m.is_bureau and m.org == org for m in self.memberships)

    def bureau_admin(self, org: OrgNumber) -> bool:
        return self.bureau_member(org) and self.person.is_admin_of(org)

    def company_admin(self, org: OrgNumber) -> bool:
        return any(not m.is_bureau and m.is_admin and m.org == org for m in self.memberships)


def viewer(db: Database, person_id: int) -> Viewer:
    with db.transaction() as session:
        repo = Repository(session)
        pid, person = repo.person_by_id(person_id)
        found: dict[OrgNumber, Membership] = {}
        for org, _role in sorted(person.roles):
            if org in found:
                continue
            try:
                bureau = repo.bureau(org)
                found[org] = Membership(org, bureau.name, True, person.is_admin_of(org))
                continue
            except NotFoundError:
                pass
            try:
                company = repo.company(org)
            except NotFoundError:
                continue
            found[org] = Membership(org, company.name, False, person.is_admin_of(org))
        return Viewer(pid, person, tuple(found.values()))


def offers_form(error: DomainError | None) -> bool:
    """Whether the refusal sends the bureau to the paper form (as the domain's message says)."""
    return error is not None and (
        isinstance(error, DigitalRouteClosedError) or policies.FORM_HINT in error.message
    )


@dataclass(frozen=True)
class ClientRow:
    entry: connections.ClientEntry
    disconnect_blocked: str | None  # why "Koppla bort" is not offered, or None when it is
    use_form: bool = False


def client_list(
    db: Database, bureau_org: OrgNumber, person: Person, *, now: datetime | None = None
) -> tuple[list[ClientRow], list[connections.ClientEntry]]:
    """The client list (each with the disconnect check for this person) and the activation list."""
    now = now or datetime.now(UTC)
    lists = connections.client_lists(db, bureau_org)
    rows = []
    with db.transaction() as session:
        repo = Repository(session)
        bureau = repo.bureau(bureau_org)
        for entry in lists["client_list"]:
            company = repo.company(OrgNumber.parse(entry.org_number))
            blocked: DomainError | None = None
            try:
                check_request(
                    session,
                    OperationKind.DISCONNECT,
                    bureau=bureau,
                    company=company,
                    requester=person,
                    now=now,
                )
            except DomainError as error:
                blocked = error
            rows.append(
                ClientRow(entry, blocked.message if blocked else None, offers_form(blocked))
            )
    return rows, lists["activation_list"]


def bureau(db: Database, org: OrgNumber) -> Bureau:
    with db.transaction() as session:
        return Repository(session).bureau(org)


def company(db: Database, org: OrgNumber) -> Company:
    with db.transaction() as session:
        return Repository(session).company(org)


def bureau_users(db: Database, org: OrgNumber) -> list[Person]:
    """The bureau's users who may be given access to a client at activation."""
    with db.transaction() as session:
        return [p for p in Repository(session).people_of(org) if p.works_at_bureau(org) and p.email]


def bureaus_of_company(db: Database, org: OrgNumber) -> list[tuple[Bureau, Connection]]:
    """The bureaus a company is connected to now (waiting for activation or active)."""
    with db.transaction() as session:
        repo = Repository(session)
        return [(repo.bureau(c.bureau), c) for c in repo.connections_of_company(org) if c.is_open]
