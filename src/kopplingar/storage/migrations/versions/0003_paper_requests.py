"""paper requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 01:22:18.381120
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("bureau_org_number", sa.String(length=10), nullable=False),
        sa.Column("company_org_number", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("used_by_case", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bureau_org_number"],
            ["bureaus.org_number"],
            name=op.f("fk_paper_requests_bureau_org_number_bureaus"),
        ),
        sa.ForeignKeyConstraint(
            ["company_org_number"],
            ["companies.org_number"],
            name=op.f("fk_paper_requests_company_org_number_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_requests")),
        sa.UniqueConstraint("form_id", name=op.f("uq_paper_requests_form_id")),
    )


def downgrade() -> None:
    op.drop_table("paper_requests")
