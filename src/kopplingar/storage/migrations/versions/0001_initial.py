"""initial schema: registry, connections, consent, operations, audit, outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-24 00:54:00.519680
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("bureau_org_number", sa.String(length=10), nullable=True),
        sa.Column("company_org_number", sa.String(length=10), nullable=True),
        sa.Column("operation_key", sa.String(length=200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_events_bureau_org_number"), ["bureau_org_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_events_company_org_number"), ["company_org_number"], unique=False
        )

    op.create_table(
        "bureaus",
        sa.Column("org_number", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("digital_connect", sa.Boolean(), nullable=False),
        sa.Column("digital_disconnect", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("org_number", name=op.f("pk_bureaus")),
    )
    op.create_table(
        "companies",
        sa.Column("org_number", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("subscription_number", sa.String(length=40), nullable=False),
        sa.Column("database_id", sa.String(length=40), nullable=False),
        sa.Column("multi_company", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("org_number", name=op.f("pk_companies")),
        sa.UniqueConstraint("database_id", name=op.f("uq_companies_database_id")),
        sa.UniqueConstraint("subscription_number", name=op.f("uq_companies_subscription_number")),
    )
    op.create_table(
        "operations",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("bureau_org_number", sa.String(length=10), nullable=False),
        sa.Column("company_org_number", sa.String(length=10), nullable=False),
        sa.Column("route", sa.String(length=20), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_operations")),
    )
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mail")),
    )
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outgoing_mail_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outgoing_mail_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("email", name=op.f("uq_people_email")),
    )
    op.create_table(
        "billing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_org_number", sa.String(length=10), nullable=False),
        sa.Column("from_period", sa.String(length=7), nullable=False),
        sa.Column("payer", sa.String(length=20), nullable=False),
        sa.Column("bureau_org_number", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_org_number"],
            ["companies.org_number"],
            name=op.f("fk_billing_company_org_number_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing")),
        sa.UniqueConstraint(
            "company_org_number", "from_period", name=op.f("uq_billing_company_org_number")
        ),
    )
    with op.batch_alter_table("billing", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_company_org_number"), ["company_org_number"], unique=False
        )

    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bureau_org_number", sa.String(length=10), nullable=False),
        sa.Column("company_org_number", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("bureau_pays", sa.Boolean(), nullable=False),
        sa.Column("route", sa.String(length=20), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consultants", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bureau_org_number"],
            ["bureaus.org_number"],
            name=op.f("fk_connections_bureau_org_number_bureaus"),
        ),
        sa.ForeignKeyConstraint(
            ["company_org_number"],
            ["companies.org_number"],
            name=op.f("fk_connections_company_org_number_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint(
            "bureau_org_number", "company_org_number", name=op.f("uq_connections_bureau_org_number")
        ),
    )
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connections_company_org_number"), ["company_org_number"], unique=False
        )

    op.create_table(
        "consent_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("bureau_org_number", sa.String(length=10), nullable=False),
        sa.Column("company_org_number", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed", sa.String(length=20), nullable=True),
        sa.Column("accepted_by", sa.String(length=320), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["bureau_org_number"],
            ["bureaus.org_number"],
            name=op.f("fk_consent_requests_bureau_org_number_bureaus"),
        ),
        sa.ForeignKeyConstraint(
            ["company_org_number"],
            ["companies.org_number"],
            name=op.f("fk_consent_requests_company_org_number_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_requests")),
    )
    with op.batch_alter_table("consent_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_requests_bureau_org_number"), ["bureau_org_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consent_requests_company_org_number"),
            ["company_org_number"],
            unique=False,
        )

    op.create_table(
        "roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("org_number", sa.String(length=10), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_roles_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint("person_id", "org_number", "role", name=op.f("uq_roles_person_id")),
    )
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roles_org_number"), ["org_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_roles_person_id"), ["person_id"], unique=False)

    op.create_table(
        "consent_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("recipient_email", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["consent_requests.id"],
            name=op.f("fk_consent_links_request_id_consent_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_consent_links_token_hash")),
    )
    with op.batch_alter_table("consent_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_links_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("consent_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_links_request_id"))

    op.drop_table("consent_links")
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roles_person_id"))
        batch_op.drop_index(batch_op.f("ix_roles_org_number"))

    op.drop_table("roles")
    with op.batch_alter_table("consent_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_requests_company_org_number"))
        batch_op.drop_index(batch_op.f("ix_consent_requests_bureau_org_number"))

    op.drop_table("consent_requests")
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connections_company_org_number"))

    op.drop_table("connections")
    with op.batch_alter_table("billing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_company_org_number"))

    op.drop_table("billing")
    op.drop_table("people")
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outgoing_mail_sent_at"))
        batch_op.drop_index(batch_op.f("ix_outgoing_mail_created_at"))

    op.drop_table("outgoing_mail")
    op.drop_table("operations")
    op.drop_table("companies")
    op.drop_table("bureaus")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_company_org_number"))
        batch_op.drop_index(batch_op.f("ix_audit_events_bureau_org_number"))
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))

    op.drop_table("audit_events")
