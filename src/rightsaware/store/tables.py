"""The store's tables as SQLAlchemy Core ``Table`` objects, for the store and for SQL reports.

Answers are language-neutral: choice codes, numbers, dates. Each answer is one row of
``answers`` (``value_text`` holds the canonical text of the value, ``value_num`` its
number); a multiple-choice answer also has one row per chosen code in ``answer_choices``,
so counting is a ``GROUP BY`` at any size. Free text longer than
:data:`VALUE_TEXT_LIMIT` characters is kept in ``value_long`` so that the
``(question, value_text)`` index stays small.

Personal data lives only in ``respondent_contacts.address`` (encrypted) and in the
encrypted ``outbox.payload`` and ``outbox.error``. Times are timezone-aware UTC.
Staff accounts (``users``, ``user_sessions``), the ``audit_log`` of access to personal
data and the files exported with personal data (``exported_files``) are at the end.

Any change here needs a new Alembic migration in ``migrations/versions`` (a test
compares this metadata with the migrated database).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    exists,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

VALUE_TEXT_LIMIT = 500
ID = 128  # length of ids: responses, respondents (64 hex), organisations
NAME = 200  # length of question names and choice codes

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime in every database (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201 - SQLAlchemy API
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Times given to the store must be timezone-aware (UTC).")
        value = value.astimezone(dt.timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201 - SQLAlchemy API
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def _now_column(name: str, *, nullable: bool = False) -> Column:
    return Column(name, UTCDateTime(), nullable=nullable)


instruments = Table(
    "instruments",
    metadata,
    Column("instrument_id", String(ID), nullable=False),
    Column("version", String(ID), nullable=False),
    Column("content_hash", String(ID), nullable=False),
    _now_column("first_seen_at"),
    _now_column("updated_at"),
    PrimaryKeyConstraint("instrument_id", "version"),
)

respondents = Table(
    "respondents",
    metadata,
    Column("id", String(ID), primary_key=True),  # HMAC-SHA256 hex of the normalised contact
    Column("language", String(35)),  # the respondent's explicit choice
    _now_column("created_at"),
    _now_column("updated_at"),
    _now_column("erased_at", nullable=True),
)

respondent_contacts = Table(
    "respondent_contacts",
    metadata,
    Column("respondent_id", String(ID), ForeignKey("respondents.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("address", LargeBinary()),  # encrypted; NULL once erased (an opt-out is kept)
    Column("opted_out", Boolean(), nullable=False),
    _now_column("created_at"),
    _now_column("updated_at"),
    PrimaryKeyConstraint("respondent_id", "channel"),
)

responses = Table(
    "responses",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("instrument_id", String(ID), nullable=False),
    Column("instrument_version", String(ID), nullable=False),
    Column("instrument_hash", String(ID), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("language", String(35), nullable=False),
    Column("respondent_id", String(ID), ForeignKey("respondents.id", ondelete="SET NULL")),
    Column("status", String(16), nullable=False),
    Column("history", Text(), nullable=False),  # JSON list of question names
    Column("seen_notes", Text(), nullable=False),  # JSON list of note names
    Column("revision", Integer(), nullable=False),
    _now_column("started_at"),
    _now_column("updated_at"),
    _now_column("completed_at", nullable=True),
    Column("synthetic", Boolean(), nullable=False),
    Index(None, "instrument_id", "status"),
    Index(None, "instrument_id", "instrument_version"),
    Index(None, "respondent_id", "status"),
)

answers = Table(
    "answers",
    metadata,
    Column("response_id", String(ID), ForeignKey("responses.id", ondelete="CASCADE"), nullable=False),
    Column("question", String(NAME), nullable=False),
    # text | int | decimal | date | choices | none: how to read value_text back
    Column("value_kind", String(16), nullable=False),
    Column("value_text", Text()),  # canonical text; choices as a JSON list
    Column("value_num", Double()),  # int and decimal answers, for AVG/SUM in SQL
    Column("value_long", Text()),  # free text longer than VALUE_TEXT_LIMIT
    Column("language", String(35), nullable=False),
    Column("channel", String(64), nullable=False),
    _now_column("answered_at"),
    Column("skipped", Boolean(), nullable=False),
    PrimaryKeyConstraint("response_id", "question"),
    Index(None, "question", "value_text"),
)

answer_choices = Table(
    "answer_choices",
    metadata,
    Column("response_id", String(ID), nullable=False),
    Column("question", String(NAME), nullable=False),
    Column("choice", String(NAME), nullable=False),
    PrimaryKeyConstraint("response_id", "question", "choice"),
    ForeignKeyConstraint(
        ["response_id", "question"],
        ["answers.response_id", "answers.question"],
        ondelete="CASCADE",
    ),
    Index(None, "question", "choice"),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("channel", String(64), nullable=False),
    Column("key", String(255), nullable=False),
    Column("kind", String(32), nullable=False),
    _now_column("processed_at"),
    PrimaryKeyConstraint("channel", "key"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("channel", String(64), nullable=False),
    Column("key", String(255), nullable=False),
    Column("payload", LargeBinary(), nullable=False),  # encrypted JSON
    Column("respondent_id", String(ID), ForeignKey("respondents.id", ondelete="CASCADE")),
    # queued | sending | sent | failed | unknown
    Column("status", String(16), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("provider_id", String(255)),
    Column("error_code", String(64)),
    Column("error", LargeBinary()),  # encrypted: provider messages may quote the address
    _now_column("not_before", nullable=True),
    _now_column("lease_until", nullable=True),
    _now_column("created_at"),
    _now_column("updated_at"),
    UniqueConstraint("channel", "key"),
    Index(None, "channel", "status", "not_before"),
    Index(None, "respondent_id"),
)

referrals = Table(
    "referrals",
    metadata,
    Column("response_id", String(ID), ForeignKey("responses.id", ondelete="CASCADE"), nullable=False),
    Column("organisation_id", String(ID), nullable=False),
    Column("topic", String(NAME), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("language", String(35), nullable=False),
    Column("share_contact", Boolean(), nullable=False),
    _now_column("created_at"),
    PrimaryKeyConstraint("response_id", "organisation_id"),
)

OUTBOX_STATUSES = ("queued", "sending", "sent", "failed", "unknown")


# --- staff accounts, audit and exported files (issue 10: data protection) --------------

users = Table(
    "users",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),  # case-folded
    Column("password_hash", String(255), nullable=False),  # argon2id, PHC string
    Column("role", String(16), nullable=False),  # viewer | reviewer | admin
    Column("failed_logins", Integer(), nullable=False),  # consecutive failures
    _now_column("locked_until", nullable=True),
    _now_column("last_login_at", nullable=True),
    _now_column("created_at"),
    _now_column("updated_at"),
)

user_sessions = Table(
    "user_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie's token: a leak of this table opens no session
    Column("user_id", Integer(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    _now_column("created_at"),
    _now_column("last_seen_at"),
    _now_column("expires_at"),
    Index(None, "user_id"),
    Index(None, "expires_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    _now_column("at"),
    Column("actor", String(200), nullable=False),  # "user:<name>", "cli:<os user>", "system:purge"
    Column("action", String(64), nullable=False),  # e.g. respondent.export, referrals.export
    Column("subject_kind", String(32)),  # respondent | response | organisation | user | file
    Column("subject_id", String(ID)),  # a respondent's keyed hash, never a phone number or name
    Column("detail", Text()),  # JSON of counts and codes; never personal data
    Index(None, "at"),
    Index(None, "subject_id"),
)

exported_files = Table(
    "exported_files",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # referrals | subject_access
    Column("path", Text(), nullable=False),
    _now_column("created_at"),
    _now_column("deleted_at", nullable=True),
    Index(None, "deleted_at", "created_at"),
)

exported_respondents = Table(
    "exported_respondents",
    metadata,
    Column("export_id", Integer(), ForeignKey("exported_files.id", ondelete="CASCADE"), nullable=False),
    Column("respondent_id", String(ID), nullable=False),
    PrimaryKeyConstraint("export_id", "respondent_id"),
    Index(None, "respondent_id"),
)

withdrawals = Table(
    "withdrawals",
    metadata,
    # A response whose respondent withdrew consent: left out of every report and export
    # (see not_withdrawn), deleted by `rightsaware purge` after retention_withdrawn_days.
    Column("response_id", String(ID), ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True),
    Column("channel", String(64), nullable=False),  # how the withdrawal came: sms, web, paper, cli
    _now_column("withdrawn_at"),
    Index(None, "withdrawn_at"),
)

ROLES = ("viewer", "reviewer", "admin")


# --- the tally: answers coded as small integers for counting (issue 8: aggregation) -----

tally_tables = Table(
    "tally_tables",
    metadata,
    # One row per instrument whose answers have a tally table (``tally_r_<hex>``, made at run
    # time with a column per question: see rightsaware.tally); ``layout`` is JSON.
    Column("instrument_id", String(ID), primary_key=True),
    Column("table_name", String(64), nullable=False, unique=True),
    Column("layout", Text(), nullable=False),
    _now_column("updated_at"),
)

tally_dirty = Table(
    "tally_dirty",
    metadata,
    # Responses whose answers or counted columns changed after their tally row was made.
    # Database triggers on ``answers`` and ``responses`` write here (migration 0003), so no
    # write path can forget. On PostgreSQL ``stamp`` changes on every change, so a refresh
    # clears only the marks it has seen; on SQLite a refresh holds the write lock instead.
    Column("response_id", String(ID), primary_key=True),
    Column("stamp", BigInteger(), nullable=False),
)


def not_withdrawn(response_id: ColumnElement = responses.c.id) -> ColumnElement:
    """The SQL condition every report and export adds: the response was not withdrawn.

    ``select(responses).where(not_withdrawn())``; pass the id column of an alias of
    ``responses`` (or of ``answers.c.response_id``) when the query uses one.
    """
    return ~exists().where(withdrawals.c.response_id == response_id)
