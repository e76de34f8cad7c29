"""closing the loop: members' follow-up, ratings and reopening, consultations, exports

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 12:40:00

Opinions gain their follow-up (`progress`, the first response, resolution, rating and
reopenings, how often the author was asked to rate) and the consultation they belong to;
`opinion_actions` keeps each step of the history. Members' follow-up buttons point to
`action_cards`; a digest keeps its clusters for "act on the whole cluster". Consultations,
the invitations sent for them and residents' opt-in; export jobs built off the update path.
A staff member's typed answer may now name a card (`awaiting` is longer).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_REUSE = {"sqlite_autoincrement": True}


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("subdistricts", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("step", sa.String(length=16), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("summary_queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("outcome_by", sa.BigInteger(), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome_queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
        **NO_REUSE,
    )
    op.create_index(
        "ix_consultations_status_deadline", "consultations", ["status", "deadline"], unique=False
    )
    op.create_table(
        "consultation_invitations",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome_queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_consultation_invitations_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_consultation_invitations_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "consultation_id", "resident_id", name=op.f("pk_consultation_invitations")
        ),
    )
    op.create_index(
        op.f("ix_consultation_invitations_resident_id"),
        "consultation_invitations",
        ["resident_id"],
        unique=False,
    )
    op.create_table(
        "opinion_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("subdistrict", sa.String(length=16), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["opinion_id"],
            ["opinions.id"],
            name=op.f("fk_opinion_actions_opinion_id_opinions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinion_actions")),
        **NO_REUSE,
    )
    op.create_index(
        op.f("ix_opinion_actions_opinion_id"), "opinion_actions", ["opinion_id"], unique=False
    )
    op.create_index("ix_opinion_actions_kind_at", "opinion_actions", ["kind", "at"], unique=False)
    op.create_table(
        "action_cards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("opinion_ids", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_cards")),
        **NO_REUSE,
    )
    op.create_index(op.f("ix_action_cards_member_id"), "action_cards", ["member_id"], unique=False)
    op.create_table(
        "export_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("requester_id", sa.BigInteger(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress_outbox_id", sa.Integer(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=40), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_jobs")),
        **NO_REUSE,
    )
    op.create_index("ix_export_jobs_status_id", "export_jobs", ["status", "id"], unique=False)

    # Plain ADD COLUMN (no batch copy): a copied SQLite table would lose AUTOINCREMENT.
    op.add_column("residents", sa.Column("consult_opt_in", sa.Boolean(), nullable=True))
    op.add_column(
        "residents", sa.Column("consult_asked_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("residents", sa.Column("home_subdistrict", sa.String(length=16), nullable=True))
    op.create_index(
        op.f("ix_residents_home_subdistrict"), "residents", ["home_subdistrict"], unique=False
    )
    op.add_column("drafts", sa.Column("consultation_id", sa.Integer(), nullable=True))
    op.add_column(
        "drafts",
        sa.Column("consultation_offered", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("opinions", sa.Column("progress", sa.String(length=16), nullable=True))
    for column in ("first_response_at", "resolved_at", "rated_at", "rating_asked_at"):
        op.add_column("opinions", sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    op.add_column("opinions", sa.Column("rating", sa.SmallInteger(), nullable=True))
    op.add_column(
        "opinions", sa.Column("reopen_count", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "opinions",
        sa.Column("rating_asks", sa.SmallInteger(), nullable=False, server_default="0"),
    )
    op.add_column(
        "opinions",
        sa.Column("consultation_id", sa.Integer(), nullable=True),
    )
    op.create_index(
        op.f("ix_opinions_consultation_id"), "opinions", ["consultation_id"], unique=False
    )
    op.create_index(
        "ix_opinions_progress_resolved_at", "opinions", ["progress", "resolved_at"], unique=False
    )
    op.add_column("digests", sa.Column("clusters", sa.JSON(), nullable=False, server_default="[]"))
    if op.get_bind().dialect.name != "sqlite":  # SQLite does not hold VARCHAR to its length
        op.alter_column(
            "staff",
            "awaiting",
            existing_type=sa.String(length=16),
            type_=sa.String(length=64),
            existing_nullable=True,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "staff",
            "awaiting",
            existing_type=sa.String(length=64),
            type_=sa.String(length=16),
            existing_nullable=True,
        )
    op.drop_column("digests", "clusters")
    op.drop_index("ix_opinions_progress_resolved_at", table_name="opinions")
    op.drop_index(op.f("ix_opinions_consultation_id"), table_name="opinions")
    for column in (
        "consultation_id",
        "rating_asks",
        "reopen_count",
        "rating",
        "rating_asked_at",
        "rated_at",
        "resolved_at",
        "first_response_at",
        "progress",
    ):
        op.drop_column("opinions", column)
    op.drop_column("drafts", "consultation_offered")
    op.drop_column("drafts", "consultation_id")
    op.drop_index(op.f("ix_residents_home_subdistrict"), table_name="residents")
    for column in ("home_subdistrict", "consult_asked_at", "consult_opt_in"):
        op.drop_column("residents", column)
    op.drop_table("export_jobs")
    op.drop_table("action_cards")
    op.drop_table("opinion_actions")
    op.drop_table("consultation_invitations")
    op.drop_table("consultations")
