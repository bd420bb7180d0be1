"""The web app: consent pages, the bureau and client pages (``web.portal``), the review desk
(``web.desk``, under ``/desk``).

No state changes on GET; every POST carries a CSRF token; pages send no Referer (the link's
token must not leak) and are never cached.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from kopplingar import __version__
from kopplingar.bootstrap import App
from kopplingar.domain.errors import DomainError, InvalidTokenError
from kopplingar.services import consent
from kopplingar.web import csrf, desk, portal

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def create_app(app: App) -> FastAPI:
    @asynccontextmanager
    async def lifespan(web: FastAPI) -> AsyncIterator[None]:
        yield
        web.state.desk.previews.close()  # the page-image sandbox child

    web = FastAPI(
        title="kopplingar",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    web.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    secret = app.settings.secret_bytes()
    secure_cookies = app.settings.public_url.startswith("https://")

    @web.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        cookie = request.cookies.get(csrf.COOKIE) or csrf.new_cookie_value()
        context["csrf_token"] = csrf.issue(secret, cookie)
        response = templates.TemplateResponse(request, name, context, status_code=status)
        response.set_cookie(
            csrf.COOKIE, cookie, httponly=True, samesite="strict", secure=secure_cookies
        )
        return response

    @web.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    from kopplingar.web import ops_routes  # /readyz and /metrics

    ops_routes.mount(web, app)

    @web.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        return render(request, "index.html")

    @web.get("/consent/{token}", response_class=HTMLResponse)
    def show(request: Request, token: str) -> HTMLResponse:
        try:
            view = consent.show_consent(app.db, token)
        except InvalidTokenError as error:
            return render(request, "consent_invalid.html", status=404, message=error.message)
        return render(request, "consent.html", view=view, token=token)

    @web.post("/consent/{token}/accept", response_class=HTMLResponse, response_model=None)
    def accept(request: Request, token: str, csrf_token: str = Form("")) -> Response:
        if not csrf.verify(secret, request.cookies.get(csrf.COOKIE), csrf_token):
            return render(
                request,
                "consent_invalid.html",
                status=403,
                message="Sidan var för gammal eller formuläret ogiltigt. Öppna länken igen och försök på nytt.",
            )
        try:
            consent.accept_consent(app.db, token)
        except InvalidTokenError as error:
            return render(request, "consent_invalid.html", status=404, message=error.message)
        except DomainError as error:
            view = consent.show_consent(app.db, token)
            return render(
                request, "consent.html", status=409, view=view, token=token, error=error.message
            )
        app.deliver_mail()
        return RedirectResponse(f"/consent/{token}", status_code=303)

    portal.mount(web, app, templates)
    desk.mount(web, web.state.pages)
    return web
