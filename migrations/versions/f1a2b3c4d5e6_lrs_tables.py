"""LRS: clients, documents, attachments and forwarding state; on the core's statement
store, the columns and tables the xAPI query filters need (the object's agent, the
StatementRef target, every agent and activity a statement names), and an index on
(stored, id) for paging, which replaces the one on stored alone.

Revision ID: f1a2b3c4d5e6
Revises: e7d1a2b3c4f5
Create Date: 2026-12-02 01:40:00

"""
import json

import sqlalchemy as sa
from alembic import op

import lms_core.db

# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d5e6'
down_revision = 'e7d1a2b3c4f5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('object_agent_key', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('statement_ref', sa.String(length=36), nullable=True))
        batch_op.drop_index(batch_op.f('ix_statements_stored'))
        batch_op.create_index('ix_statements_stored_id', ['stored', 'id'], unique=False)
        batch_op.create_index('ix_statements_object_agent_stored', ['object_agent_key', 'stored'], unique=False)
        batch_op.create_index(batch_op.f('ix_statements_statement_ref'), ['statement_ref'], unique=False)

    op.create_table(
        'statement_agents',
        sa.Column('statement_id', sa.String(length=36), nullable=False),
        sa.Column('agent_key', sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], name=op.f('fk_statement_agents_statement_id_statements'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('statement_id', 'agent_key', name=op.f('pk_statement_agents')),
    )
    op.create_index('ix_statement_agents_agent_key', 'statement_agents', ['agent_key', 'statement_id'], unique=False)
    op.create_table(
        'statement_activities',
        sa.Column('statement_id', sa.String(length=36), nullable=False),
        sa.Column('activity_iri', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], name=op.f('fk_statement_activities_statement_id_statements'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('statement_id', 'activity_iri', name=op.f('pk_statement_activities')),
    )
    op.create_index('ix_statement_activities_activity_iri', 'statement_activities', ['activity_iri', 'statement_id'], unique=False)
    _index_stored_statements()

    op.create_table(
        'lrs_clients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('can_read', sa.Boolean(), nullable=False),
        sa.Column('can_write', sa.Boolean(), nullable=False),
        sa.Column('credit_trusted', sa.Boolean(), nullable=False),
        sa.Column('scope', sa.String(length=10), nullable=False),
        sa.Column('actor_key', sa.String(length=400), nullable=True),
        sa.Column('activity_iri', sa.String(length=500), nullable=True),
        sa.Column('registration', sa.String(length=36), nullable=True),
        sa.Column('expires_at', lms_core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', lms_core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column('created_at', lms_core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_lrs_clients_created_by_id_accounts'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lrs_clients')),
        sa.UniqueConstraint('key', name=op.f('uq_lrs_clients_key')),
    )
    op.create_table(
        'lrs_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('scope_key', sa.String(length=40), nullable=False),
        sa.Column('activity_iri', sa.String(length=500), nullable=False),
        sa.Column('agent_key', sa.String(length=400), nullable=False),
        sa.Column('registration', sa.String(length=36), nullable=False),
        sa.Column('document_id', sa.String(length=500), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('content_type', sa.String(length=200), nullable=False),
        sa.Column('etag', sa.String(length=64), nullable=False),
        sa.Column('updated_at', lms_core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lrs_documents')),
        sa.UniqueConstraint('kind', 'scope_key', 'activity_iri', 'agent_key', 'registration', 'document_id', name='uq_lrs_documents_address'),
    )
    op.create_index('ix_lrs_documents_lookup', 'lrs_documents', ['kind', 'scope_key', 'activity_iri', 'agent_key', 'updated_at'], unique=False)
    op.create_table(
        'lrs_attachments',
        sa.Column('sha2', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=200), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', lms_core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('sha2', name=op.f('pk_lrs_attachments')),
    )
    op.create_table(
        'lrs_forward_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('watermark', lms_core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', lms_core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('last_sent_at', lms_core.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lrs_forward_state')),
    )
    op.create_table(
        'lrs_forward_log',
        sa.Column('statement_id', sa.String(length=36), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('handled_at', lms_core.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], name=op.f('fk_lrs_forward_log_statement_id_statements'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('statement_id', name=op.f('pk_lrs_forward_log')),
    )
    op.create_index('ix_lrs_forward_log_status', 'lrs_forward_log', ['status', 'handled_at'], unique=False)


def _index_stored_statements():
    """Fill the new columns and tables for the statements stored so far, with the same
    functions the store uses for new ones."""
    from lms_core.statements import activities_named, agents_named, object_agent_key_of

    connection = op.get_bind()
    statements = sa.table('statements', sa.column('id'), sa.column('object_agent_key'), sa.column('statement_ref'))
    agents = sa.table('statement_agents', sa.column('statement_id'), sa.column('agent_key'))
    activities = sa.table('statement_activities', sa.column('statement_id'), sa.column('activity_iri'))
    for statement_id, document in connection.execute(sa.text('SELECT id, statement FROM statements')).fetchall():
        statement = json.loads(document) if isinstance(document, str) else document
        obj = statement.get('object') or {}
        connection.execute(
            statements.update()
            .where(statements.c.id == statement_id)
            .values(
                object_agent_key=object_agent_key_of(obj),
                statement_ref=obj.get('id') if obj.get('objectType') == 'StatementRef' else None,
            )
        )
        named_agents = [{'statement_id': statement_id, 'agent_key': key} for key in agents_named(statement)]
        named_activities = [{'statement_id': statement_id, 'activity_iri': iri} for iri in activities_named(statement)]
        if named_agents:
            connection.execute(agents.insert(), named_agents)
        if named_activities:
            connection.execute(activities.insert(), named_activities)


def downgrade():
    op.drop_index('ix_lrs_forward_log_status', table_name='lrs_forward_log')
    op.drop_table('lrs_forward_log')
    op.drop_table('lrs_forward_state')
    op.drop_table('lrs_attachments')
    op.drop_index('ix_lrs_documents_lookup', table_name='lrs_documents')
    op.drop_table('lrs_documents')
    op.drop_table('lrs_clients')
    op.drop_index('ix_statement_activities_activity_iri', table_name='statement_activities')
    op.drop_table('statement_activities')
    op.drop_index('ix_statement_agents_agent_key', table_name='statement_agents')
    op.drop_table('statement_agents')
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statements_statement_ref'))
        batch_op.drop_index('ix_statements_object_agent_stored')
        batch_op.drop_index('ix_statements_stored_id')
        batch_op.create_index(batch_op.f('ix_statements_stored'), ['stored'], unique=False)
        batch_op.drop_column('statement_ref')
        batch_op.drop_column('object_agent_key')
