"""The review desk for customer service (``/desk/...``): who is asking and what they may do.

Staff users sign in at ``/desk/login`` into the same server-side sessions as the portal, as the
principal kind ``staff``; a registry person's session opens no desk page. Every page checks the
staff user's role against :data:`kopplingar.services.staff.PERMISSIONS`; every action is a POST
with a CSRF token bound to the session; no GET changes anything. Page images are rendered in the
reading sandbox and cached on disk (:mod:`kopplingar.web.previews`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from kopplingar.services import staff
from kopplingar.services.staff import Action, StaffUser
from kopplingar.web.labels import (
    EVENT_LABELS,
    OPERATION_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
)
from kopplingar.web.pages import Pages, RefusedError
from kopplingar.web.previews import Previews

_DESK_PATH = re.compile(r"/desk/[A-Za-z0-9/_.~%?=&-]{0,300}")


def safe_desk_next(target: str | None) -> str:
    """After signing in, only a desk page of our own."""
    return target if target and _DESK_PATH.fullmatch(target) else "/desk/cases"


@dataclass
class Desk:
    pages: Pages
    previews: Previews

    @property
    def app(self) -> Any:
        return self.pages.app

    def me(self, request: Request) -> StaffUser | None:
        if "staff_user" not in request.state._state:
            principal = self.pages.auth.principal(request)
            found = None
            if principal is not None and principal.kind == staff.STAFF:
                found = staff.user(self.app.db, principal.id)
            request.state.staff_user = found
        user: StaffUser | None = request.state.staff_user
        return user

    def staff(self, request: Request, action: Action = Action.VIEW) -> StaffUser:
        user = self.me(request)
        if user is None:
            raise RefusedError(401, "Logga in på granskningsdesken för att se sidan.")
        if not user.may(action):
            raise RefusedError(403, "Din roll får inte göra det här.")
        return user

    def posted(self, request: Request, csrf_token: str, action: Action) -> StaffUser:
        user = self.staff(request, action)
        self.pages.check_csrf(request, csrf_token)
        return user

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("staff_user", self.me(request))
        return self.pages.page(request, name, status=status, **context)


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def mount(web: FastAPI, pages: Pages) -> None:
    from kopplingar.web import desk_routes

    settings = pages.app.settings
    previews = Previews(
        settings.home / "previews",
        pages.app.documents,
        timeout=settings.read_timeout_seconds,
        memory_mb=settings.read_memory_mb,
    )
    web.state.desk = Desk(pages, previews)
    env = pages.templates.env.globals
    env["status_labels"] = STATUS_LABELS
    env["operation_labels"] = OPERATION_LABELS
    env["event_labels"] = EVENT_LABELS
    env["role_labels"] = ROLE_LABELS
    env["Action"] = Action
    web.include_router(desk_routes.router)
