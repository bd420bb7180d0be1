"""Blank and prefilled PDF forms for when the digital route is closed.

The PDF renderer (``kopplingar.forms.pdf``) is imported lazily: the pages work without it and the
download answers 503 with a clear message until it is installed.
"""

from __future__ import annotations

import importlib

from kopplingar.domain.model import Bureau, Company, Person

KINDS = ("connect", "disconnect")
TITLES = {"connect": "Sammankoppling", "disconnect": "Bortkoppling"}
UNAVAILABLE = (
    "Blanketterna kan inte skapas just nu. Försök igen senare eller skriv till "
    "kopplingar@fortnox.se så skickar vi en blankett."
)


class FormsUnavailableError(RuntimeError):
    """The PDF renderer is not part of this installation."""


def _render(kind: str, values: dict[str, str] | None) -> bytes:
    if kind not in KINDS:
        raise ValueError(kind)
    try:
        pdf = importlib.import_module("kopplingar.forms.pdf")
    except ImportError as error:
        raise FormsUnavailableError(UNAVAILABLE) from error
    result: bytes = pdf.render_form(kind, values=values)
    return result


def blank(kind: str) -> bytes:
    return _render(kind, None)


def prefilled(kind: str, *, bureau: Bureau, company: Company, signer: Person) -> bytes:
    """The form with both parties filled in, and the bureau signer who downloads it."""
    values = {
        "company_name": company.name,
        "company_org_number": company.org_number.digits,
        "subscription_number": company.subscription_number,
        "bureau_name": bureau.name,
        "bureau_org_number": bureau.org_number.digits,
        "bureau_signer_name": signer.name,
    }
    if signer.email:
        values["contact_email"] = signer.email
    return _render(kind, values)
