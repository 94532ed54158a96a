"""Initial tables

Instruments, respondents and their encrypted contacts, responses, answers, answer choices,
processed inbound events, the outbox and referrals.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 14:46:23.504779

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('instruments',
    sa.Column('instrument_id', sa.String(length=128), nullable=False),
    sa.Column('version', sa.String(length=128), nullable=False),
    sa.Column('content_hash', sa.String(length=128), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('instrument_id', 'version', name=op.f('pk_instruments'))
    )
    op.create_table('processed_events',
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'key', name=op.f('pk_processed_events'))
    )
    op.create_table('respondents',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_respondents'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('respondent_id', sa.String(length=128), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.String(length=255), nullable=True),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error', sa.LargeBinary(), nullable=True),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondents.id'], name=op.f('fk_outbox_respondent_id_respondents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('channel', 'key', name=op.f('uq_outbox_channel_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_channel_status_not_before'), ['channel', 'status', 'not_before'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_respondent_id'), ['respondent_id'], unique=False)

    op.create_table('respondent_contacts',
    sa.Column('respondent_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('address', sa.LargeBinary(), nullable=True),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondents.id'], name=op.f('fk_respondent_contacts_respondent_id_respondents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('respondent_id', 'channel', name=op.f('pk_respondent_contacts'))
    )
    op.create_table('responses',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('instrument_id', sa.String(length=128), nullable=False),
    sa.Column('instrument_version', sa.String(length=128), nullable=False),
    sa.Column('instrument_hash', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('respondent_id', sa.String(length=128), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('history', sa.Text(), nullable=False),
    sa.Column('seen_notes', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondents.id'], name=op.f('fk_responses_respondent_id_respondents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_responses_instrument_id_instrument_version'), ['instrument_id', 'instrument_version'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_instrument_id_status'), ['instrument_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_respondent_id_status'), ['respondent_id', 'status'], unique=False)

    op.create_table('answers',
    sa.Column('response_id', sa.String(length=128), nullable=False),
    sa.Column('question', sa.String(length=200), nullable=False),
    sa.Column('value_kind', sa.String(length=16), nullable=False),
    sa.Column('value_text', sa.Text(), nullable=True),
    sa.Column('value_num', sa.Double(), nullable=True),
    sa.Column('value_long', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('skipped', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_answers_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question', name=op.f('pk_answers'))
    )
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answers_question_value_text'), ['question', 'value_text'], unique=False)

    op.create_table('referrals',
    sa.Column('response_id', sa.String(length=128), nullable=False),
    sa.Column('organisation_id', sa.String(length=128), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('share_contact', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_referrals_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'organisation_id', name=op.f('pk_referrals'))
    )
    op.create_table('answer_choices',
    sa.Column('response_id', sa.String(length=128), nullable=False),
    sa.Column('question', sa.String(length=200), nullable=False),
    sa.Column('choice', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['response_id', 'question'], ['answers.response_id', 'answers.question'], name=op.f('fk_answer_choices_response_id_answers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question', 'choice', name=op.f('pk_answer_choices'))
    )
    with op.batch_alter_table('answer_choices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_choices_question_choice'), ['question', 'choice'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('answer_choices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_choices_question_choice'))

    op.drop_table('answer_choices')
    op.drop_table('referrals')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answers_question_value_text'))

    op.drop_table('answers')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_respondent_id_status'))
        batch_op.drop_index(batch_op.f('ix_responses_instrument_id_status'))
        batch_op.drop_index(batch_op.f('ix_responses_instrument_id_instrument_version'))

    op.drop_table('responses')
    op.drop_table('respondent_contacts')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_respondent_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_channel_status_not_before'))

    op.drop_table('outbox')
    op.drop_table('respondents')
    op.drop_table('processed_events')
    op.drop_table('instruments')
