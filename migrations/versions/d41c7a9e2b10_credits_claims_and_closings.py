"""Credits: external training claims (with evidence, HR's decision, the attended
statement of an approved claim, the duplicate flag), closed years per unit with the
totals kept at closing, and the corrections made to a closed year afterwards.

Revision ID: d41c7a9e2b10
Revises: 0cecb7c9c3b7
Create Date: 2026-12-01 21:24:00.582207

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd41c7a9e2b10'
down_revision = '0cecb7c9c3b7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credits_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('organiser', sa.String(length=300), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('periods', sa.Integer(), nullable=False),
    sa.Column('field_code', sa.String(length=40), nullable=True),
    sa.Column('title_key', sa.String(length=300), nullable=False),
    sa.Column('evidence_name', sa.String(length=60), nullable=True),
    sa.Column('evidence_type', sa.String(length=40), nullable=True),
    sa.Column('evidence_size', sa.Integer(), nullable=True),
    sa.Column('evidence_filename', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('statement_id', sa.String(length=36), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_credits_claims_activity_id_activities')),
    sa.ForeignKeyConstraint(['decided_by'], ['accounts.id'], name=op.f('fk_credits_claims_decided_by_accounts')),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['credits_claims.id'], name=op.f('fk_credits_claims_duplicate_of_id_credits_claims')),
    sa.ForeignKeyConstraint(['field_code'], ['fields.code'], name=op.f('fk_credits_claims_field_code_fields')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_credits_claims_person_id_people')),
    sa.ForeignKeyConstraint(['submitted_by'], ['accounts.id'], name=op.f('fk_credits_claims_submitted_by_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credits_claims'))
    )
    with op.batch_alter_table('credits_claims', schema=None) as batch_op:
        batch_op.create_index('ix_credits_claims_person_status', ['person_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_credits_claims_statement_id'), ['statement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credits_claims_title_key'), ['title_key'], unique=False)

    op.create_table('credits_year_closings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['closed_by'], ['accounts.id'], name=op.f('fk_credits_year_closings_closed_by_accounts')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_credits_year_closings_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credits_year_closings')),
    sa.UniqueConstraint('unit_id', 'year', name=op.f('uq_credits_year_closings_unit_id_year'))
    )
    with op.batch_alter_table('credits_year_closings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credits_year_closings_year'), ['year'], unique=False)

    op.create_table('credits_closing_totals',
    sa.Column('closing_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('required', sa.Integer(), nullable=False),
    sa.Column('credited', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['closing_id'], ['credits_year_closings.id'], name=op.f('fk_credits_closing_totals_closing_id_credits_year_closings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('closing_id', 'person_id', name=op.f('pk_credits_closing_totals'))
    )
    op.create_table('credits_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('closing_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.String(length=36), nullable=True),
    sa.Column('periods_before', sa.Integer(), nullable=False),
    sa.Column('periods_after', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_credits_corrections_account_id_accounts')),
    sa.ForeignKeyConstraint(['closing_id'], ['credits_year_closings.id'], name=op.f('fk_credits_corrections_closing_id_credits_year_closings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credits_corrections'))
    )
    with op.batch_alter_table('credits_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credits_corrections_closing_id'), ['closing_id'], unique=False)
        batch_op.create_index('ix_credits_corrections_person_year', ['person_id', 'year'], unique=False)



def downgrade():
    with op.batch_alter_table('credits_corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_credits_corrections_person_year')
        batch_op.drop_index(batch_op.f('ix_credits_corrections_closing_id'))

    op.drop_table('credits_corrections')
    op.drop_table('credits_closing_totals')
    with op.batch_alter_table('credits_year_closings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credits_year_closings_year'))

    op.drop_table('credits_year_closings')
    with op.batch_alter_table('credits_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credits_claims_title_key'))
        batch_op.drop_index(batch_op.f('ix_credits_claims_statement_id'))
        batch_op.drop_index('ix_credits_claims_person_status')

    op.drop_table('credits_claims')
