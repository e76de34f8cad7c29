"""moderation: holds, decisions, bans, supporters, cards; the append-only audit log

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 12:00:00

Opinions record why they were held, who decided and when, and where a duplicate went.
Residents can be banned (soft: held for review; hard: ignored after one notice). Moderation
buttons carry only the id of a card row. The audit log refuses UPDATE and DELETE by
trigger, on SQLite and on PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
)
_PG_TRIGGERS = (
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
    """CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
)


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): on SQLite a copied table would lose AUTOINCREMENT,
    # and ids of erased residents and opinions must never come back.
    op.add_column(
        "opinions", sa.Column("hold_reasons", sa.JSON(), nullable=False, server_default="[]")
    )
    op.add_column("opinions", sa.Column("repeat_key", sa.String(length=64), nullable=True))
    op.add_column("opinions", sa.Column("moderated_by", sa.BigInteger(), nullable=True))
    op.add_column("opinions", sa.Column("moderated_at", TS, nullable=True))
    op.add_column("opinions", sa.Column("moderation_reason", sa.Text(), nullable=True))
    op.add_column("opinions", sa.Column("merged_into", sa.Integer(), nullable=True))
    op.create_index("ix_opinions_repeat_key", "opinions", ["repeat_key"])
    op.create_index(
        "ix_opinions_subdistrict_status_visible_at",
        "opinions",
        ["subdistrict", "status", "visible_at"],
    )
    op.create_index("ix_opinions_status_id", "opinions", ["status", "id"])
    op.add_column("residents", sa.Column("ban", sa.String(length=8), nullable=True))
    op.add_column("residents", sa.Column("ban_reason", sa.Text(), nullable=True))
    op.add_column("residents", sa.Column("banned_by", sa.BigInteger(), nullable=True))
    op.add_column("residents", sa.Column("banned_at", TS, nullable=True))
    op.add_column(
        "residents",
        sa.Column("ban_notified", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "opinion_supporters",
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("since", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["opinion_id"],
            ["opinions.id"],
            name=op.f("fk_opinion_supporters_opinion_id_opinions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_opinion_supporters_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("opinion_id", "resident_id", name=op.f("pk_opinion_supporters")),
    )
    op.create_table(
        "moderation_cards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("admin_id", sa.BigInteger(), nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=True),
        sa.Column("page", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["opinion_id"],
            ["opinions.id"],
            name=op.f("fk_moderation_cards_opinion_id_opinions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_cards")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=32), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_audit_log_actor_id"), "audit_log", ["actor_id"])
    op.create_index(op.f("ix_audit_log_opinion_id"), "audit_log", ["opinion_id"])
    op.create_index(op.f("ix_audit_log_subject"), "audit_log", ["subject"])
    op.create_table(
        "admin_alerts",
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("first_at", TS, nullable=False),
        sa.Column("last_at", TS, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("signature", name=op.f("pk_admin_alerts")),
    )
    dialect = op.get_bind().dialect.name
    for statement in _PG_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table("admin_alerts")
    op.drop_table("audit_log")  # its triggers go with it
    op.drop_table("moderation_cards")
    op.drop_table("opinion_supporters")
    with op.batch_alter_table("residents") as batch_op:
        for column in ("ban_notified", "banned_at", "banned_by", "ban_reason", "ban"):
            batch_op.drop_column(column)
    with op.batch_alter_table("opinions") as batch_op:
        batch_op.drop_index("ix_opinions_repeat_key")
        batch_op.drop_index("ix_opinions_subdistrict_status_visible_at")
        batch_op.drop_index("ix_opinions_status_id")
        for column in (
            "merged_into",
            "moderation_reason",
            "moderated_at",
            "moderated_by",
            "repeat_key",
            "hold_reasons",
        ):
            batch_op.drop_column(column)
