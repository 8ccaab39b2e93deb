"""Courses: courses and their versions, lessons, enrolments (each on the version the
learner started) and lesson progress.

Revision ID: 2f8fabf0df87
Revises: cf5cb8b664ae
Create Date: 2026-11-23 16:04:34.804921

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '2f8fabf0df87'
down_revision = 'cf5cb8b664ae'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('courses_courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('site_url', sa.String(length=300), nullable=False),
    sa.Column('quiz_iri', sa.String(length=500), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_courses_courses_activity_id_activities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_courses')),
    sa.UniqueConstraint('activity_id', name=op.f('uq_courses_courses_activity_id')),
    sa.UniqueConstraint('slug', name=op.f('uq_courses_courses_slug'))
    )
    with op.batch_alter_table('courses_courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_courses_quiz_iri'), ['quiz_iri'], unique=False)

    op.create_table('courses_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('field_code', sa.String(length=40), nullable=True),
    sa.Column('periods', sa.Integer(), nullable=False),
    sa.Column('sample', sa.Boolean(), nullable=False),
    sa.Column('required_positions', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('elective_positions', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses_courses.id'], name=op.f('fk_courses_versions_course_id_courses_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['field_code'], ['fields.code'], name=op.f('fk_courses_versions_field_code_fields')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_versions')),
    sa.UniqueConstraint('course_id', 'version', name=op.f('uq_courses_versions_course_id_version'))
    )
    with op.batch_alter_table('courses_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_versions_course_id'), ['course_id'], unique=False)

    op.create_table('courses_enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completion_statement_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses_courses.id'], name=op.f('fk_courses_enrolments_course_id_courses_courses')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_courses_enrolments_person_id_people')),
    sa.ForeignKeyConstraint(['version_id'], ['courses_versions.id'], name=op.f('fk_courses_enrolments_version_id_courses_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_enrolments')),
    sa.UniqueConstraint('person_id', 'course_id', 'number', name=op.f('uq_courses_enrolments_person_id_course_id_number')),
    sa.UniqueConstraint('registration', name=op.f('uq_courses_enrolments_registration'))
    )
    with op.batch_alter_table('courses_enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_enrolments_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_enrolments_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_enrolments_version_id'), ['version_id'], unique=False)

    op.create_table('courses_lessons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['courses_versions.id'], name=op.f('fk_courses_lessons_version_id_courses_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_lessons')),
    sa.UniqueConstraint('version_id', 'position', name=op.f('uq_courses_lessons_version_id_position'))
    )
    with op.batch_alter_table('courses_lessons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_lessons_version_id'), ['version_id'], unique=False)

    op.create_table('courses_lesson_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('statement_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['enrolment_id'], ['courses_enrolments.id'], name=op.f('fk_courses_lesson_progress_enrolment_id_courses_enrolments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lesson_id'], ['courses_lessons.id'], name=op.f('fk_courses_lesson_progress_lesson_id_courses_lessons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_lesson_progress')),
    sa.UniqueConstraint('enrolment_id', 'lesson_id', name=op.f('uq_courses_lesson_progress_enrolment_id_lesson_id'))
    )
    with op.batch_alter_table('courses_lesson_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_lesson_progress_enrolment_id'), ['enrolment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_lesson_progress_lesson_id'), ['lesson_id'], unique=False)



def downgrade():
    with op.batch_alter_table('courses_lesson_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_lesson_progress_lesson_id'))
        batch_op.drop_index(batch_op.f('ix_courses_lesson_progress_enrolment_id'))

    op.drop_table('courses_lesson_progress')
    with op.batch_alter_table('courses_lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_lessons_version_id'))

    op.drop_table('courses_lessons')
    with op.batch_alter_table('courses_enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_enrolments_version_id'))
        batch_op.drop_index(batch_op.f('ix_courses_enrolments_person_id'))
        batch_op.drop_index(batch_op.f('ix_courses_enrolments_course_id'))

    op.drop_table('courses_enrolments')
    with op.batch_alter_table('courses_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_versions_course_id'))

    op.drop_table('courses_versions')
    with op.batch_alter_table('courses_courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_courses_quiz_iri'))

    op.drop_table('courses_courses')
