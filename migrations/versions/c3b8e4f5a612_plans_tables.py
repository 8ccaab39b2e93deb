"""Plans: the yearly training plan of a unit (plans_plans) with its targets of four
kinds (plans_lines: share, count by programme, classes by field, budget) and the actual
figures HR enters, nominations (plans_nominations) and degree training records
(plans_degrees) each naming the plan line they implement, with the cost, the service
commitment and HR's exception to the reimbursement.

Revision ID: c3b8e4f5a612
Revises: b2a7d3e4f501
Create Date: 2026-12-01 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3b8e4f5a612'
down_revision = 'b2a7d3e4f501'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plans_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('decision_number', sa.String(length=100), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('budget_vnd', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by'], ['accounts.id'], name=op.f('fk_plans_plans_approved_by_accounts')),
    sa.ForeignKeyConstraint(['created_by'], ['accounts.id'], name=op.f('fk_plans_plans_created_by_accounts')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_plans_plans_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans_plans')),
    sa.UniqueConstraint('unit_id', 'year', name=op.f('uq_plans_plans_unit_id_year'))
    )
    with op.batch_alter_table('plans_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_plans_year'), ['year'], unique=False)

    op.create_table('plans_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('measure', sa.String(length=20), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=True),
    sa.Column('unit_kind', sa.String(length=30), nullable=True),
    sa.Column('is_leader', sa.Boolean(), nullable=True),
    sa.Column('programme', sa.String(length=40), nullable=True),
    sa.Column('funding', sa.String(length=20), nullable=True),
    sa.Column('field_code', sa.String(length=40), nullable=True),
    sa.Column('class_size', sa.Integer(), nullable=True),
    sa.Column('planned_vnd', sa.BigInteger(), nullable=True),
    sa.Column('actual_count', sa.Integer(), nullable=True),
    sa.Column('actual_classes', sa.Integer(), nullable=True),
    sa.Column('actual_people', sa.Integer(), nullable=True),
    sa.Column('spent_vnd', sa.BigInteger(), nullable=True),
    sa.Column('actual_note', sa.Text(), nullable=False),
    sa.Column('actual_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('actual_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actual_by'], ['accounts.id'], name=op.f('fk_plans_lines_actual_by_accounts')),
    sa.ForeignKeyConstraint(['field_code'], ['fields.code'], name=op.f('fk_plans_lines_field_code_fields')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans_plans.id'], name=op.f('fk_plans_lines_plan_id_plans_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans_lines'))
    )
    with op.batch_alter_table('plans_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_lines_plan_id'), ['plan_id'], unique=False)

    op.create_table('plans_degrees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=40), nullable=False),
    sa.Column('institution', sa.String(length=300), nullable=False),
    sa.Column('field_of_study', sa.String(length=300), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('duration_months', sa.Integer(), nullable=False),
    sa.Column('funding', sa.String(length=20), nullable=False),
    sa.Column('cost_vnd', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('served_months', sa.Integer(), nullable=True),
    sa.Column('decision_number', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('exception_kind', sa.String(length=20), nullable=True),
    sa.Column('exception_amount_vnd', sa.BigInteger(), nullable=True),
    sa.Column('exception_reason', sa.Text(), nullable=False),
    sa.Column('exception_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('exception_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['accounts.id'], name=op.f('fk_plans_degrees_created_by_accounts')),
    sa.ForeignKeyConstraint(['exception_by'], ['accounts.id'], name=op.f('fk_plans_degrees_exception_by_accounts')),
    sa.ForeignKeyConstraint(['line_id'], ['plans_lines.id'], name=op.f('fk_plans_degrees_line_id_plans_lines')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_plans_degrees_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans_degrees'))
    )
    with op.batch_alter_table('plans_degrees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_degrees_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plans_degrees_person_id'), ['person_id'], unique=False)

    op.create_table('plans_nominations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('institution', sa.String(length=300), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('decision_number', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['accounts.id'], name=op.f('fk_plans_nominations_created_by_accounts')),
    sa.ForeignKeyConstraint(['line_id'], ['plans_lines.id'], name=op.f('fk_plans_nominations_line_id_plans_lines')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_plans_nominations_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans_nominations'))
    )
    with op.batch_alter_table('plans_nominations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_nominations_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plans_nominations_person_id'), ['person_id'], unique=False)


def downgrade():
    with op.batch_alter_table('plans_nominations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_nominations_person_id'))
        batch_op.drop_index(batch_op.f('ix_plans_nominations_line_id'))

    op.drop_table('plans_nominations')
    with op.batch_alter_table('plans_degrees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_degrees_person_id'))
        batch_op.drop_index(batch_op.f('ix_plans_degrees_line_id'))

    op.drop_table('plans_degrees')
    with op.batch_alter_table('plans_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_lines_plan_id'))

    op.drop_table('plans_lines')
    with op.batch_alter_table('plans_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_plans_year'))

    op.drop_table('plans_plans')
