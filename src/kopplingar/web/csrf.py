"""Signed double-submit CSRF tokens: a random cookie and a form field bound to it by HMAC.

Works without server-side sessions (the consent pages have no login): the field is
``<issued>.<hmac(secret, cookie + issued)>`` and is accepted for a limited time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

COOKIE = "kopplingar_csrf"
MAX_AGE_SECONDS = 2 * 3600


def new_cookie_value() -> str:
    return secrets.token_urlsafe(24)


def issue(secret: bytes, cookie_value: str, now: float | None = None) -> str:
    issued = str(int(now if now is not None else time.time()))
    mac = hmac.new(secret, f"{cookie_value}.{issued}".encode(), hashlib.sha256).hexdigest()
    return f"{issued}.{mac}"


def verify(
    secret: bytes, cookie_value: str | None, field: str | None, now: float | None = None
) -> bool:
    if not cookie_value or not field or "." not in field or len(field) > 200:
        return False
    issued, mac = field.split(".", 1)
    if not issued.isdigit():
        return False
    age = (now if now is not None else time.time()) - int(issued)
    if age < -60 or age > MAX_AGE_SECONDS:
        return False
    expected = hmac.new(secret, f"{cookie_value}.{issued}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, expected)
