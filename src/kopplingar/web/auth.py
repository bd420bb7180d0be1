"""Who is asking, and is the form theirs: sessions and CSRF for every page that needs a sign-in.

General on purpose: the principal may be a registry person or (later) a review-desk staff user.
CSRF tokens are the signed double-submit tokens of :mod:`kopplingar.web.csrf`, bound to the session
id when signed in and to the pre-session CSRF cookie on the sign-in forms.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response

from kopplingar.services.accounts import Principal
from kopplingar.web import csrf
from kopplingar.web.sessions import COOKIE, SessionStore


@dataclass
class WebAuth:
    store: SessionStore
    secret: bytes
    secure_cookies: bool

    def session_id(self, request: Request) -> str | None:
        return request.cookies.get(COOKIE)

    def principal(self, request: Request) -> Principal | None:
        if "principal" not in request.state._state:
            request.state.principal = self.store.load(self.session_id(request))
        found: Principal | None = request.state.principal
        return found

    def _csrf_binding(self, request: Request) -> tuple[str | None, bool]:
        """The value CSRF tokens are bound to, and whether a pre-session cookie must be set."""
        if self.principal(request) is not None:
            return "session:" + str(self.session_id(request)), False
        cookie = request.cookies.get(csrf.COOKIE)
        return cookie, cookie is None

    def csrf_token(self, request: Request, response_cookie: list[str]) -> str:
        binding, needs_cookie = self._csrf_binding(request)
        if needs_cookie or binding is None:
            binding = csrf.new_cookie_value()
            response_cookie.append(binding)
        return csrf.issue(self.secret, binding)

    def csrf_valid(self, request: Request, field: str | None) -> bool:
        binding, _ = self._csrf_binding(request)
        return csrf.verify(self.secret, binding, field)

    def set_csrf_cookie(self, response: Response, value: str) -> None:
        response.set_cookie(
            csrf.COOKIE, value, httponly=True, samesite="strict", secure=self.secure_cookies
        )

    def sign_in(self, response: Response, principal: Principal) -> None:
        raw = self.store.create(principal)
        response.set_cookie(
            COOKIE,
            raw,
            max_age=int(self.store.lifetime.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=self.secure_cookies,
            path="/",
        )

    def sign_out(self, request: Request, response: Response) -> None:
        self.store.delete(self.session_id(request))
        response.delete_cookie(
            COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure_cookies
        )
