"""Review-desk staff: adding users, signing them in, and what each role may do.

Roles (decided here, checked on the server for every page and action):

- ``reviewer``: sees the queue, cases, page images and original mail; approves (with corrections),
  rejects with reasons, asks for a new scan; reopens a case *the machine* rejected (when the machine
  was wrong) and sends a rejection reply that was held back for a person (``reply_on_reject``
  off).
- ``admin``: everything a reviewer may, and also reopens a case *a person* rejected (overriding a
  colleague's decision) and sees the list of staff users.

Adding, changing and deactivating staff users is done on the command line (``kopplingar staff``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kopplingar.domain.errors import DomainError, NotFoundError
from kopplingar.services import passwords
from kopplingar.services.accounts import Principal
from kopplingar.storage.auth_tables import WebSessionRow
from kopplingar.storage.database import Database
from kopplingar.storage.staff_tables import StaffUserRow

STAFF = "staff"  # the principal kind of a staff user's session
MAX_FAILURES = passwords.MAX_FAILURES
LOCK_TIME = passwords.LOCK_TIME


class Role(StrEnum):
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Action(StrEnum):
    VIEW = "view"  # queue, case pages, page images, original mail
    DECIDE = "decide"  # approve, reject, ask for a new scan (cases waiting for review)
    REOPEN_MACHINE_REJECTION = "reopen_machine_rejection"  # also: send a held-back reply
    REOPEN_PERSON_REJECTION = "reopen_person_rejection"
    SEE_STAFF = "see_staff"


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.REVIEWER: frozenset(
        {Action.VIEW, Action.DECIDE, Action.REOPEN_MACHINE_REJECTION},
    ),
    Role.ADMIN: frozenset(Action),
}


class StaffError(DomainError):
    code = "staff_refused"


@dataclass(frozen=True)
class StaffUser:
    id: int
    email: str
    name: str
    role: Role
    active: bool

    def may(self, action: Action) -> bool:
        return self.active and action in PERMISSIONS[self.role]

    @property
    def actor(self) -> str:
        """How the user is named in case histories."""
        return self.email


def _user(row: StaffUserRow) -> StaffUser:
    return StaffUser(row.id, row.email, row.name, Role(row.role), bool(row.active))


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise StaffError(f"ogiltig e-postadress: {email!r}")
    return email


def add(
    db: Database,
    email: str,
    *,
    name: str,
    role: str,
    password: str,
    now: datetime | None = None,
) -> StaffUser:
    """Add a staff user, or update the name, role and password of one that exists (reactivated).

    Changing a user signs them out everywhere.
    """
    now = now or datetime.now(UTC)
    email = normalise_email(email)
    try:
        checked_role = Role(role)
    except ValueError:
        raise StaffError(f"okänd roll {role!r}: reviewer eller admin") from None
    if not name.strip() or len(name) > 200:
        raise StaffError("ange ett namn (högst 200 tecken)")
    hashed = passwords.hash_password(password)
    with db.transaction() as session:
        row = session.scalars(select(StaffUserRow).where(StaffUserRow.email == email)).first()
        if row is None:
            row = StaffUserRow(email=email, created_at=now)
            session.add(row)
        row.name, row.role, row.password_hash = name.strip(), checked_role.value, hashed
        row.active, row.failed_attempts, row.locked_until = True, 0, None
        session.flush()
        _end_sessions(session, row.id)
        return _user(row)


def deactivate(db: Database, email: str) -> StaffUser:
    with db.transaction() as session:
        row = session.scalars(
            select(StaffUserRow).where(StaffUserRow.email == normalise_email(email))
        ).first()
        if row is None:
            raise NotFoundError(f"ingen personal med e-postadressen {email}")
        row.active = False
        _end_sessions(session, row.id)
        return _user(row)


def _end_sessions(session: Session, user_id: int) -> None:
    session.execute(
        delete(WebSessionRow).where(
            WebSessionRow.principal_kind == STAFF, WebSessionRow.principal_id == user_id
        )
    )


def all_users(db: Database) -> list[StaffUser]:
    with db.transaction() as session:
        return [_user(r) for r in session.scalars(select(StaffUserRow).order_by(StaffUserRow.id))]


def user(db: Database, user_id: int) -> StaffUser | None:
    """The signed-in staff user behind a session; None when unknown or deactivated."""
    with db.transaction() as session:
        row = session.get(StaffUserRow, user_id)
        return _user(row) if row is not None and row.active else None


def authenticate(
    db: Database, email: str, password: str, *, now: datetime | None = None
) -> Principal | None:
    """The staff user when the password is right; None otherwise (unknown, wrong, locked, inactive)."""
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        row = (
            session.scalars(
                select(StaffUserRow).where(StaffUserRow.email == email.strip().lower())
            ).first()
            if email
            else None
        )
        active = row if row is not None and row.active else None
        if active is None or not passwords.check_with_lockout(active, password, now):
            return None
        return Principal(STAFF, active.id)
