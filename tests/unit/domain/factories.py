"""Small builders for domain tests."""

from datetime import UTC, datetime

from kopplingar.domain.model import Bureau, Company, Person, Role
from kopplingar.domain.orgnr import OrgNumber

NOW = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
BUREAU_ORG = OrgNumber.parse("556677-8899")
COMPANY_ORG = OrgNumber.parse("559123-4561")


def bureau(**kwargs: object) -> Bureau:
    return Bureau(BUREAU_ORG, "Siffrorna Redovisning AB", **kwargs)  # type: ignore[arg-type]


def company(**kwargs: object) -> Company:
    return Company(COMPANY_ORG, "Bageriet i Byn AB", "1048213", "870311", **kwargs)  # type: ignore[arg-type]


def person(name: str, *roles: tuple[OrgNumber, Role], email: str | None = "x@example.se") -> Person:
    return Person(name=name, email=email, roles=frozenset(roles))
