"""Entities of the connection domain: bureaus, companies, people with roles, and connections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from kopplingar.domain.orgnr import OrgNumber


class Role(StrEnum):
    SYSTEM_ADMINISTRATOR = "system_administrator"  # systemadministratör
    CONSULTANT = "consultant"  # konsult (bureau users)
    SIGNATORY = "signatory"  # firmatecknare


class ConnectionStatus(StrEnum):
    PENDING_ACTIVATION = "pending_activation"  # in the bureau's activation list
    ACTIVE = "active"  # in the bureau's client list
    ENDED = "ended"  # disconnected


class Route(StrEnum):
    DIGITAL = "digital"
    PAPER = "paper"


class OperationKind(StrEnum):
    CONNECT = "connect"
    DISCONNECT = "disconnect"


class Payer(StrEnum):
    BUREAU = "bureau"
    COMPANY = "company"


class Permission(StrEnum):
    """What a consultant may do for a client once the connection is activated."""

    BOOKKEEPING = "bookkeeping"
    INVOICING = "invoicing"
    SALARY = "salary"
    REPORTS = "reports"
    ADMINISTRATION = "administration"


@dataclass(frozen=True)
class Bureau:
    org_number: OrgNumber
    name: str
    digital_connect: bool = True
    digital_disconnect: bool = True


@dataclass(frozen=True)
class Company:
    org_number: OrgNumber
    name: str
    subscription_number: str
    database_id: str
    multi_company: bool = False


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None
    roles: frozenset[tuple[OrgNumber, Role]] = frozenset()

    def has_role(self, org: OrgNumber, role: Role) -> bool:
        return (org, role) in self.roles

    def is_admin_of(self, org: OrgNumber) -> bool:
        return self.has_role(org, Role.SYSTEM_ADMINISTRATOR)

    def may_sign_for_company(self, org: OrgNumber) -> bool:
        """A company's form is signed by a firmatecknare or a systemadministratör."""
        return self.has_role(org, Role.SIGNATORY) or self.is_admin_of(org)

    def works_at_bureau(self, org: OrgNumber) -> bool:
        return self.has_role(org, Role.CONSULTANT) or self.is_admin_of(org)


@dataclass(frozen=True)
class ConsultantAccess:
    """A bureau user given access to a client, with the permissions chosen at activation."""

    email: str
    permissions: frozenset[Permission]


@dataclass(frozen=True)
class Connection:
    bureau: OrgNumber
    company: OrgNumber
    status: ConnectionStatus
    bureau_pays: bool
    connected_at: datetime
    route: Route
    activated_at: datetime | None = None
    ended_at: datetime | None = None
    consultants: tuple[ConsultantAccess, ...] = field(default=())

    @property
    def is_open(self) -> bool:
        return self.status is not ConnectionStatus.ENDED


@dataclass(frozen=True, order=True)
class BillingPeriod:
    """Billing runs per calendar month."""

    year: int
    month: int

    @classmethod
    def containing(cls, moment: datetime) -> BillingPeriod:
        return cls(moment.year, moment.month)

    @classmethod
    def parse(cls, text: str) -> BillingPeriod:
        year, month = text.split("-")
        return cls(int(year), int(month))

    def next(self) -> BillingPeriod:
        return (
            BillingPeriod(self.year + 1, 1)
            if self.month == 12
            else BillingPeriod(self.year, self.month + 1)
        )

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class BillingChange:
    """From ``from_period`` on, ``payer`` pays for the company's subscription."""

    company: OrgNumber
    payer: Payer
    bureau: OrgNumber | None
    from_period: BillingPeriod
