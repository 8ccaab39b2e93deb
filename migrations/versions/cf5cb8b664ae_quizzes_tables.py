"""Quizzes: quiz versions with their question banks, and attempts (the drawn questions,
answers and results; the attempt id is the xAPI registration).

Revision ID: cf5cb8b664ae
Revises: 45bab9db53b5
Create Date: 2026-11-23 16:04:29.731651

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'cf5cb8b664ae'
down_revision = '45bab9db53b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('quizzes_quiz',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('course_version', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('questions_per_attempt', sa.Integer(), nullable=False),
    sa.Column('pass_mark', sa.Float(), nullable=False),
    sa.Column('attempts_allowed', sa.Integer(), nullable=False),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_quizzes_quiz_activity_id_activities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quizzes_quiz')),
    sa.UniqueConstraint('slug', 'version', name=op.f('uq_quizzes_quiz_slug_version'))
    )
    with op.batch_alter_table('quizzes_quiz', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quizzes_quiz_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quizzes_quiz_slug'), ['slug'], unique=False)

    op.create_table('quizzes_attempt',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('items', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('results', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('correct_count', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_quizzes_attempt_person_id_people')),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes_quiz.id'], name=op.f('fk_quizzes_attempt_quiz_id_quizzes_quiz')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quizzes_attempt')),
    sa.UniqueConstraint('person_id', 'slug', 'number', name=op.f('uq_quizzes_attempt_person_id_slug_number'))
    )
    with op.batch_alter_table('quizzes_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_quizzes_attempt_person_slug', ['person_id', 'slug'], unique=False)
        batch_op.create_index(batch_op.f('ix_quizzes_attempt_quiz_id'), ['quiz_id'], unique=False)

    op.create_table('quizzes_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('answer', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes_quiz.id'], name=op.f('fk_quizzes_question_quiz_id_quizzes_quiz'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quizzes_question')),
    sa.UniqueConstraint('quiz_id', 'key', name=op.f('uq_quizzes_question_quiz_id_key'))
    )
    with op.batch_alter_table('quizzes_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quizzes_question_quiz_id'), ['quiz_id'], unique=False)



def downgrade():
    with op.batch_alter_table('quizzes_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quizzes_question_quiz_id'))

    op.drop_table('quizzes_question')
    with op.batch_alter_table('quizzes_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quizzes_attempt_quiz_id'))
        batch_op.drop_index('ix_quizzes_attempt_person_slug')

    op.drop_table('quizzes_attempt')
    with op.batch_alter_table('quizzes_quiz', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quizzes_quiz_slug'))
        batch_op.drop_index(batch_op.f('ix_quizzes_quiz_activity_id'))

    op.drop_table('quizzes_quiz')
