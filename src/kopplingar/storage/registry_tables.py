"""Tables of the registry and the connection domain, the operation log and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kopplingar.storage.base import Base


class BureauRow(Base):
    __tablename__ = "bureaus"
    org_number: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    digital_connect: Mapped[bool] = mapped_column(Boolean, default=True)
    digital_disconnect: Mapped[bool] = mapped_column(Boolean, default=True)


class CompanyRow(Base):
    __tablename__ = "companies"
    org_number: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    subscription_number: Mapped[str] = mapped_column(String(40), unique=True)
    database_id: Mapped[str] = mapped_column(String(40), unique=True)
    multi_company: Mapped[bool] = mapped_column(Boolean, default=False)


class PersonRow(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)


class RoleRow(Base):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("person_id", "org_number", "role"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    org_number: Mapped[str] = mapped_column(String(10), index=True)
    role: Mapped[str] = mapped_column(String(40))


class ConnectionRow(Base):
    """One row per bureau-company pair; an ended connection is reopened by a new connect."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("bureau_org_number", "company_org_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bureau_org_number: Mapped[str] = mapped_column(ForeignKey("bureaus.org_number"))
    company_org_number: Mapped[str] = mapped_column(ForeignKey("companies.org_number"), index=True)
    status: Mapped[str] = mapped_column(String(30))
    bureau_pays: Mapped[bool] = mapped_column(Boolean, default=False)
    route: Mapped[str] = mapped_column(String(20))
    connected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consultants: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)


class BillingRow(Base):
    """Who pays for a company's subscription, from which billing period on (YYYY-MM)."""

    __tablename__ = "billing"
    __table_args__ = (UniqueConstraint("company_org_number", "from_period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_org_number: Mapped[str] = mapped_column(ForeignKey("companies.org_number"), index=True)
    from_period: Mapped[str] = mapped_column(String(7))
    payer: Mapped[str] = mapped_column(String(20))
    bureau_org_number: Mapped[str | None] = mapped_column(String(10))


class ConsentRequestRow(Base):
    __tablename__ = "consent_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    bureau_org_number: Mapped[str] = mapped_column(ForeignKey("bureaus.org_number"), index=True)
    company_org_number: Mapped[str] = mapped_column(ForeignKey("companies.org_number"), index=True)
    requested_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed: Mapped[str | None] = mapped_column(String(20))
    accepted_by: Mapped[str | None] = mapped_column(String(320))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConsentLinkRow(Base):
    """One emailed link per client administrator; only the token's SHA-256 is kept."""

    __tablename__ = "consent_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("consent_requests.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    recipient_email: Mapped[str] = mapped_column(String(320))


class OperationRow(Base):
    """Applied operations by key: the unique key makes a repeated apply a no-op."""

    __tablename__ = "operations"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    bureau_org_number: Mapped[str] = mapped_column(String(10))
    company_org_number: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(320))
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    action: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(320))
    bureau_org_number: Mapped[str | None] = mapped_column(String(10), index=True)
    company_org_number: Mapped[str | None] = mapped_column(String(10), index=True)
    operation_key: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutgoingMailRow(Base):
    """The persistent outbox: written in the same transaction as the change that causes the mail."""

    __tablename__ = "outgoing_mail"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    purpose: Mapped[str] = mapped_column(String(60))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))


class PaperRequestRow(Base):
    """A prefilled form handed out: its ``form_id`` is in the printed QR code (HMAC-signed), so a
    returning scan is bound to the pair and kind it was made for, and can be used only once."""

    __tablename__ = "paper_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    bureau_org_number: Mapped[str] = mapped_column(ForeignKey("bureaus.org_number"))
    company_org_number: Mapped[str] = mapped_column(ForeignKey("companies.org_number"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(320))
    used_by_case: Mapped[int | None] = mapped_column(Integer)
