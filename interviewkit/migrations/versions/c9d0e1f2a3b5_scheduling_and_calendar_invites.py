"""Scheduling and calendar invites: session times, zones, meeting links and invite ids;
each user's display zone, email preferences and calendar feed secret

Revision ID: c9d0e1f2a3b5
Revises: b7c8d9e0f1a3
Create Date: 2026-12-05 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c9d0e1f2a3b5"
down_revision = "b7c8d9e0f1a3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("loop_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("timezone", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("duration_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("meeting_url", sa.String(length=2000), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("invite_uid", sa.String(length=80), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("invite_sequence", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("timezone", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("email_invites", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("email_reminders", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("calendar_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_users_calendar_token_hash", ["calendar_token_hash"])


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_calendar_token_hash", type_="unique")
        batch_op.drop_column("calendar_token_hash")
        batch_op.drop_column("email_reminders")
        batch_op.drop_column("email_invites")
        batch_op.drop_column("timezone")
    with op.batch_alter_table("loop_sessions", schema=None) as batch_op:
        batch_op.drop_column("invite_sequence")
        batch_op.drop_column("invite_uid")
        batch_op.drop_column("meeting_url")
        batch_op.drop_column("duration_minutes")
        batch_op.drop_column("timezone")
