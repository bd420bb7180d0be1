"""The digital consent flow: requests from the bureau, personal links to client administrators.

Opening a link only shows the request (mail scanners prefetch links); accepting is a separate
call (a POST on the web) and the first administrator to accept wins atomically: a conditional
UPDATE on the still-open, unexpired request, in the same transaction as the operation it applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from kopplingar.domain import policies
from kopplingar.domain.consent import (
    ConsentRequest,
    ConsentState,
    hash_token,
    new_token,
    token_matches,
)
from kopplingar.domain.errors import (
    AlreadyConnectedError,
    ConsentClosedError,
    ConsentExpiredError,
    DomainError,
    InvalidTokenError,
    NotAllowedError,
    NotConnectedError,
    NotFoundError,
)
from kopplingar.domain.model import Bureau, Company, OperationKind, Person, Role, Route
from kopplingar.domain.operations import AuditEvent, Evidence
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.notify import templates
from kopplingar.notify.outbox import queue_mail
from kopplingar.services.connections import AppliedOperation, apply_in_session
from kopplingar.storage.database import Database
from kopplingar.storage.registry_tables import ConsentLinkRow, ConsentRequestRow
from kopplingar.storage.repository import Repository, as_utc, consent_from_row


@dataclass(frozen=True)
class RequestSent:
    request_id: int
    kind: OperationKind
    bureau: str
    company: str
    company_name: str
    expires_at: datetime
    recipients: list[str]


@dataclass(frozen=True)
class ConsentView:
    request_id: int
    kind: OperationKind
    state: ConsentState
    bureau: str
    bureau_name: str
    company: str
    company_name: str
    requested_by: str
    created_at: datetime
    expires_at: datetime
    recipient: str
    accepted_by: str | None
    accepted_at: datetime | None


def consent_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/consent/{token}"


def find_company(repo: Repository, *, org: str | None, database_id: str | None) -> Company:
    if org:
        return repo.company(OrgNumber.parse(org))
    if database_id:
        return repo.company_by_database_id(database_id)
    raise NotAllowedError("ange klientens organisationsnummer eller databas-id")


def request_consent(
    db: Database,
    kind: OperationKind,
    *,
    bureau_org: OrgNumber,
    client_org: str | None = None,
    client_db_id: str | None = None,
    by_email: str,
    public_url: str,
    valid_days: int = 7,
    now: datetime | None = None,
) -> RequestSent:
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        repo = Repository(session)
        bureau = repo.bureau(bureau_org)
        company = find_company(repo, org=client_org, database_id=client_db_id)
        requester = repo.person_by_email(by_email)
        admins = check_request(
            session, kind, bureau=bureau, company=company, requester=requester, now=now
        )
        request = ConsentRequest.open(
            kind,
            bureau=bureau_org,
            company=company.org_number,
            requested_by=str(requester.email),
            now=now,
            valid_days=valid_days,
        )
        row = ConsentRequestRow(
            kind=kind.value,
            bureau_org_number=bureau_org.digits,
            company_org_number=company.org_number.digits,
            requested_by=request.requested_by,
            created_at=request.created_at,
            expires_at=request.expires_at,
        )
        session.add(row)
        session.flush()
        _send_links(
            session,
            row,
            bureau=bureau,
            company=company,
            admins=admins,
            public_url=public_url,
            now=now,
        )
        repo.record(
            _event(
                f"{kind.value}_requested",
                request.requested_by,
                bureau_org,
                company.org_number,
                row.id,
            ),
            now,
        )
        return RequestSent(
            request_id=row.id,
            kind=kind,
            bureau=str(bureau_org),
            company=str(company.org_number),
            company_name=company.name,
            expires_at=request.expires_at,
            recipients=[str(a.email) for a in admins],
        )


def check_request(
    session: Session,
    kind: OperationKind,
    *,
    bureau: Bureau,
    company: Company,
    requester: Person,
    now: datetime,
) -> list[Person]:
    """Every rule for starting a request; returns the client administrators who get a link."""
    repo = Repository(session)
    admins = _link_recipients(repo, company)
    current = repo.connection(bureau.org_number, company.org_number)
    if kind is OperationKind.CONNECT:
        policies.check_connect_request(bureau, company, requester)
        if current is not None and current.is_open:
            raise AlreadyConnectedError(f"{company.name} är redan kopplad till {bureau.name}")
        _require_recipients(company, admins)
    else:
        policies.check_disconnect_request(bureau, company, requester, admins)
        if current is None or not current.is_open:
            raise NotConnectedError(f"{company.name} är inte kopplad till {bureau.name}")
    _refuse_if_open(session, bureau.org_number, company, kind, now)
    return admins


def _link_recipients(repo: Repository, company: Company) -> list[Person]:
    """The client's systemadministratörer who have an e-mail address: each gets a link."""
    admins = repo.people_with_role(company.org_number, Role.SYSTEM_ADMINISTRATOR)
    return [p for p in admins if p.email]


def _require_recipients(company: Company, admins: list[Person]) -> None:
    if not admins:
        raise NotAllowedError(
            f"{company.name} har ingen systemadministratör med e-postadress. {policies.FORM_HINT}"
        )


def _send_links(
    session: Session,
    row: ConsentRequestRow,
    *,
    bureau: Bureau,
    company: Company,
    admins: list[Person],
    public_url: str,
    now: datetime,
) -> None:
    """One personal link (a new token) and one mail per client administrator."""
    kind = OperationKind(row.kind)
    expires_at = as_utc(row.expires_at)
    assert expires_at is not None
    for admin in admins:
        token = new_token()
        session.add(
            ConsentLinkRow(
                request_id=row.id,
                token_hash=hash_token(token),
                recipient_email=str(admin.email),
            )
        )
        subject, body = templates.consent_request(
            kind,
            bureau_name=bureau.name,
            company_name=company.name,
            link=consent_link(public_url, token),
            expires_at=expires_at,
            recipient_name=admin.name,
        )
        queue_mail(
            session,
            to=[str(admin.email)],
            subject=subject,
            body=body,
            purpose=f"{kind.value}_request",
            now=now,
        )


def _refuse_if_open(
    session: Session, bureau: OrgNumber, company: Company, kind: OperationKind, now: datetime
) -> None:
    open_row = session.scalars(
        select(ConsentRequestRow).where(
            ConsentRequestRow.bureau_org_number == bureau.digits,
            ConsentRequestRow.company_org_number == company.org_number.digits,
            ConsentRequestRow.kind == kind.value,
            ConsentRequestRow.closed.is_(None),
            ConsentRequestRow.expires_at > now,
        )
    ).first()
    if open_row is not None:
        request = consent_from_row(open_row)
        raise NotAllowedError(
            f"en förfrågan till {company.name} väntar redan på godkännande "
            f"(skickad {request.created_at:%Y-%m-%d}, gäller till {request.expires_at:%Y-%m-%d %H:%M})"
        )


def _event(
    action: str, actor: str, bureau: OrgNumber, company: OrgNumber, request_id: int
) -> AuditEvent:
    return AuditEvent(
        action=action,
        actor=actor,
        bureau=str(bureau),
        company=str(company),
        data={"request_id": request_id},
    )


def _link(session: Session, token: str) -> ConsentLinkRow:
    if not token or len(token) > 200:
        raise InvalidTokenError("länken är ogiltig")
    row = session.scalars(
        select(ConsentLinkRow).where(ConsentLinkRow.token_hash == hash_token(token))
    ).first()
    if row is None or not token_matches(token, row.token_hash):
        raise InvalidTokenError("länken är ogiltig eller okänd")
    return row


def show_consent(db: Database, token: str, *, now: datetime | None = None) -> ConsentView:
    """What a link shows; changes nothing (safe for mail scanners' prefetch)."""
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        link = _link(session, token)
        return _view(Repository(session), link, now)


def _view(repo: Repository, link: ConsentLinkRow, now: datetime) -> ConsentView:
    request = consent_from_row(repo.consent_row(link.request_id))
    bureau, company = repo.bureau(request.bureau), repo.company(request.company)
    assert request.id is not None
    return ConsentView(
        request_id=request.id,
        kind=request.kind,
        state=request.state_at(now),
        bureau=str(bureau.org_number),
        bureau_name=bureau.name,
        company=str(company.org_number),
        company_name=company.name,
        requested_by=request.requested_by,
        created_at=request.created_at,
        expires_at=request.expires_at,
        recipient=link.recipient_email,
        accepted_by=request.accepted_by,
        accepted_at=request.accepted_at,
    )


def accept_consent(
    db: Database, token: str, *, by_email: str | None = None, now: datetime | None = None
) -> tuple[ConsentView, AppliedOperation]:
    """Accept: the first administrator wins; others get ConsentClosedError naming who accepted."""
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        repo = Repository(session)
        link = _link(session, token)
        email = (by_email or link.recipient_email).strip().lower()
        if email != link.recipient_email.lower():
            raise NotAllowedError(
                f"länken skickades till {link.recipient_email}, inte till {email}"
            )
        request = consent_from_row(repo.consent_row(link.request_id))
        company = repo.company(request.company)
        policies.check_may_accept(company, repo.person_by_email(email))
        request.accept(email, now)  # raises with the reason when expired or already closed
        won = session.execute(
            update(ConsentRequestRow)
            .where(
                ConsentRequestRow.id == link.request_id,
                ConsentRequestRow.closed.is_(None),
                ConsentRequestRow.expires_at > now,
            )
            .values(closed=ConsentState.ACCEPTED.value, accepted_by=email, accepted_at=now)
        )
        if getattr(won, "rowcount", 0) != 1:
            session.expire_all()
            latest = consent_from_row(repo.consent_row(link.request_id))
            if latest.state_at(now) is ConsentState.EXPIRED:
                raise ConsentExpiredError("länken har gått ut")
            raise ConsentClosedError(
                f"förfrågan är redan godkänd av {latest.accepted_by}"
                + (f" den {latest.accepted_at:%Y-%m-%d %H:%M}" if latest.accepted_at else "")
            )
        applied = apply_in_session(
            session,
            kind=request.kind,
            bureau_org=request.bureau,
            company_org=request.company,
            evidence=Evidence(Route.DIGITAL, f"consent:{request.id}", accepted_by=email),
            actor=email,
            operation_key=f"consent:{request.id}",
            now=now,
            notify_to=[request.requested_by],
            skip_consent_id=request.id,
        )
        session.expire_all()
        return _view(repo, link, now), applied


@dataclass(frozen=True)
class RequestPreview:
    """A company found by the bureau's search, and why the digital request is closed (if it is)."""

    company: Company
    blocked: DomainError | None


def preview_request(
    db: Database,
    kind: OperationKind,
    *,
    bureau_org: OrgNumber,
    client_org: str | None = None,
    client_db_id: str | None = None,
    by_email: str,
    now: datetime | None = None,
) -> RequestPreview:
    """What "Skicka förfrågan" would do, without doing it (raises NotFoundError if no company)."""
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        repo = Repository(session)
        bureau = repo.bureau(bureau_org)
        company = find_company(repo, org=client_org, database_id=client_db_id)
        requester = repo.person_by_email(by_email)
        try:
            check_request(
                session, kind, bureau=bureau, company=company, requester=requester, now=now
            )
        except DomainError as error:
            return RequestPreview(company, error)
        return RequestPreview(company, None)


@dataclass(frozen=True)
class SentRequest:
    """A request as the bureau sees it in "Skickade förfrågningar"."""

    request_id: int
    kind: OperationKind
    state: ConsentState
    company: str
    company_name: str
    requested_by: str
    created_at: datetime
    expires_at: datetime
    accepted_by: str | None
    accepted_by_name: str | None
    accepted_at: datetime | None
    recipients: list[str]


def requests_of_bureau(
    db: Database, bureau_org: OrgNumber, *, now: datetime | None = None, limit: int = 200
) -> list[SentRequest]:
    """The bureau's requests, newest first, each with its state now."""
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        repo = Repository(session)
        rows = session.scalars(
            select(ConsentRequestRow)
            .where(ConsentRequestRow.bureau_org_number == bureau_org.digits)
            .order_by(ConsentRequestRow.created_at.desc(), ConsentRequestRow.id.desc())
            .limit(limit)
        ).all()
        result = []
        for row in rows:
            request = consent_from_row(row)
            company = repo.company(request.company)
            recipients = session.scalars(
                select(ConsentLinkRow.recipient_email)
                .where(ConsentLinkRow.request_id == row.id)
                .order_by(ConsentLinkRow.recipient_email)
            ).all()
            accepted_name = None
            if request.accepted_by:
                try:
                    accepted_name = repo.person_by_email(request.accepted_by).name
                except NotFoundError:
                    accepted_name = request.accepted_by
            result.append(
                SentRequest(
                    request_id=row.id,
                    kind=request.kind,
                    state=request.state_at(now),
                    company=str(company.org_number),
                    company_name=company.name,
                    requested_by=request.requested_by,
                    created_at=request.created_at,
                    expires_at=request.expires_at,
                    accepted_by=request.accepted_by,
                    accepted_by_name=accepted_name,
                    accepted_at=request.accepted_at,
                    recipients=list(recipients),
                )
            )
        return result


def resend_request(
    db: Database,
    request_id: int,
    *,
    bureau_org: OrgNumber,
    by_email: str,
    public_url: str,
    now: datetime | None = None,
) -> RequestSent:
    """Mail a still-pending request again with new links; the old links stop working.

    Tokens are stored hashed, so the old ones cannot be re-sent; the request keeps its expiry (a
    resend never extends the 7 days). The same rules as for a new request apply to the sender.
    """
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        repo = Repository(session)
        row = session.get(ConsentRequestRow, request_id, with_for_update=True)
        if row is None or row.bureau_org_number != bureau_org.digits:
            raise NotFoundError(f"ingen förfrågan {request_id} från byrån")
        request = consent_from_row(row)
        state = request.state_at(now)
        if state is not ConsentState.PENDING:
            raise ConsentClosedError(
                "förfrågan kan inte skickas igen: den är "
                + {"accepted": "redan godkänd", "expired": "utgången", "cancelled": "återkallad"}[
                    state.value
                ]
            )
        bureau, company = repo.bureau(bureau_org), repo.company(request.company)
        requester = repo.person_by_email(by_email)
        if request.kind is OperationKind.CONNECT:
            policies.check_connect_request(bureau, company, requester)
        admins = _link_recipients(repo, company)
        if request.kind is OperationKind.DISCONNECT:
            policies.check_disconnect_request(bureau, company, requester, admins)
        _require_recipients(company, admins)
        session.execute(delete(ConsentLinkRow).where(ConsentLinkRow.request_id == row.id))
        _send_links(
            session,
            row,
            bureau=bureau,
            company=company,
            admins=admins,
            public_url=public_url,
            now=now,
        )
        repo.record(
            _event(
                f"{request.kind.value}_request_resent",
                str(requester.email),
                bureau_org,
                company.org_number,
                row.id,
            ),
            now,
        )
        return RequestSent(
            request_id=row.id,
            kind=request.kind,
            bureau=str(bureau_org),
            company=str(company.org_number),
            company_name=company.name,
            expires_at=request.expires_at,
            recipients=[str(a.email) for a in admins],
        )
