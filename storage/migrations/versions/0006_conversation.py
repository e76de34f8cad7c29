"""conversation: one live question per draft, the card's topic, voice, forwarded texts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 08:00:00

A draft numbers its questions (`question_seq`, carried in every button) and remembers the
outbox row of the live one (`question_outbox_id`), so a superseded keyboard can be removed
and a press on an old one changes nothing. The confirmation card shows a topic before
submission (`category`). Voice messages are kept as Telegram file ids on drafts and
opinions. A forwarded text is marked until the resident says whose problem it is. A draft
offered to join an open opinion of the same matter ("我也是") is not offered again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): a copied SQLite table would lose AUTOINCREMENT.
    op.add_column(
        "drafts", sa.Column("question_seq", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("drafts", sa.Column("question_outbox_id", sa.Integer(), nullable=True))
    op.add_column("drafts", sa.Column("category", sa.String(length=32), nullable=True))
    op.add_column(
        "drafts", sa.Column("voice_file_ids", sa.JSON(), nullable=False, server_default="[]")
    )
    op.add_column(
        "drafts",
        sa.Column("forwarded", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "drafts",
        sa.Column("support_offered", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "opinions", sa.Column("voice_file_ids", sa.JSON(), nullable=False, server_default="[]")
    )


def downgrade() -> None:
    op.drop_column("opinions", "voice_file_ids")
    for column in (
        "support_offered",
        "forwarded",
        "voice_file_ids",
        "category",
        "question_outbox_id",
        "question_seq",
    ):
        op.drop_column("drafts", column)
