"""Candidate data retention: when a candidate's personal data was deleted

Revision ID: d2e3f4a5b6c7
Revises: c9d0e1f2a3b5
Create Date: 2026-12-08 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d2e3f4a5b6c7"
down_revision = "c9d0e1f2a3b5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
