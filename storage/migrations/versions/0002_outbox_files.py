"""outbox rows can carry a file

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 07:00:00

sendDocument and sendPhoto rows keep the file's bytes beside the JSON payload (which names
the file and holds the caption), so a PNG chart or an XLSX sheet travels through the same
transaction and the same sending path as a text.
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


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("file_content")
