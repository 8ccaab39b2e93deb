"""Checklists: checklist versions with sections and items, mentor assignments, the
learner's own marks and the mentor's sign-offs (one per item), evidence, review requests.

Revision ID: 8a130d634141
Revises: 2f8fabf0df87
Create Date: 2026-11-23 16:04:39.484057

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '8a130d634141'
down_revision = '2f8fabf0df87'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checklists_checklists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('site_url', sa.String(length=300), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_checklists_checklists_activity_id_activities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists_checklists')),
    sa.UniqueConstraint('activity_id', name=op.f('uq_checklists_checklists_activity_id')),
    sa.UniqueConstraint('slug', name=op.f('uq_checklists_checklists_slug'))
    )
    op.create_table('checklists_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('field_code', sa.String(length=40), nullable=True),
    sa.Column('periods', sa.Integer(), nullable=False),
    sa.Column('required_positions', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('elective_positions', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists_checklists.id'], name=op.f('fk_checklists_versions_checklist_id_checklists_checklists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['field_code'], ['fields.code'], name=op.f('fk_checklists_versions_field_code_fields')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists_versions')),
    sa.UniqueConstraint('checklist_id', 'version', name=op.f('uq_checklists_versions_checklist_id_version'))
    )
    with op.batch_alter_table('checklists_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklists_versions_checklist_id'), ['checklist_id'], unique=False)

    op.create_table('checklists_mentor_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['accounts.id'], name=op.f('fk_checklists_mentor_assignments_assigned_by_id_accounts')),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists_checklists.id'], name=op.f('fk_checklists_mentor_assignments_checklist_id_checklists_checklists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentor_id'], ['people.id'], name=op.f('fk_checklists_mentor_assignments_mentor_id_people')),
    sa.ForeignKeyConstraint(['official_id'], ['people.id'], name=op.f('fk_checklists_mentor_assignments_official_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists_mentor_assignments'))
    )
    with op.batch_alter_table('checklists_mentor_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklists_mentor_assignments_mentor_id'), ['mentor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklists_mentor_assignments_official_id'), ['official_id'], unique=False)
        batch_op.create_index('ix_checklists_mentor_assignments_pair', ['mentor_id', 'official_id'], unique=False)

    op.create_table('checklists_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_statement_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists_checklists.id'], name=op.f('fk_checklists_progress_checklist_id_checklists_checklists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_checklists_progress_person_id_people')),
    sa.ForeignKeyConstraint(['version_id'], ['checklists_versions.id'], name=op.f('fk_checklists_progress_version_id_checklists_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists_progress')),
    sa.UniqueConstraint('person_id', 'checklist_id', name=op.f('uq_checklists_progress_person_id_checklist_id')),
    sa.UniqueConstraint('registration', name=op.f('uq_checklists_progress_registration'))
    )
    with op.batch_alter_table('checklists_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklists_progress_checklist_id'), ['checklist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklists_progress_person_id'), ['person_id'], unique=False)

    op.create_table('checklists_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['checklists_versions.id'], name=op.f('fk_checklists_sections_version_id_checklists_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists_sections')),
    sa.UniqueConstraint('version_id', 'key', name=op.f('uq_checklists_sections_version_id_key'))
    )
    with op.batch_alter_table('checklists_sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklists_sections_version_id'), ['version_id'], unique=False)

    op.create_table('checklists_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('evidence', sa.String(length=30), nullable=False),
    sa.Column('sign_off', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['section_id'], ['checklists_sections.id'], name=op.f('fk_checklists_items_section_id_checklists_sections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['checklists_versions.id'], name=op.f('fk_checklists_items_version_id_checklists_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists_items')),
    sa.UniqueConstraint('version_id', 'key', name=op.f('uq_checklists_items_version_id_key'))
    )
    with op.batch_alter_table('checklists_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklists_items_section_id'), ['section_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklists_items_version_id'), ['version_id'], unique=False)

    op.create_table('checklists_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('progress_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('case_number', sa.String(length=80), nullable=True),
    sa.Column('original_name', sa.String(length=200), nullable=True),
    sa.Column('stored_name', sa.String(length=80), nullable=True),
    sa.Column('content_type', sa.String(length=60), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['checklists_items.id'], name=op.f('fk_checklists_evidence_item_id_checklists_items')),
    sa.ForeignKeyConstraint(['progress_id'], ['checklists_progress.id'], name=op.f('fk_checklists_evidence_progress_id_checklists_progress'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['accounts.id'], name=op.f('fk_checklists_evidence_uploaded_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_checklists_evidence_stored_name'))
    )
    with op.batch_alter_table('checklists_evidence', schema=None) as batch_op:
        batch_op.create_index('ix_checklists_evidence_progress_item', ['progress_id', 'item_id'], unique=False)

    op.create_table('checklists_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('progress_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['checklists_items.id'], name=op.f('fk_checklists_marks_item_id_checklists_items')),
    sa.ForeignKeyConstraint(['progress_id'], ['checklists_progress.id'], name=op.f('fk_checklists_marks_progress_id_checklists_progress'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists_marks')),
    sa.UniqueConstraint('progress_id', 'item_id', name=op.f('uq_checklists_marks_progress_id_item_id'))
    )
    with op.batch_alter_table('checklists_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklists_marks_progress_id'), ['progress_id'], unique=False)

    op.create_table('checklists_returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('progress_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_checklists_returns_account_id_accounts')),
    sa.ForeignKeyConstraint(['item_id'], ['checklists_items.id'], name=op.f('fk_checklists_returns_item_id_checklists_items')),
    sa.ForeignKeyConstraint(['mentor_id'], ['people.id'], name=op.f('fk_checklists_returns_mentor_id_people')),
    sa.ForeignKeyConstraint(['progress_id'], ['checklists_progress.id'], name=op.f('fk_checklists_returns_progress_id_checklists_progress'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists_returns'))
    )
    with op.batch_alter_table('checklists_returns', schema=None) as batch_op:
        batch_op.create_index('ix_checklists_returns_progress_item', ['progress_id', 'item_id'], unique=False)

    op.create_table('checklists_review_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('progress_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['checklists_items.id'], name=op.f('fk_checklists_review_requests_item_id_checklists_items')),
    sa.ForeignKeyConstraint(['progress_id'], ['checklists_progress.id'], name=op.f('fk_checklists_review_requests_progress_id_checklists_progress'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['accounts.id'], name=op.f('fk_checklists_review_requests_requested_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists_review_requests'))
    )
    with op.batch_alter_table('checklists_review_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklists_review_requests_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index('ix_checklists_review_requests_progress_item', ['progress_id', 'item_id'], unique=False)

    op.create_table('checklists_revoked_signoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('progress_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('voided_statement_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['checklists_items.id'], name=op.f('fk_checklists_revoked_signoffs_item_id_checklists_items')),
    sa.ForeignKeyConstraint(['mentor_id'], ['people.id'], name=op.f('fk_checklists_revoked_signoffs_mentor_id_people')),
    sa.ForeignKeyConstraint(['progress_id'], ['checklists_progress.id'], name=op.f('fk_checklists_revoked_signoffs_progress_id_checklists_progress'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['accounts.id'], name=op.f('fk_checklists_revoked_signoffs_revoked_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists_revoked_signoffs'))
    )
    with op.batch_alter_table('checklists_revoked_signoffs', schema=None) as batch_op:
        batch_op.create_index('ix_checklists_revoked_signoffs_progress_item', ['progress_id', 'item_id'], unique=False)

    op.create_table('checklists_signoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('progress_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_checklists_signoffs_account_id_accounts')),
    sa.ForeignKeyConstraint(['assignment_id'], ['checklists_mentor_assignments.id'], name=op.f('fk_checklists_signoffs_assignment_id_checklists_mentor_assignments')),
    sa.ForeignKeyConstraint(['item_id'], ['checklists_items.id'], name=op.f('fk_checklists_signoffs_item_id_checklists_items')),
    sa.ForeignKeyConstraint(['mentor_id'], ['people.id'], name=op.f('fk_checklists_signoffs_mentor_id_people')),
    sa.ForeignKeyConstraint(['progress_id'], ['checklists_progress.id'], name=op.f('fk_checklists_signoffs_progress_id_checklists_progress'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists_signoffs')),
    sa.UniqueConstraint('progress_id', 'item_id', name=op.f('uq_checklists_signoffs_progress_id_item_id'))
    )
    with op.batch_alter_table('checklists_signoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklists_signoffs_mentor_id'), ['mentor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklists_signoffs_progress_id'), ['progress_id'], unique=False)



def downgrade():
    with op.batch_alter_table('checklists_signoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklists_signoffs_progress_id'))
        batch_op.drop_index(batch_op.f('ix_checklists_signoffs_mentor_id'))

    op.drop_table('checklists_signoffs')
    with op.batch_alter_table('checklists_revoked_signoffs', schema=None) as batch_op:
        batch_op.drop_index('ix_checklists_revoked_signoffs_progress_item')

    op.drop_table('checklists_revoked_signoffs')
    with op.batch_alter_table('checklists_review_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_checklists_review_requests_progress_item')
        batch_op.drop_index(batch_op.f('ix_checklists_review_requests_closed_at'))

    op.drop_table('checklists_review_requests')
    with op.batch_alter_table('checklists_returns', schema=None) as batch_op:
        batch_op.drop_index('ix_checklists_returns_progress_item')

    op.drop_table('checklists_returns')
    with op.batch_alter_table('checklists_marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklists_marks_progress_id'))

    op.drop_table('checklists_marks')
    with op.batch_alter_table('checklists_evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_checklists_evidence_progress_item')

    op.drop_table('checklists_evidence')
    with op.batch_alter_table('checklists_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklists_items_version_id'))
        batch_op.drop_index(batch_op.f('ix_checklists_items_section_id'))

    op.drop_table('checklists_items')
    with op.batch_alter_table('checklists_sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklists_sections_version_id'))

    op.drop_table('checklists_sections')
    with op.batch_alter_table('checklists_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklists_progress_person_id'))
        batch_op.drop_index(batch_op.f('ix_checklists_progress_checklist_id'))

    op.drop_table('checklists_progress')
    with op.batch_alter_table('checklists_mentor_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_checklists_mentor_assignments_pair')
        batch_op.drop_index(batch_op.f('ix_checklists_mentor_assignments_official_id'))
        batch_op.drop_index(batch_op.f('ix_checklists_mentor_assignments_mentor_id'))

    op.drop_table('checklists_mentor_assignments')
    with op.batch_alter_table('checklists_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklists_versions_checklist_id'))

    op.drop_table('checklists_versions')
    op.drop_table('checklists_checklists')
