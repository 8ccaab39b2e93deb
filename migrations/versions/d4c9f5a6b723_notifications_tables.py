"""Notifications: the message log (one row per reminder key, ever: the unique key makes
every reminder idempotent, and it is the in-app inbox), the e-mail outbox with its
retry state, and each account's preferences (digests muted).

Revision ID: d4c9f5a6b723
Revises: c3b8e4f5a612
Create Date: 2026-12-01 21:54:43.796199

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4c9f5a6b723'
down_revision = 'c3b8e4f5a612'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notifications_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_notifications_messages_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications_messages')),
    sa.UniqueConstraint('key', name=op.f('uq_notifications_messages_key'))
    )
    with op.batch_alter_table('notifications_messages', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_messages_account_created', ['account_id', 'created_at'], unique=False)

    op.create_table('notifications_preferences',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('digests_muted', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_notifications_preferences_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_notifications_preferences'))
    )
    op.create_table('notifications_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['notifications_messages.id'], name=op.f('fk_notifications_outbox_message_id_notifications_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications_outbox')),
    sa.UniqueConstraint('message_id', name=op.f('uq_notifications_outbox_message_id'))
    )
    with op.batch_alter_table('notifications_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_outbox_status_next', ['status', 'next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('notifications_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_outbox_status_next')

    op.drop_table('notifications_outbox')
    op.drop_table('notifications_preferences')
    with op.batch_alter_table('notifications_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_messages_account_created')

    op.drop_table('notifications_messages')
