"""Credits: an index on the ledger by year and person, covering the columns the reports
sum, so a province's year is read with an index-only scan on PostgreSQL.

Revision ID: e7d1a2b3c4f5
Revises: d4c9f5a6b723
Create Date: 2026-12-01 22:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e7d1a2b3c4f5'
down_revision = 'd4c9f5a6b723'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('credits_ledger', schema=None) as batch_op:
        batch_op.create_index(
            'ix_credits_ledger_year_person',
            ['year', 'person_id'],
            unique=False,
            postgresql_include=['periods', 'field_code', 'activity_type'],
        )


def downgrade():
    with op.batch_alter_table('credits_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_credits_ledger_year_person')
