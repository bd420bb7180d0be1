"""Blank and prefilled PDF forms for when the digital route is closed.

A prefilled form is bound to a new paper request by the signed form id in its QR code, so it is
created by a POST (a GET never changes anything).
"""

from __future__ import annotations

from kopplingar.bootstrap import App
from kopplingar.domain.model import OperationKind, Person
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.forms.pdf import render_form
from kopplingar.services.paper import create_prefilled

KINDS = ("connect", "disconnect")


def blank(kind: str) -> bytes:
    return render_form(kind)


def prefilled(
    app: App, kind: str, *, bureau_org: OrgNumber, company_org: OrgNumber, signer: Person
) -> bytes:
    """Registry values for both parties; the downloading administrator signs for the bureau."""
    made = create_prefilled(
        app.db,
        OperationKind(kind),
        bureau_org=bureau_org,
        company_org=company_org,
        created_by=signer.email,
    )
    values = made.values | {"bureau_signer_name": signer.name}
    return render_form(
        kind, values=values, form_id=made.form_id, secret=app.settings.secret_bytes()
    )
