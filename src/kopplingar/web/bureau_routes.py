"""The bureau's pages: client list, Koppla bort, Koppla klient, activation list, requests sent."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from kopplingar.domain.errors import DomainError
from kopplingar.domain.model import OperationKind, Permission
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.services import connections, consent, portal
from kopplingar.web.pages import Pages, RefusedError, done, flash, org_of, pages_of

router = APIRouter(prefix="/bureau/{org}")
_ORG_LIKE = re.compile(r"^\d{6}-?\d{4}$")
_PERMISSIONS = {p.value for p in Permission}


@router.get("/clients", response_class=HTMLResponse)
def client_list(request: Request, org: str, pages: Pages = Depends(pages_of)) -> HTMLResponse:
    viewer = pages.signed_in(request)
    bureau = pages.bureau_org(viewer, org, admin=False)
    rows, waiting = portal.client_list(pages.app.db, bureau, viewer.person)
    return pages.page(
        request,
        "portal/clients.html",
        bureau=portal.bureau(pages.app.db, bureau),
        rows=rows,
        waiting=len(waiting),
        admin=viewer.bureau_admin(bureau),
        flash=flash(request),
        tab="clients",
    )


@router.get("/clients/{company}/disconnect", response_class=HTMLResponse)
def disconnect_confirm(
    request: Request, org: str, company: str, pages: Pages = Depends(pages_of)
) -> HTMLResponse:
    viewer = pages.signed_in(request)
    bureau = pages.bureau_org(viewer, org, admin=True)
    rows, _ = portal.client_list(pages.app.db, bureau, viewer.person)
    row = next((r for r in rows if r.entry.org_number == str(org_of(company))), None)
    if row is None:
        raise RefusedError(404, "Klienten finns inte i byråns klientlista.")
    return pages.page(
        request,
        "portal/disconnect.html",
        bureau=portal.bureau(pages.app.db, bureau),
        row=row,
        tab="clients",
    )


@router.post("/clients/{company}/disconnect", response_class=HTMLResponse, response_model=None)
def disconnect(
    request: Request,
    org: str,
    company: str,
    csrf_token: str = Form(""),
    pages: Pages = Depends(pages_of),
) -> Response:
    viewer = pages.posted(request, csrf_token)
    bureau = pages.bureau_org(viewer, org, admin=True)
    client = str(org_of(company))
    return _send_request(request, pages, viewer, bureau, OperationKind.DISCONNECT, client)


@router.get("/connect", response_class=HTMLResponse)
def connect_page(
    request: Request, org: str, q: str = "", pages: Pages = Depends(pages_of)
) -> HTMLResponse:
    """Search by org number or database id (admins only); GET changes nothing."""
    viewer = pages.signed_in(request)
    bureau = pages.bureau_org(viewer, org, admin=False)
    query = q.strip()[:40]
    admin = viewer.bureau_admin(bureau)
    context: dict[str, Any] = {"q": query, "admin": admin}
    if query and admin:
        by_org = bool(_ORG_LIKE.match(query))
        try:
            context["preview"] = consent.preview_request(
                pages.app.db,
                OperationKind.CONNECT,
                bureau_org=bureau,
                client_org=query if by_org else None,
                client_db_id=None if by_org else query,
                by_email=str(viewer.person.email),
            )
        except DomainError as error:
            context["error"] = error.message
        else:
            context["use_form"] = portal.offers_form(context["preview"].blocked)
    return pages.page(
        request,
        "portal/connect.html",
        bureau=portal.bureau(pages.app.db, bureau),
        tab="connect",
        **context,
    )


@router.post("/connect", response_class=HTMLResponse, response_model=None)
def connect(
    request: Request,
    org: str,
    company: str = Form(""),
    csrf_token: str = Form(""),
    pages: Pages = Depends(pages_of),
) -> Response:
    viewer = pages.posted(request, csrf_token)
    bureau = pages.bureau_org(viewer, org, admin=True)
    return _send_request(request, pages, viewer, bureau, OperationKind.CONNECT, company[:20])


def _send_request(
    request: Request,
    pages: Pages,
    viewer: portal.Viewer,
    bureau: OrgNumber,
    kind: OperationKind,
    client: str,
) -> Response:
    """Send a connect or disconnect request and mail its links; a refusal is shown on the page
    the bureau came from, a request sent leads to the list of requests."""
    app = pages.app
    try:
        consent.request_consent(
            app.db,
            kind,
            bureau_org=bureau,
            client_org=client,
            by_email=str(viewer.person.email),
            public_url=app.settings.public_url,
            valid_days=app.settings.consent_valid_days,
        )
    except DomainError as error:
        came_from = "connect" if kind is OperationKind.CONNECT else "clients"
        return pages.problem(request, error.message, f"/bureau/{bureau}/{came_from}")
    app.deliver_mail()
    sent = "sent" if kind is OperationKind.CONNECT else "disconnect_sent"
    return done(f"/bureau/{bureau}/requests", sent)


@router.get("/activation", response_class=HTMLResponse)
def activation_list(request: Request, org: str, pages: Pages = Depends(pages_of)) -> HTMLResponse:
    viewer = pages.signed_in(request)
    bureau = pages.bureau_org(viewer, org, admin=False)
    _, waiting = portal.client_list(pages.app.db, bureau, viewer.person)
    return pages.page(
        request,
        "portal/activation.html",
        bureau=portal.bureau(pages.app.db, bureau),
        waiting=waiting,
        users=portal.bureau_users(pages.app.db, bureau),
        permissions=[p.value for p in Permission],
        admin=viewer.bureau_admin(bureau),
        flash=flash(request),
        tab="activation",
    )


def chosen_access(consultant: list[str], perm: list[str]) -> dict[str, list[Permission]]:
    """Consultants ticked, each with the permissions ticked for them (``email|permission``)."""
    chosen: dict[str, list[Permission]] = {
        c.strip().lower(): [] for c in consultant[:100] if c.strip()
    }
    for item in perm[:1000]:
        email, _, value = item.rpartition("|")
        email = email.strip().lower()
        if email in chosen and value in _PERMISSIONS:
            chosen[email].append(Permission(value))
    if not chosen:
        raise DomainError("Välj minst en konsult som ska arbeta med klienten.")
    missing = sorted(email for email, perms in chosen.items() if not perms)
    if missing:
        raise DomainError("Välj minst en behörighet för " + ", ".join(missing) + ".")
    return chosen


@router.post("/activation/{company}", response_class=HTMLResponse, response_model=None)
def activate(
    request: Request,
    org: str,
    company: str,
    *,
    consultant: list[str] = Form([]),
    perm: list[str] = Form([]),
    csrf_token: str = Form(""),
    pages: Pages = Depends(pages_of),
) -> Response:
    viewer = pages.posted(request, csrf_token)
    bureau = pages.bureau_org(viewer, org, admin=True)
    try:
        access = chosen_access(consultant, perm)
        connections.activate(
            pages.app.db,
            bureau_org=bureau,
            company_org=org_of(company),
            consultant_emails=sorted(access),
            permissions=[],
            per_consultant=access,
            actor=str(viewer.person.email),
        )
    except DomainError as error:
        return pages.problem(request, error.message, f"/bureau/{bureau}/activation")
    return done(f"/bureau/{bureau}/clients", "activated")


@router.get("/requests", response_class=HTMLResponse)
def requests_sent(request: Request, org: str, pages: Pages = Depends(pages_of)) -> HTMLResponse:
    viewer = pages.signed_in(request)
    bureau = pages.bureau_org(viewer, org, admin=False)
    return pages.page(
        request,
        "portal/requests.html",
        bureau=portal.bureau(pages.app.db, bureau),
        requests=consent.requests_of_bureau(pages.app.db, bureau),
        admin=viewer.bureau_admin(bureau),
        flash=flash(request),
        tab="requests",
    )


@router.post("/requests/{request_id}/resend", response_class=HTMLResponse, response_model=None)
def resend(
    request: Request,
    org: str,
    request_id: int,
    csrf_token: str = Form(""),
    pages: Pages = Depends(pages_of),
) -> Response:
    viewer = pages.posted(request, csrf_token)
    bureau = pages.bureau_org(viewer, org, admin=True)
    app = pages.app
    try:
        consent.resend_request(
            app.db,
            request_id,
            bureau_org=bureau,
            by_email=str(viewer.person.email),
            public_url=app.settings.public_url,
        )
    except DomainError as error:
        return pages.problem(request, error.message, f"/bureau/{bureau}/requests")
    app.deliver_mail()
    return done(f"/bureau/{bureau}/requests", "resent")
