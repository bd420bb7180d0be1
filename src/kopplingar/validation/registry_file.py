"""The registry file format (``kopplingar registry load``), validated entry by entry.

Errors name the section, the entry's index and the field, e.g. ``companies[2].org_number``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, field_validator

from kopplingar.domain.errors import InvalidOrgNumberError
from kopplingar.domain.model import ConnectionStatus, Role
from kopplingar.domain.orgnr import OrgNumber

NonEmpty = Annotated[str, Field(min_length=1, max_length=300)]


def _org(value: str) -> str:
    try:
        return OrgNumber.parse(str(value)).digits
    except InvalidOrgNumberError as error:
        raise ValueError(error.message) from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BureauEntry(_Strict):
    org_number: str
    name: NonEmpty
    digital_connect: bool = True
    digital_disconnect: bool = True

    _check_org = field_validator("org_number")(_org)


class CompanyEntry(_Strict):
    org_number: str
    name: NonEmpty
    subscription_number: Annotated[str, Field(pattern=r"^\d{4,12}$")]
    database_id: Annotated[str, Field(min_length=1, max_length=40)]
    multi_company: bool = False

    _check_org = field_validator("org_number")(_org)


class RoleEntry(_Strict):
    org_number: str
    role: Role

    _check_org = field_validator("org_number")(_org)


class PersonEntry(_Strict):
    name: NonEmpty
    email: EmailStr | None = None
    roles: list[RoleEntry] = Field(default_factory=list)


class ConnectionEntry(_Strict):
    bureau_org_number: str
    company_org_number: str
    status: ConnectionStatus = ConnectionStatus.ACTIVE
    bureau_pays: bool = False

    _check_orgs = field_validator("bureau_org_number", "company_org_number")(_org)


class RegistryFile(_Strict):
    bureaus: list[BureauEntry] = Field(default_factory=list)
    companies: list[CompanyEntry] = Field(default_factory=list)
    people: list[PersonEntry] = Field(default_factory=list)
    connections: list[ConnectionEntry] = Field(default_factory=list)


class RegistryFileError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_registry(raw: bytes | str) -> RegistryFile:
    """Parse and check the file, including references between its sections."""
    try:
        registry = RegistryFile.model_validate_json(raw)
    except ValidationError as error:
        raise RegistryFileError([_describe(e) for e in error.errors()]) from None
    problems = _cross_check(registry)
    if problems:
        raise RegistryFileError(problems)
    return registry


def _describe(error: object) -> str:
    assert isinstance(error, dict)
    location = ""
    for part in error.get("loc", ()):
        location += (
            f"[{part}]" if isinstance(part, int) else (f".{part}" if location else str(part))
        )
    return f"{location or 'file'}: {error.get('msg')}"


def _cross_check(registry: RegistryFile) -> list[str]:
    problems: list[str] = []
    bureaus = {b.org_number for b in registry.bureaus}
    companies = {c.org_number for c in registry.companies}
    for label, values in (
        ("bureaus", [b.org_number for b in registry.bureaus]),
        ("companies", [c.org_number for c in registry.companies]),
        ("companies.subscription_number", [c.subscription_number for c in registry.companies]),
        ("companies.database_id", [c.database_id for c in registry.companies]),
        ("people.email", [str(p.email).lower() for p in registry.people if p.email]),
    ):
        seen: set[str] = set()
        for value in values:
            if value in seen:
                problems.append(f"{label}: {value} occurs more than once")
            seen.add(value)
    for index, person in enumerate(registry.people):
        for r_index, role in enumerate(person.roles):
            if role.org_number not in bureaus | companies:
                problems.append(
                    f"people[{index}].roles[{r_index}].org_number: unknown organisation"
                )
            elif role.role is Role.CONSULTANT and role.org_number not in bureaus:
                problems.append(
                    f"people[{index}].roles[{r_index}].role: consultants belong to bureaus"
                )
    pairs: set[tuple[str, str]] = set()
    for index, connection in enumerate(registry.connections):
        if connection.bureau_org_number not in bureaus:
            problems.append(f"connections[{index}].bureau_org_number: unknown bureau")
        if connection.company_org_number not in companies:
            problems.append(f"connections[{index}].company_org_number: unknown company")
        pair = (connection.bureau_org_number, connection.company_org_number)
        if pair in pairs:
            problems.append(f"connections[{index}]: the pair occurs more than once")
        pairs.add(pair)
    return problems
