"""mail intake and cases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 01:02:53.331339
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("mail_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("form_kind", sa.String(length=20), nullable=True),
        sa.Column("form_id", sa.String(length=100), nullable=True),
        sa.Column("operation", sa.String(length=20), nullable=True),
        sa.Column("bureau_org_number", sa.String(length=10), nullable=True),
        sa.Column("company_org_number", sa.String(length=10), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("reading", sa.JSON(), nullable=True),
        sa.Column("corrections", sa.JSON(), nullable=True),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.Column("reply_to", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["cases.id"], name=op.f("fk_cases_parent_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_form_id"), ["form_id"], unique=False)
        batch_op.create_index("ix_cases_mail_id", ["mail_id"], unique=False)
        batch_op.create_index("ix_cases_sha256", ["sha256"], unique=False)
        batch_op.create_index("ix_cases_status_lease", ["status", "lease_until"], unique=False)

    op.create_table(
        "mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("raw_key", sa.String(length=200), nullable=True),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("sender", sa.String(length=998), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("reason_detail", sa.Text(), nullable=True),
        sa.Column("outcome_folder", sa.String(length=200), nullable=True),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extract_attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mails")),
        sa.UniqueConstraint("sha256", name="uq_mails_sha256"),
    )
    with op.batch_alter_table("mails", schema=None) as batch_op:
        batch_op.create_index("ix_mails_message_id", ["message_id"], unique=False)
        batch_op.create_index("ix_mails_state", ["state"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "mail_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("part_path", sa.String(length=500), nullable=False),
        sa.Column("original_filename", sa.Text(), nullable=True),
        sa.Column("declared_type", sa.String(length=255), nullable=True),
        sa.Column("sniffed_type", sa.String(length=50), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mail_id"], ["mails.id"], name=op.f("fk_mail_documents_mail_id_mails")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_documents")),
        sa.UniqueConstraint("mail_id", "ordinal", name="uq_mail_documents_ordinal"),
    )
    with op.batch_alter_table("mail_documents", schema=None) as batch_op:
        batch_op.create_index("ix_mail_documents_sha256", ["sha256"], unique=False)

    op.create_table(
        "mail_sightings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        sa.Column("move_token", sa.String(length=64), nullable=True),
        sa.Column("move_claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moved_to", sa.String(length=200), nullable=True),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mail_id"], ["mails.id"], name=op.f("fk_mail_sightings_mail_id_mails")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_sightings")),
        sa.UniqueConstraint(
            "source", "uidvalidity", "uid", "sha256", name="uq_mail_sightings_location"
        ),
    )
    with op.batch_alter_table("mail_sightings", schema=None) as batch_op:
        batch_op.create_index("ix_mail_sightings_mail_id", ["mail_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_sightings", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_sightings_mail_id")

    op.drop_table("mail_sightings")
    with op.batch_alter_table("mail_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_documents_sha256")

    op.drop_table("mail_documents")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_case_id"))

    op.drop_table("case_events")
    with op.batch_alter_table("mails", schema=None) as batch_op:
        batch_op.drop_index("ix_mails_state")
        batch_op.drop_index("ix_mails_message_id")

    op.drop_table("mails")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_status_lease")
        batch_op.drop_index("ix_cases_sha256")
        batch_op.drop_index("ix_cases_mail_id")
        batch_op.drop_index(batch_op.f("ix_cases_form_id"))

    op.drop_table("cases")
