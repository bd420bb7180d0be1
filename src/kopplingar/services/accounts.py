"""Signing in registry people: passwords, lock-out after repeated failures, one-time email links.

A principal is a kind and an id ("person" here; the review desk adds "staff" with its own users
table), so links and sessions work the same for every kind of user. Link tokens are stored as
SHA-256 only, live 15 minutes and are spent by a conditional UPDATE (single use, even when two
clicks race).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from kopplingar.domain.consent import hash_token, new_token
from kopplingar.domain.errors import NotFoundError
from kopplingar.notify import templates
from kopplingar.notify.outbox import queue_mail
from kopplingar.services import passwords
from kopplingar.storage.auth_tables import CredentialRow, SignInLinkRow, WebSessionRow
from kopplingar.storage.database import Database
from kopplingar.storage.registry_tables import PersonRow, RoleRow

PERSON = "person"
LINK_LIFETIME = timedelta(minutes=15)
MAX_FAILURES = passwords.MAX_FAILURES
MAX_OPEN_LINKS = 3
LOCK_TIME = passwords.LOCK_TIME


@dataclass(frozen=True)
class Principal:
    kind: str
    id: int


def _person_row(session: Session, email: str) -> PersonRow | None:
    return session.scalars(
        select(PersonRow).where(PersonRow.email == email.strip().lower())
    ).first()


def set_password(db: Database, email: str, password: str, *, now: datetime | None = None) -> None:
    """Set or replace a person's password; their open sessions end (sign out everywhere)."""
    now = now or datetime.now(UTC)
    hashed = passwords.hash_password(password)
    with db.transaction() as session:
        person = _person_row(session, email)
        if person is None:
            raise NotFoundError(f"ingen användare med e-postadressen {email}")
        row = session.get(CredentialRow, person.id) or CredentialRow(person_id=person.id)
        row.password_hash, row.created_at = hashed, now
        row.failed_attempts, row.locked_until = 0, None
        session.add(row)
        session.execute(
            delete(WebSessionRow).where(
                WebSessionRow.principal_kind == PERSON, WebSessionRow.principal_id == person.id
            )
        )


def authenticate(
    db: Database, email: str, password: str, *, now: datetime | None = None
) -> Principal | None:
    """The person when the password is right; None for a wrong password, unknown or locked account."""
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        person = _person_row(session, email) if email else None
        row = session.get(CredentialRow, person.id) if person is not None else None
        if person is None or not passwords.check_with_lockout(row, password, now):
            return None
        return Principal(PERSON, person.id)


def send_sign_in_link(
    db: Database, email: str, *, public_url: str, now: datetime | None = None
) -> bool:
    """Queue a sign-in link for a registry person with a role; the caller must not reveal the result."""
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        person = _person_row(session, email) if email and len(email) <= 320 else None
        if person is None or person.email is None:
            return False
        has_role = session.scalars(select(RoleRow.id).where(RoleRow.person_id == person.id)).first()
        if has_role is None:
            return False
        waiting = session.scalars(
            select(SignInLinkRow.id).where(
                SignInLinkRow.principal_kind == PERSON,
                SignInLinkRow.principal_id == person.id,
                SignInLinkRow.used_at.is_(None),
                SignInLinkRow.expires_at > now,
            )
        ).all()
        if len(waiting) >= MAX_OPEN_LINKS:  # nobody fills an inbox by asking again and again
            return False
        token = new_token()
        session.add(
            SignInLinkRow(
                token_hash=hash_token(token),
                principal_kind=PERSON,
                principal_id=person.id,
                created_at=now,
                expires_at=now + LINK_LIFETIME,
            )
        )
        subject, body = templates.sign_in_link(
            recipient_name=person.name,
            link=f"{public_url.rstrip('/')}/login/link/{token}",
            minutes=int(LINK_LIFETIME.total_seconds() // 60),
        )
        queue_mail(
            session, to=[person.email], subject=subject, body=body, purpose="sign_in_link", now=now
        )
        return True


def _valid_link(token: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        SignInLinkRow.token_hash == hash_token(token),
        SignInLinkRow.used_at.is_(None),
        SignInLinkRow.expires_at > now,
    )


def sign_in_link_is_valid(db: Database, token: str, *, now: datetime | None = None) -> bool:
    """Only looks (mail scanners open links); spending the link is a separate POST."""
    now = now or datetime.now(UTC)
    if not token or len(token) > 200:
        return False
    with db.transaction() as session:
        return (
            session.scalars(select(SignInLinkRow.id).where(*_valid_link(token, now))).first()
            is not None
        )


def redeem_sign_in_link(
    db: Database, token: str, *, now: datetime | None = None
) -> Principal | None:
    """Spend the link once: the first redeemer gets the principal, everyone after gets None."""
    now = now or datetime.now(UTC)
    if not token or len(token) > 200:
        return None
    with db.transaction() as session:
        row = session.scalars(select(SignInLinkRow).where(*_valid_link(token, now))).first()
        if row is None:
            return None
        spent = session.execute(
            update(SignInLinkRow)
            .where(SignInLinkRow.id == row.id, SignInLinkRow.used_at.is_(None))
            .values(used_at=now)
        )
        if getattr(spent, "rowcount", 0) != 1:
            return None
        return Principal(row.principal_kind, row.principal_id)
