"""Credits: the ledger of credited periods per person, activity and year, the
statements that did not count and why, and HR's requirement rules per year.

Revision ID: 0cecb7c9c3b7
Revises: 8a130d634141
Create Date: 2026-11-23 17:19:45.280448

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0cecb7c9c3b7'
down_revision = '8a130d634141'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credits_ledger',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.String(length=36), nullable=False),
    sa.Column('earned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('periods', sa.Integer(), nullable=False),
    sa.Column('field_code', sa.String(length=40), nullable=True),
    sa.Column('activity_type', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('person_id', 'year', 'activity_id', name=op.f('pk_credits_ledger'))
    )
    op.create_table('credits_not_counted',
    sa.Column('statement_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('activity_iri', sa.String(length=500), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('statement_id', name=op.f('pk_credits_not_counted'))
    )
    with op.batch_alter_table('credits_not_counted', schema=None) as batch_op:
        batch_op.create_index('ix_credits_not_counted_person_year', ['person_id', 'year', 'activity_iri'], unique=False)

    op.create_table('credits_version_pins',
    sa.Column('statement_id', sa.String(length=36), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('statement_id', name=op.f('pk_credits_version_pins'))
    )
    op.create_table('credits_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('periods', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=True),
    sa.Column('position_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('is_leader', sa.Boolean(), nullable=True),
    sa.Column('pro_rata', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], name=op.f('fk_credits_rules_position_id_positions')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_credits_rules_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credits_rules')),
    sa.UniqueConstraint('year', 'name', name=op.f('uq_credits_rules_year_name'))
    )
    with op.batch_alter_table('credits_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credits_rules_year'), ['year'], unique=False)

    op.create_table('credits_rule_caps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=True),
    sa.Column('max_periods', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['credits_rules.id'], name=op.f('fk_credits_rule_caps_rule_id_credits_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credits_rule_caps')),
    sa.UniqueConstraint('rule_id', 'kind', 'value', name=op.f('uq_credits_rule_caps_rule_id_kind_value'))
    )
    with op.batch_alter_table('credits_rule_caps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credits_rule_caps_rule_id'), ['rule_id'], unique=False)



def downgrade():
    with op.batch_alter_table('credits_rule_caps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credits_rule_caps_rule_id'))

    op.drop_table('credits_rule_caps')
    with op.batch_alter_table('credits_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credits_rules_year'))

    op.drop_table('credits_rules')
    op.drop_table('credits_version_pins')
    with op.batch_alter_table('credits_not_counted', schema=None) as batch_op:
        batch_op.drop_index('ix_credits_not_counted_person_year')

    op.drop_table('credits_not_counted')
    op.drop_table('credits_ledger')
