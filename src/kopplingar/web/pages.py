"""What every bureau and client page shares: the signed-in person, rendering, refusals.

Checks live here once: ``signed_in`` (a session, else 401), ``posted`` (plus a valid CSRF token,
else 403), ``bureau_org`` (the person's role in that very bureau, else 403). Routes get a ``Pages``
through ``Depends(pages_of)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from kopplingar.bootstrap import App
from kopplingar.domain.errors import DomainError, NotFoundError
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.services import accounts, portal
from kopplingar.web.auth import WebAuth
from kopplingar.web.labels import DONE_MESSAGES

STALE_FORM = "Formuläret var för gammalt eller ogiltigt. Ladda om sidan och försök igen."


class RefusedError(Exception):
    """Stops a request: 401 (sign in first), 403 (not yours), 404 (no such thing)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%?=&-]{0,300}")


def safe_next(target: str | None) -> str:
    """Only our own paths after sign-in (no open redirect to another site, no header tricks)."""
    return target if target and _LOCAL_PATH.fullmatch(target) else "/portal"


def org_of(text: str) -> OrgNumber:
    try:
        return OrgNumber.parse(text)
    except DomainError as error:
        raise RefusedError(404, "Sidan finns inte.") from error


def done(path: str, code: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?done={code}", status_code=303)


def flash(request: Request) -> str | None:
    return DONE_MESSAGES.get(request.query_params.get("done", ""))


@dataclass
class Pages:
    app: App
    auth: WebAuth
    templates: Jinja2Templates

    def me(self, request: Request) -> portal.Viewer | None:
        if "viewer" not in request.state._state:
            principal = self.auth.principal(request)
            found = None
            if principal is not None and principal.kind == accounts.PERSON:
                try:
                    found = portal.viewer(self.app.db, principal.id)
                except NotFoundError:
                    found = None
            request.state.viewer = found
        result: portal.Viewer | None = request.state.viewer
        return result

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        new_cookie: list[str] = []
        context["csrf_token"] = self.auth.csrf_token(request, new_cookie)
        context["me"] = self.me(request)
        response = self.templates.TemplateResponse(request, name, context, status_code=status)
        if new_cookie:
            self.auth.set_csrf_cookie(response, new_cookie[0])
        return response

    def problem(self, request: Request, message: str, back: str, status: int = 409) -> HTMLResponse:
        return self.page(request, "portal/refused.html", status=status, message=message, back=back)

    def check_csrf(self, request: Request, csrf_token: str) -> None:
        if not self.auth.csrf_valid(request, csrf_token):
            raise RefusedError(403, STALE_FORM)

    def signed_in(self, request: Request) -> portal.Viewer:
        viewer = self.me(request)
        if viewer is None:
            raise RefusedError(401, "Du behöver logga in för att se sidan.")
        return viewer

    def posted(self, request: Request, csrf_token: str) -> portal.Viewer:
        viewer = self.signed_in(request)
        self.check_csrf(request, csrf_token)
        return viewer

    @staticmethod
    def bureau_org(viewer: portal.Viewer, text: str, *, admin: bool) -> OrgNumber:
        org = org_of(text)
        if not viewer.bureau_member(org):
            raise RefusedError(403, "Du har inte behörighet för den här byrån.")
        if admin and not viewer.bureau_admin(org):
            raise RefusedError(403, "Bara byråns systemadministratörer får göra det här.")
        return org

    async def refused(self, request: Request, error: Exception) -> Response:
        assert isinstance(error, RefusedError)
        desk = request.url.path == "/desk" or request.url.path.startswith("/desk/")
        if error.status == 401 and request.method == "GET":
            login = "/desk/login" if desk else "/login"
            return RedirectResponse(f"{login}?next={quote(request.url.path)}", status_code=303)
        template = "desk/refused.html" if desk else "portal/refused.html"
        return self.page(request, template, status=error.status, message=error.message)


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages
