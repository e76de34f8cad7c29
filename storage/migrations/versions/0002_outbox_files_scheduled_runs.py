"""outbox rows can carry a file; scheduled job runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 07:00:00

sendDocument and sendPhoto rows keep the file's bytes beside the JSON payload (which names
the file and holds the caption), so a PNG chart or an XLSX sheet travels through the same
transaction and the same sending path as a text.

scheduled_runs records which slot of each scheduled job ran; its key (job, slot) lets one
process win when several tick at once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("file_content", sa.LargeBinary(), nullable=True))
    op.create_table(
        "scheduled_runs",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", "slot", name=op.f("pk_scheduled_runs")),
    )


def downgrade() -> None:
    op.drop_table("scheduled_runs")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("file_content")
