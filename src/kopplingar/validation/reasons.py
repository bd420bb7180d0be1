"""Reason codes (a stable contract) with the Swedish words used in replies and on the review desk."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    NOT_A_FORM = "not_a_form"
    UNREADABLE = "unreadable"
    MISSING_COMPANY_SIGNATURE = "missing_company_signature"
    MISSING_BUREAU_SIGNATURE = "missing_bureau_signature"
    UNKNOWN_SUBSCRIPTION_NUMBER = "unknown_subscription_number"
    INVALID_ORG_NUMBER = "invalid_org_number"
    ORG_NUMBER_MISMATCH = "org_number_mismatch"
    UNKNOWN_BUREAU = "unknown_bureau"
    COMPANY_SIGNER_NOT_AUTHORIZED = "company_signer_not_authorized"
    BUREAU_SIGNER_NOT_AUTHORIZED = "bureau_signer_not_authorized"
    ALREADY_CONNECTED = "already_connected"
    NOT_CONNECTED = "not_connected"
    PENDING_DIGITAL_REQUEST = "pending_digital_request"
    LOW_CONFIDENCE = "low_confidence"
    DUPLICATE = "duplicate"
    NEW_SCAN_REQUESTED = "new_scan_requested"  # a reviewer asks the sender for a better scan


EXPLANATIONS: dict[Code, tuple[str, str]] = {
    # code: (what is wrong, what to do)
    Code.NOT_A_FORM: (
        "Vi hittade ingen blankett för sammankoppling eller bortkoppling i ert meddelande.",
        "Skicka den ifyllda och underskrivna blanketten som bifogad PDF eller bild.",
    ),
    Code.UNREADABLE: (
        "Filen gick inte att öppna eller läsa (den kan vara skadad, lösenordsskyddad eller för stor).",
        "Skanna blanketten igen och skicka den som PDF eller bild utan lösenord.",
    ),
    Code.MISSING_COMPANY_SIGNATURE: (
        "Företagets underskrift saknas.",
        "Låt företagets firmatecknare eller systemadministratör skriva under och skicka blanketten igen.",
    ),
    Code.MISSING_BUREAU_SIGNATURE: (
        "Byråns underskrift saknas.",
        "Låt byråns systemadministratör skriva under och skicka blanketten igen.",
    ),
    Code.UNKNOWN_SUBSCRIPTION_NUMBER: (
        "Abonnemangsnumret finns inte hos oss.",
        "Kontrollera företagets abonnemangsnummer och skicka en rättad blankett.",
    ),
    Code.INVALID_ORG_NUMBER: (
        "Ett organisationsnummer på blanketten är ogiltigt (kontrollsiffran stämmer inte).",
        "Kontrollera organisationsnumret och skicka en rättad blankett.",
    ),
    Code.ORG_NUMBER_MISMATCH: (
        "Organisationsnumret och abonnemangsnumret hör inte till samma företag.",
        "Kontrollera att rätt abonnemangsnummer och organisationsnummer står på blanketten.",
    ),
    Code.UNKNOWN_BUREAU: (
        "Byrån med det angivna organisationsnumret finns inte hos oss.",
        "Kontrollera byråns organisationsnummer och skicka en rättad blankett.",
    ),
    Code.COMPANY_SIGNER_NOT_AUTHORIZED: (
        "Den som skrivit under för företaget är varken firmatecknare eller systemadministratör hos företaget.",
        "Låt en firmatecknare eller systemadministratör skriva under och skicka blanketten igen.",
    ),
    Code.BUREAU_SIGNER_NOT_AUTHORIZED: (
        "Den som skrivit under för byrån är inte systemadministratör hos byrån.",
        "Låt byråns systemadministratör skriva under och skicka blanketten igen.",
    ),
    Code.ALREADY_CONNECTED: (
        "Företaget är redan kopplat till byrån.",
        "Ingen åtgärd behövs. Byrån hittar klienten i sin klient- eller aktiveringslista.",
    ),
    Code.NOT_CONNECTED: (
        "Företaget är inte kopplat till byrån, så det finns inget att koppla bort.",
        "Kontrollera att rätt byrå och företag står på blanketten.",
    ),
    Code.PENDING_DIGITAL_REQUEST: (
        "Det fanns redan en digital förfrågan för samma byrå och företag; den ersätts av blanketten.",
        "Ingen åtgärd behövs.",
    ),
    Code.LOW_CONFIDENCE: (
        "Delar av blanketten gick inte att läsa säkert.",
        "Vår kundtjänst granskar blanketten manuellt.",
    ),
    Code.NEW_SCAN_REQUESTED: (
        "Skanningen går inte att läsa tillräckligt säkert.",
        "Skanna blanketten igen i minst 200 dpi, hela sidan rak och tydlig, och skicka den till oss.",
    ),
    Code.DUPLICATE: (
        "Samma blankett har redan kommit in och behandlats.",
        "Ingen åtgärd behövs.",
    ),
}


@dataclass(frozen=True)
class Reason:
    code: Code
    detail: str = ""  # e.g. which field; shown to customer service
    field: str | None = None

    @property
    def text(self) -> str:
        return EXPLANATIONS[self.code][0]

    @property
    def advice(self) -> str:
        return EXPLANATIONS[self.code][1]
