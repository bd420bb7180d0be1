"""Password hashing with the standard library's scrypt: memory-hard, salted, no new dependency.

The stored string carries its parameters (``scrypt$n$r$p$salt$hash``), so stronger settings later
still verify old hashes. Comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Protocol

N, R, P = 2**15, 8, 1  # about 32 MiB and tens of milliseconds per hash
MAX_MEMORY = 64 * 1024 * 1024
KEY_BYTES = 32
MIN_LENGTH = 12
MAX_LENGTH = 200


class WeakPasswordError(ValueError):
    """The password is too short or too long; the message is Swedish, for the user."""


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"lösenordet måste ha minst {MIN_LENGTH} tecken")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"lösenordet får ha högst {MAX_LENGTH} tecken")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=MAX_MEMORY, dklen=KEY_BYTES
    )


def hash_password(password: str) -> str:
    check_strength(password)
    salt = secrets.token_bytes(16)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_scrypt(password, salt, N, R, P))}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or len(password) > MAX_LENGTH:
            return False
        computed = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, _unb64(digest))


_DUMMY = f"scrypt${N}${R}${P}${_b64(b'0' * 16)}${_b64(b'0' * KEY_BYTES)}"


def burn_time(password: str) -> None:
    """Spend the time of one verification, so unknown accounts answer as slowly as known ones."""
    verify_password(password[:MAX_LENGTH], _DUMMY)


MAX_FAILURES = 10  # wrong passwords in a row before the account is locked for a while
LOCK_TIME = timedelta(minutes=15)


class LockableCredential(Protocol):
    password_hash: str
    failed_attempts: int
    locked_until: datetime | None


def check_with_lockout(row: LockableCredential | None, password: str, now: datetime) -> bool:
    """Verify against a stored hash, counting failures and locking after too many; an unknown or
    locked account costs the same time as a wrong password, so timing tells nothing."""
    locked = row.locked_until if row is not None else None
    if locked is not None and locked.tzinfo is None:
        locked = locked.replace(tzinfo=UTC)
    if row is None or (locked is not None and locked > now):
        burn_time(password)
        return False
    if not verify_password(password, row.password_hash):
        row.failed_attempts = (row.failed_attempts or 0) + 1
        if row.failed_attempts >= MAX_FAILURES:
            row.locked_until, row.failed_attempts = now + LOCK_TIME, 0
        return False
    row.failed_attempts, row.locked_until = 0, None
    return True
