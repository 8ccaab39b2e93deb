"""Certificates: every certificate issued (one per credited course or checklist and
statement; a transcript anew whenever what it lists has changed), with its verification
code, the snapshot of what it certified and its revocation.

Revision ID: e5b2c8d1f3a4
Revises: d41c7a9e2b10
Create Date: 2026-12-01 21:29:42.318696

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'e5b2c8d1f3a4'
down_revision = 'd41c7a9e2b10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificates_issued',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.String(length=36), nullable=True),
    sa.Column('statement_ids', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('person_name', sa.String(length=200), nullable=False),
    sa.Column('staff_code', sa.String(length=40), nullable=False),
    sa.Column('unit_name', sa.String(length=300), nullable=False),
    sa.Column('activity_title', sa.String(length=300), nullable=True),
    sa.Column('activity_type', sa.String(length=20), nullable=True),
    sa.Column('periods', sa.Integer(), nullable=False),
    sa.Column('required', sa.Integer(), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('earned_on', sa.Date(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_certificates_issued_activity_id_activities')),
    sa.ForeignKeyConstraint(['issued_by'], ['accounts.id'], name=op.f('fk_certificates_issued_issued_by_accounts')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_certificates_issued_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates_issued')),
    sa.UniqueConstraint('code', name=op.f('uq_certificates_issued_code')),
    sa.UniqueConstraint('person_id', 'activity_id', 'statement_id', name=op.f('uq_certificates_issued_person_id_activity_id_statement_id'))
    )
    with op.batch_alter_table('certificates_issued', schema=None) as batch_op:
        batch_op.create_index('ix_certificates_issued_person_year', ['person_id', 'year'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_issued_statement_id'), ['statement_id'], unique=False)



def downgrade():
    with op.batch_alter_table('certificates_issued', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_issued_statement_id'))
        batch_op.drop_index('ix_certificates_issued_person_year')

    op.drop_table('certificates_issued')
