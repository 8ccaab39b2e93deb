"""HR: people imports run as background jobs (hr_import_jobs): the uploaded file until
the import is done, the status and progress every app process reads, the summary and
the errors by row and column.

Revision ID: b2a7d3e4f501
Revises: e5b2c8d1f3a4
Create Date: 2026-12-01 21:57:54.094359

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'b2a7d3e4f501'
down_revision = 'e5b2c8d1f3a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hr_import_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('file_format', sa.String(length=10), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('digest', sa.String(length=16), nullable=False),
    sa.Column('deactivate_missing', sa.Boolean(), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('phase', sa.String(length=20), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('errors', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_hr_import_jobs_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_import_jobs'))
    )
    with op.batch_alter_table('hr_import_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_hr_import_jobs_account_created', ['account_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('hr_import_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_hr_import_jobs_account_created')

    op.drop_table('hr_import_jobs')
