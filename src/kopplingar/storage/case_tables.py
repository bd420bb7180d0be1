"""Cases: one per form found (or per mail or file without a form), with their history.

A case is claimed by a worker under a lease; ``attempt`` is the fencing token: a worker may only
finish a case while the attempt it claimed is still the case's attempt, so the late result of a
worker whose lease ran out is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kopplingar.storage.base import Base


class CaseRow(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_lease", "status", "lease_until"),
        Index("ix_cases_sha256", "sha256"),
        Index("ix_cases_mail_id", "mail_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))  # received, applied, rejected, review
    source: Mapped[str] = mapped_column(String(10))  # mail or file
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    mail_id: Mapped[int | None] = mapped_column(Integer)
    document_id: Mapped[int | None] = mapped_column(Integer)
    storage_key: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    page: Mapped[int | None] = mapped_column(Integer)
    form_kind: Mapped[str | None] = mapped_column(String(20))
    form_id: Mapped[str | None] = mapped_column(String(100), index=True)
    operation: Mapped[str | None] = mapped_column(String(20))
    bureau_org_number: Mapped[str | None] = mapped_column(String(10))
    company_org_number: Mapped[str | None] = mapped_column(String(10))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reading: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    corrections: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message_id: Mapped[str | None] = mapped_column(Text)
    reply_to: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CaseEventRow(Base):
    """The case's history: every transition, with who or what made it."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
