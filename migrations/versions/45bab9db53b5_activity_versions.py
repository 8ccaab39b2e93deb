"""Activity versions: what each catalog activity was (title, field, periods) at each
version, so earned credit keeps the figures of the version it was earned on.

Revision ID: 45bab9db53b5
Revises: 855757709419
Create Date: 2026-11-23 15:21:24.656290

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '45bab9db53b5'
down_revision = '855757709419'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activity_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('field_code', sa.String(length=40), nullable=True),
    sa.Column('periods', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_versions_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['field_code'], ['fields.code'], name=op.f('fk_activity_versions_field_code_fields')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_versions')),
    sa.UniqueConstraint('activity_id', 'version', name=op.f('uq_activity_versions_activity_id_version'))
    )
    with op.batch_alter_table('activity_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_versions_activity_id'), ['activity_id'], unique=False)



def downgrade():
    with op.batch_alter_table('activity_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_versions_activity_id'))

    op.drop_table('activity_versions')
