"""The tally: answers coded as small integers, for counting in one pass

``tally_tables`` names, for each instrument, the table made at run time (by
``rightsaware.tally``) that holds one row of integer-coded answers per response, and
``tally_dirty`` lists the responses whose answers, status, channel, language, version
or synthetic flag changed after their row was made. Triggers on ``answers`` (every
insert, update and delete) and on ``responses`` (a new response, and a change to one of
those columns) fill ``tally_dirty``, so no write path (web, SMS, paper review, imports,
erasure) can leave a stale row in use. Every response already stored is marked, so the
first report after this migration builds the tally. Only new tables and triggers: no
existing row changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 05:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_SQLITE_TRIGGERS = {
    "insert": "NEW", "update": "NEW", "delete": "OLD",
}
_RESPONSE_COLUMNS = ("instrument_id", "instrument_version", "channel", "language", "status", "synthetic")

_POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION tally_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tally_dirty (response_id, stamp)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.response_id ELSE NEW.response_id END,
            (random() * 9.2e18)::bigint)
    ON CONFLICT (response_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    RETURN NULL;
END
$$
"""

_POSTGRES_RESPONSE_FUNCTION = """
CREATE OR REPLACE FUNCTION tally_mark_response_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tally_dirty (response_id, stamp) VALUES (NEW.id, (random() * 9.2e18)::bigint)
    ON CONFLICT (response_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('tally_tables',
    sa.Column('instrument_id', sa.String(length=128), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('layout', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('instrument_id', name=op.f('pk_tally_tables')),
    sa.UniqueConstraint('table_name', name=op.f('uq_tally_tables_table_name'))
    )
    op.create_table('tally_dirty',
    sa.Column('response_id', sa.String(length=128), nullable=False),
    sa.Column('stamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('response_id', name=op.f('pk_tally_dirty'))
    )
    columns = ", ".join(_RESPONSE_COLUMNS)
    if op.get_bind().dialect.name == "postgresql":
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _RESPONSE_COLUMNS)
        op.execute(_POSTGRES_FUNCTION)
        op.execute(_POSTGRES_RESPONSE_FUNCTION)
        op.execute("CREATE TRIGGER tally_answers_dirty AFTER INSERT OR UPDATE OR DELETE ON answers "
                   "FOR EACH ROW EXECUTE FUNCTION tally_mark_dirty()")
        op.execute("CREATE TRIGGER tally_responses_insert AFTER INSERT ON responses "
                   "FOR EACH ROW EXECUTE FUNCTION tally_mark_response_dirty()")
        op.execute(f"CREATE TRIGGER tally_responses_update AFTER UPDATE OF {columns} ON responses "
                   f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION tally_mark_response_dirty()")
    else:
        # SQLite: a refresh holds the write lock from reading a mark to clearing it, so no
        # change can slip in between and an existing mark can stay as it is (cheaper for
        # every answer saved). PostgreSQL changes the stamp instead (see the function).
        mark = "INSERT OR IGNORE INTO tally_dirty (response_id, stamp) VALUES ({}, 0);"
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _RESPONSE_COLUMNS)
        for event, row in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER tally_answers_{event} AFTER {event.upper()} ON answers "
                       f"BEGIN {mark.format(row + '.response_id')} END")
        op.execute(f"CREATE TRIGGER tally_responses_insert AFTER INSERT ON responses BEGIN {mark.format('NEW.id')} END")
        op.execute(f"CREATE TRIGGER tally_responses_update AFTER UPDATE OF {columns} ON responses "
                   f"WHEN {changed} BEGIN {mark.format('NEW.id')} END")
    op.execute("INSERT INTO tally_dirty (response_id, stamp) SELECT id, 0 FROM responses")


def downgrade() -> None:
    """Downgrade schema."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS tally_answers_dirty ON answers")
        op.execute("DROP TRIGGER IF EXISTS tally_responses_insert ON responses")
        op.execute("DROP TRIGGER IF EXISTS tally_responses_update ON responses")
        op.execute("DROP FUNCTION IF EXISTS tally_mark_dirty()")
        op.execute("DROP FUNCTION IF EXISTS tally_mark_response_dirty()")
    else:
        for event in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS tally_answers_{event}")
        op.execute("DROP TRIGGER IF EXISTS tally_responses_insert")
        op.execute("DROP TRIGGER IF EXISTS tally_responses_update")
    for name in sa.inspect(bind).get_table_names():
        if name.startswith("tally_r_"):
            op.drop_table(name)
    op.drop_table('tally_dirty')
    op.drop_table('tally_tables')
