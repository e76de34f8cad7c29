"""staff (admins, members), invites, visibility events, digests

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 11:00:00

Roles live in the database, keyed by Telegram user id. An opinion becomes visible to members
at one recorded moment (a visibility event); the same transaction queues it for every member
following its sub-district (digest_items), and exactly one digest takes each queued item.
Existing opinions count as visible from their submission.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("opinions", sa.Column("visible_at", TS, nullable=True))
    op.execute("UPDATE opinions SET visible_at = created_at")
    op.create_table(
        "staff",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("frequency", sa.String(length=8), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("digest_time", sa.String(length=5), nullable=False),
        sa.Column("empty_note", sa.Boolean(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("awaiting", sa.String(length=16), nullable=True),
        sa.Column("schedule_from", TS, nullable=False),
        sa.Column("next_due", TS, nullable=True),
        sa.Column("last_slot", TS, nullable=True),
        sa.Column("unreachable_at", TS, nullable=True),
        sa.Column("menu_version", sa.String(length=16), nullable=True),
        sa.Column("granted_by", sa.BigInteger(), nullable=True),
        sa.Column("granted_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("telegram_id", name=op.f("pk_staff")),
    )
    op.create_index(op.f("ix_staff_next_due"), "staff", ["next_due"])
    op.create_table(
        "staff_subdistricts",
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("subdistrict", sa.String(length=16), nullable=False),
        sa.Column("since", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["telegram_id"],
            ["staff.telegram_id"],
            name=op.f("fk_staff_subdistricts_telegram_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("telegram_id", "subdistrict", name=op.f("pk_staff_subdistricts")),
    )
    op.create_table(
        "invites",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("subdistricts", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_invites")),
    )
    op.create_table(
        "visibility_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subdistrict", sa.String(length=16), nullable=True),
        sa.Column("from_subdistrict", sa.String(length=16), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["opinion_id"],
            ["opinions.id"],
            name=op.f("fk_visibility_events_opinion_id_opinions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visibility_events")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_visibility_events_opinion_id"), "visibility_events", ["opinion_id"])
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("slot", TS, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period_start", TS, nullable=False),
        sa.Column("period_end", TS, nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("queued_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["staff.telegram_id"],
            name=op.f("fk_digests_member_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digests")),
        sa.UniqueConstraint("member_id", "slot", name=op.f("uq_digests_member_id_slot")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "digest_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.Column("moved_from", sa.String(length=16), nullable=True),
        sa.Column("queued_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["staff.telegram_id"],
            name=op.f("fk_digest_items_member_id_staff"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opinion_id"],
            ["opinions.id"],
            name=op.f("fk_digest_items_opinion_id_opinions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["visibility_events.id"],
            name=op.f("fk_digest_items_event_id_visibility_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["digest_id"],
            ["digests.id"],
            name=op.f("fk_digest_items_digest_id_digests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_items")),
        sa.UniqueConstraint(
            "member_id", "opinion_id", name=op.f("uq_digest_items_member_id_opinion_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_digest_items_event_id"), "digest_items", ["event_id"])
    op.create_index(op.f("ix_digest_items_digest_id"), "digest_items", ["digest_id"])
    op.create_index(
        "ix_digest_items_member_id_digest_id", "digest_items", ["member_id", "digest_id"]
    )


def downgrade() -> None:
    op.drop_table("digest_items")
    op.drop_table("digests")
    op.drop_index(op.f("ix_visibility_events_opinion_id"), table_name="visibility_events")
    op.drop_table("visibility_events")
    op.drop_table("invites")
    op.drop_table("staff_subdistricts")
    op.drop_index(op.f("ix_staff_next_due"), table_name="staff")
    op.drop_table("staff")
    with op.batch_alter_table("opinions") as batch_op:
        batch_op.drop_column("visible_at")
