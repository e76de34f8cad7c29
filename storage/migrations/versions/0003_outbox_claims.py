"""outbox: claims, final states, priority, Telegram's message id

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 07:10:00

Senders claim a row just before its request goes out (status sending, claimed_by,
claimed_at), so several processes never send one row twice and a crash repeats at most what
was in flight. Rows are no longer deleted when delivered: they end sent (with Telegram's
message id), failed or uncertain. Replies (priority 0) go ahead of bulk sending (1).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.SmallInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("telegram_message_id", sa.BigInteger(), nullable=True))
        batch_op.drop_index("ix_outbox_status_id")
        batch_op.create_index("ix_outbox_status_priority_id", ["status", "priority", "id"])
        batch_op.create_index("ix_outbox_chat_id_status_id", ["chat_id", "status", "id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_chat_id_status_id")
        batch_op.drop_index("ix_outbox_status_priority_id")
        batch_op.create_index("ix_outbox_status_id", ["status", "id"])
        for column in ("telegram_message_id", "sent_at", "claimed_at", "claimed_by", "priority"):
            batch_op.drop_column(column)
