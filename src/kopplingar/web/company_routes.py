"""The signed-in home page, the client company's page of bureaus, and the PDF form downloads."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from kopplingar.domain.errors import NotFoundError
from kopplingar.services import portal
from kopplingar.web import form_downloads
from kopplingar.web.pages import Pages, RefusedError, org_of, pages_of

router = APIRouter()


@router.get("/portal", response_class=HTMLResponse)
def home(request: Request, pages: Pages = Depends(pages_of)) -> HTMLResponse:
    pages.signed_in(request)
    return pages.page(request, "portal/home.html")


@router.get("/company/{org}/bureaus", response_class=HTMLResponse)
def company_bureaus(request: Request, org: str, pages: Pages = Depends(pages_of)) -> HTMLResponse:
    viewer = pages.signed_in(request)
    company = org_of(org)
    if not viewer.company_admin(company):
        raise RefusedError(403, "Bara företagets systemadministratörer kan se företagets byråer.")
    return pages.page(
        request,
        "portal/company.html",
        company=portal.company(pages.app.db, company),
        bureaus=portal.bureaus_of_company(pages.app.db, company),
    )


def _pdf(kind: str, render: Callable[[], bytes], filename: str) -> Response:
    if kind not in form_downloads.KINDS:
        raise RefusedError(404, "Det finns ingen sådan blankett.")
    content = render()
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/forms/{kind}.pdf")
def blank_form(kind: str) -> Response:
    """The blank form; anyone may print it."""
    return _pdf(kind, lambda: form_downloads.blank(kind), f"blankett-{kind}.pdf")


@router.post("/bureau/{org}/forms/{kind}.pdf")
def prefilled_form(
    request: Request,
    org: str,
    kind: str,
    company: str = Form(""),
    csrf_token: str = Form(""),
    pages: Pages = Depends(pages_of),
) -> Response:
    """The form filled from the registry and bound to a new paper request (hence a POST)."""
    viewer = pages.posted(request, csrf_token)
    bureau_org = pages.bureau_org(viewer, org, admin=True)
    try:
        found = portal.company(pages.app.db, org_of(company))
    except NotFoundError as error:
        raise RefusedError(404, error.message) from error
    return _pdf(
        kind,
        lambda: form_downloads.prefilled(
            pages.app,
            kind,
            bureau_org=bureau_org,
            company_org=found.org_number,
            signer=viewer.person,
        ),
        f"blankett-{kind}-{found.org_number.digits}.pdf",
    )
