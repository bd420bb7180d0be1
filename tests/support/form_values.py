"""What a correct form for the sample registry's pair says: Bageriet i Byn AB (company) and
Siffrorna Redovisning AB (bureau), signed by a firmatecknare and the bureau's administrator.
Tests start from these values and change the one they are about."""

from __future__ import annotations

VALID_FORM_VALUES: dict[str, str] = {
    "company_name": "Bageriet i Byn AB",
    "company_org_number": "559123-4561",
    "subscription_number": "1048213",
    "bureau_name": "Siffrorna Redovisning AB",
    "bureau_org_number": "556677-8899",
    "company_signer_name": "David Dahl",
    "company_signer_role": "firmatecknare",
    "company_sign_date": "2026-03-01",
    "bureau_signer_name": "Anna Andersson",
    "bureau_sign_date": "2026-03-02",
    "contact_email": "david@bageriet.se",
}
