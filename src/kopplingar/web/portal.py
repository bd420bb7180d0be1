"""Pages for bureaus and client administrators: sign-in, client list, connect, activate, requests.

Every page needs a signed-in registry person; every action is a POST with a CSRF token, checked on
the server against the person's role in that very organisation. Bureau consultants may look at
their bureau's client list, activation list and sent requests; only the bureau's
systemadministratörer may search for clients, send, resend, activate, disconnect or download
prefilled forms. A company's systemadministratörer see the bureaus connected to their company.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from kopplingar.bootstrap import App
from kopplingar.web import bureau_routes, company_routes, signin_routes
from kopplingar.web.auth import WebAuth
from kopplingar.web.labels import PERMISSION_LABELS
from kopplingar.web.pages import Pages, RefusedError
from kopplingar.web.sessions import SessionStore


def mount(web: FastAPI, app: App, templates: Jinja2Templates) -> None:
    secure = app.settings.public_url.startswith("https://")
    auth = WebAuth(SessionStore(app.db), app.settings.secret_bytes(), secure)
    pages = Pages(app, auth, templates)
    templates.env.globals["permission_labels"] = PERMISSION_LABELS
    web.state.pages = pages
    web.add_exception_handler(RefusedError, pages.refused)
    for module in (signin_routes, bureau_routes, company_routes):
        web.include_router(module.router)
