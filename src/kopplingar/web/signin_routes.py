"""Signing in with a password or a one-time emailed link, and signing out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kopplingar.services import accounts
from kopplingar.web.pages import Pages, flash, pages_of, safe_next

router = APIRouter()
BAD_LOGIN = (
    "Fel e-postadress eller lösenord, eller för många misslyckade försök. "
    "Försök igen om en stund, eller be om en inloggningslänk."
)


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, next: str = "/portal", pages: Pages = Depends(pages_of)
) -> HTMLResponse:
    return pages.page(request, "portal/login.html", next=safe_next(next), flash=flash(request))


@router.post("/login", response_class=HTMLResponse, response_model=None)
def login(
    request: Request,
    *,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form("/portal"),
    csrf_token: str = Form(""),
    pages: Pages = Depends(pages_of),
) -> Response:
    pages.check_csrf(request, csrf_token)
    principal = accounts.authenticate(pages.app.db, email[:320], password[:400])
    if principal is None:
        return pages.page(
            request,
            "portal/login.html",
            status=401,
            next=safe_next(next),
            email=email[:320],
            error=BAD_LOGIN,
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    pages.auth.sign_in(response, principal)
    return response


@router.post("/login/link", response_class=HTMLResponse)
def ask_for_link(
    request: Request,
    email: str = Form(""),
    csrf_token: str = Form(""),
    pages: Pages = Depends(pages_of),
) -> HTMLResponse:
    pages.check_csrf(request, csrf_token)
    app = pages.app
    if accounts.send_sign_in_link(app.db, email.strip()[:320], public_url=app.settings.public_url):
        app.deliver_mail()
    # The same answer whether or not the address is known: no list of users by trial.
    return pages.page(request, "portal/link_sent.html")


@router.get("/login/link/{token}", response_class=HTMLResponse)
def link_page(request: Request, token: str, pages: Pages = Depends(pages_of)) -> HTMLResponse:
    """Only shows a button: mail scanners open links, so spending it needs a POST."""
    valid = accounts.sign_in_link_is_valid(pages.app.db, token)
    return pages.page(
        request, "portal/link_sign_in.html", status=200 if valid else 404, token=token, valid=valid
    )


@router.post("/login/link/{token}", response_class=HTMLResponse, response_model=None)
def use_link(
    request: Request, token: str, csrf_token: str = Form(""), pages: Pages = Depends(pages_of)
) -> Response:
    pages.check_csrf(request, csrf_token)
    principal = accounts.redeem_sign_in_link(pages.app.db, token)
    if principal is None:
        return pages.page(request, "portal/link_sign_in.html", status=404, token=token, valid=False)
    response = RedirectResponse("/portal", status_code=303)
    pages.auth.sign_in(response, principal)
    return response


@router.post("/logout")
def logout(
    request: Request, csrf_token: str = Form(""), pages: Pages = Depends(pages_of)
) -> Response:
    pages.posted(request, csrf_token)
    response = RedirectResponse("/login?done=signed_out", status_code=303)
    pages.auth.sign_out(request, response)
    return response
