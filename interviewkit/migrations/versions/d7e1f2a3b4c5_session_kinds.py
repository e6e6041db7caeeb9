"""Loop sessions say which kinds of question they take (a coding session: hands-on)

Revision ID: d7e1f2a3b4c5
Revises: c4a5b7a24e71
Create Date: 2026-12-02 22:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d7e1f2a3b4c5"
down_revision = "c4a5b7a24e71"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("loop_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kinds", sa.JSON(), nullable=False, server_default="[]"))


def downgrade():
    with op.batch_alter_table("loop_sessions", schema=None) as batch_op:
        batch_op.drop_column("kinds")
