"""Decide what to do with one read form: apply, reject with reasons, or send it to a person.

The registry confirms readings: a subscription number that exists and belongs to the company's
organisation number is strong evidence that both were read right. A reason is only a rejection
when the values behind it were read with confidence; a doubtful value sends the case to review.
Applying is allowed only when every value the operation rests on is confident and confirmed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from rapidfuzz import fuzz

from kopplingar.domain.errors import InvalidOrgNumberError
from kopplingar.domain.model import Bureau, Company, Connection, OperationKind, Person
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.validation.reading import FieldValue, FormReading
from kopplingar.validation.reasons import Code, Reason

COMPANY_ROLES = frozenset({"firmatecknare", "systemadministratör"})


class Verdict(StrEnum):
    APPLY = "apply"
    REJECT = "reject"
    REVIEW = "review"


@dataclass(frozen=True)
class Thresholds:
    field: float = 0.90  # a value below this is not trusted on its own
    # A presence/absence judgement below this is not trusted. The reader's signature confidence
    # is a lower confidence bound of its measured accuracy (Wilson, 90 %), so 0.98 asks for
    # judgements that were right every time on the calibration set; a blank box judged signed
    # is the worst error, so the bar is above the fields'.
    signature: float = 0.98
    name_exact: float = 95.0  # rapidfuzz score (0-100): the printed name is this person
    name_match: float = 80.0  # below exact but at least this: maybe a misread, a person decides
    confirmed_pair: float = 0.60  # each of org number and subscription number, when they agree


class RegistryView(Protocol):
    """What the rules need to know from the registry (read only)."""

    def company_by_org(self, org: OrgNumber) -> Company | None: ...
    def company_by_subscription(self, number: str) -> Company | None: ...
    def bureau(self, org: OrgNumber) -> Bureau | None: ...
    def company_signers(self, org: OrgNumber) -> list[Person]: ...
    def bureau_admins(self, org: OrgNumber) -> list[Person]: ...
    def connection(self, bureau: OrgNumber, company: OrgNumber) -> Connection | None: ...
    def open_digital_request(
        self, bureau: OrgNumber, company: OrgNumber, kind: OperationKind
    ) -> bool: ...
    def paper_request(self, form_id: str) -> PaperRequest | None: ...


@dataclass(frozen=True)
class PaperRequest:
    """A prefilled form handed out for this pair and kind (its id is in the signed QR code)."""

    kind: OperationKind
    bureau: OrgNumber
    company: OrgNumber
    used_by_case: int | None


@dataclass
class Decision:
    verdict: Verdict
    operation: OperationKind | None
    reasons: list[Reason] = field(default_factory=list)
    bureau: OrgNumber | None = None
    company: OrgNumber | None = None
    company_signer: str | None = None
    bureau_signer: str | None = None
    notes: list[Reason] = field(default_factory=list)  # informational, e.g. a superseded request

    @property
    def codes(self) -> list[str]:
        return [r.code.value for r in self.reasons] + [n.code.value for n in self.notes]


class _Collector:
    def __init__(self) -> None:
        self.certain: list[Reason] = []
        self.doubtful: list[Reason] = []

    def add(
        self, code: Code, *, certain: bool, detail: str = "", field_name: str | None = None
    ) -> None:
        (self.certain if certain else self.doubtful).append(Reason(code, detail, field_name))


def normalise_name(name: str) -> str:
    """Case, accents and spacing do not matter when matching a printed name to a person."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def match_person(
    name: str | None, candidates: list[Person], threshold: float
) -> tuple[Person | None, float]:
    if not name or not normalise_name(name):
        return None, 0.0
    wanted = normalise_name(name)
    best: tuple[Person | None, float] = (None, 0.0)
    for person in candidates:
        score = float(fuzz.token_sort_ratio(wanted, normalise_name(person.name)))
        if score > best[1]:
            best = (person, score)
    return best if best[1] >= threshold else (None, best[1])


def _parse_org(value: FieldValue) -> OrgNumber | None:
    if not value.value:
        return None
    try:
        return OrgNumber.parse(value.value)
    except InvalidOrgNumberError:
        return None


UNREADABLE_REASONS = frozenset(
    {
        "unreadable",
        "broken",
        "encrypted",
        "too_large",
        "too_many_pages",
        "empty",
        "unsupported_type",
    }
)


def no_form_reason(reading: FormReading) -> Reason:
    """Why a document holds no form we can read: the file itself, or simply no form in it."""
    code = Code.UNREADABLE if reading.reason in UNREADABLE_REASONS else Code.NOT_A_FORM
    return Reason(code, reading.reason or "")


def decide(
    reading: FormReading, registry: RegistryView, limits: Thresholds | None = None
) -> Decision:
    if reading.form.kind is None:
        return Decision(Verdict.REJECT, None, [no_form_reason(reading)])
    return _Rules(reading, registry, limits or Thresholds()).run(OperationKind(reading.form.kind))


class _Rules:
    def __init__(self, reading: FormReading, registry: RegistryView, limits: Thresholds) -> None:
        self.reading, self.registry, self.limits = reading, registry, limits
        self.found = _Collector()

    def sure(self, value: FieldValue) -> bool:
        return value.confidence >= self.limits.field

    def run(self, kind: OperationKind) -> Decision:
        found = self.found
        self.check_signatures()
        company, bureau = self.company(), self.bureau()
        decision = Decision(
            Verdict.REVIEW,
            kind,
            bureau=bureau.org_number if bureau else None,
            company=company.org_number if company else None,
        )
        if company is not None and bureau is not None:
            decision.company_signer = self.signer(
                "company_signer_name",
                self.registry.company_signers(company.org_number),
                Code.COMPANY_SIGNER_NOT_AUTHORIZED,
            )
            decision.bureau_signer = self.signer(
                "bureau_signer_name",
                self.registry.bureau_admins(bureau.org_number),
                Code.BUREAU_SIGNER_NOT_AUTHORIZED,
            )
            self.check_role()
            self.check_state(kind, company, bureau, decision)
        self.check_form_id(kind, company, bureau)
        if found.certain:
            decision.verdict, decision.reasons = Verdict.REJECT, found.certain + found.doubtful
        elif found.doubtful:
            decision.verdict, decision.reasons = Verdict.REVIEW, [*found.doubtful]
            if not any(r.code is Code.LOW_CONFIDENCE for r in found.doubtful):
                decision.reasons.append(Reason(Code.LOW_CONFIDENCE))
        elif company is None or bureau is None:
            decision.verdict, decision.reasons = Verdict.REVIEW, [Reason(Code.LOW_CONFIDENCE)]
        else:
            decision.verdict = Verdict.APPLY
        return decision

    def check_form_id(
        self, kind: OperationKind, company: Company | None, bureau: Bureau | None
    ) -> None:
        """A prefilled form's id must be genuine, known, unused and match what was read."""
        form = self.reading.form
        if not form.form_id:
            return
        if form.form_id_valid is False:
            self.found.add(
                Code.LOW_CONFIDENCE,
                certain=False,
                detail="QR-koden är ändrad eller förfalskad",
                field_name="form_id",
            )
            return
        request = self.registry.paper_request(form.form_id) if form.form_id_valid else None
        if request is None:
            self.found.add(
                Code.LOW_CONFIDENCE,
                certain=False,
                detail=f"okänt blankett-id {form.form_id}",
                field_name="form_id",
            )
            return
        if request.used_by_case is not None:
            self.found.add(
                Code.DUPLICATE,
                certain=True,
                detail=f"ärende {request.used_by_case}",
                field_name="form_id",
            )
        mismatch = (
            request.kind is not kind
            or (company is not None and request.company != company.org_number)
            or (bureau is not None and request.bureau != bureau.org_number)
        )
        if mismatch:
            detail = f"blanketten {form.form_id} gjordes för ett annat par eller en annan åtgärd"
            self.found.add(Code.LOW_CONFIDENCE, certain=False, detail=detail, field_name="form_id")

    def check_signatures(self) -> None:
        for party, missing in (
            ("company", Code.MISSING_COMPANY_SIGNATURE),
            ("bureau", Code.MISSING_BUREAU_SIGNATURE),
        ):
            signature = self.reading.signature(party)
            sure = signature.confidence >= self.limits.signature
            if signature.present is True and sure:
                continue
            if signature.present is False and sure:
                self.found.add(missing, certain=True, field_name=f"{party}_signature")
            else:
                self.found.add(
                    Code.LOW_CONFIDENCE,
                    certain=False,
                    detail="osäker bedömning av underskriften",
                    field_name=f"{party}_signature",
                )

    def company(self) -> Company | None:
        org_field = self.reading.field("company_org_number")
        sub_field = self.reading.field("subscription_number")
        company_org = _parse_org(org_field)
        subscription = (sub_field.value or "").strip()
        by_sub = self.registry.company_by_subscription(subscription) if subscription else None
        by_org = self.registry.company_by_org(company_org) if company_org else None
        if by_sub is not None and by_org is not None and by_sub.org_number == by_org.org_number:
            # Two independent readings agree with the registry: strong evidence for both.
            if min(org_field.confidence, sub_field.confidence) >= self.limits.confirmed_pair:
                return by_sub
            self.found.add(Code.LOW_CONFIDENCE, certain=False, field_name="subscription_number")
            return None
        if org_field.value and company_org is None:
            self.found.add(
                Code.INVALID_ORG_NUMBER,
                certain=self.sure(org_field),
                detail=f"företag: {org_field.value}",
                field_name="company_org_number",
            )
        if by_sub is None:
            certain = self.sure(sub_field) and bool(subscription)
            self.found.add(
                Code.UNKNOWN_SUBSCRIPTION_NUMBER,
                certain=certain,
                detail=subscription,
                field_name="subscription_number",
            )
        elif company_org is not None:
            certain = self.sure(org_field) and self.sure(sub_field)
            self.found.add(
                Code.ORG_NUMBER_MISMATCH,
                certain=certain,
                detail=f"{subscription} / {company_org}",
                field_name="company_org_number",
            )
        elif not org_field.value:
            self.found.add(
                Code.LOW_CONFIDENCE,
                certain=False,
                detail="organisationsnummer saknas",
                field_name="company_org_number",
            )
        return None

    def bureau(self) -> Bureau | None:
        value = self.reading.field("bureau_org_number")
        org = _parse_org(value)
        if org is None:
            code = Code.INVALID_ORG_NUMBER if value.value else Code.LOW_CONFIDENCE
            certain = bool(value.value) and self.sure(value)
            self.found.add(
                code,
                certain=certain,
                detail=f"byrå: {value.value or 'saknas'}",
                field_name="bureau_org_number",
            )
            return None
        bureau = self.registry.bureau(org)
        if bureau is None:
            self.found.add(
                Code.UNKNOWN_BUREAU,
                certain=self.sure(value),
                detail=str(org),
                field_name="bureau_org_number",
            )
        elif not self.sure(value) and not self.bureau_confirmed(bureau, value):
            self.found.add(Code.LOW_CONFIDENCE, certain=False, field_name="bureau_org_number")
        return bureau

    def bureau_confirmed(self, bureau: Bureau, value: FieldValue) -> bool:
        """A moderately sure bureau number is confirmed when the bureau name read beside it is
        the registry's name for that number (two independent readings agree)."""
        if value.confidence < self.limits.confirmed_pair:
            return False
        name = self.reading.field("bureau_name")
        if not name.value or name.confidence < self.limits.confirmed_pair:
            return False
        score = fuzz.token_sort_ratio(normalise_name(name.value), normalise_name(bureau.name))
        return float(score) >= self.limits.name_exact

    def check_role(self) -> None:
        """The form says in what capacity the company signed; a form without it is incomplete,
        and a person checks it against the registry rather than the machine guessing."""
        role = self.reading.field("company_signer_role")
        if (role.value or "").strip().casefold() not in COMPANY_ROLES or not self.sure(role):
            detail = "firmatecknare eller systemadministratör är inte ikryssat"
            self.found.add(
                Code.LOW_CONFIDENCE, certain=False, detail=detail, field_name="company_signer_role"
            )

    def signer(self, field_name: str, candidates: list[Person], code: Code) -> str | None:
        value = self.reading.field(field_name)
        person, score = match_person(value.value, candidates, self.limits.name_match)
        if person is not None and score >= self.limits.name_exact:
            if not self.sure(value):
                self.found.add(Code.LOW_CONFIDENCE, certain=False, field_name=field_name)
            return person.name
        if person is not None:
            detail = f"{value.value} liknar {person.name}"
            self.found.add(Code.LOW_CONFIDENCE, certain=False, detail=detail, field_name=field_name)
            return None
        certain = bool(value.value) and self.sure(value)
        self.found.add(
            code, certain=certain, detail=value.value or "namn saknas", field_name=field_name
        )
        return None

    def check_state(
        self, kind: OperationKind, company: Company, bureau: Bureau, decision: Decision
    ) -> None:
        connection = self.registry.connection(bureau.org_number, company.org_number)
        if kind is OperationKind.CONNECT and connection is not None and connection.is_open:
            self.found.add(Code.ALREADY_CONNECTED, certain=True)
        if kind is OperationKind.DISCONNECT and (connection is None or not connection.is_open):
            self.found.add(Code.NOT_CONNECTED, certain=True)
        if self.registry.open_digital_request(bureau.org_number, company.org_number, kind):
            decision.notes.append(Reason(Code.PENDING_DIGITAL_REQUEST))
