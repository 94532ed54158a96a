"""The audit log: entries, filters, refusal of personal data, erasure of subjects."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from rightsaware import audit
from rightsaware.cli import Context, build_cli
from rightsaware.store.engine import write_transaction

RESPONDENT = "a" * 64


def test_entries_newest_first_with_filters(rightsaware_runtime) -> None:
    store = rightsaware_runtime.store
    audit.record(store, "cli:ops", audit.RESPONDENT_EXPORT, subject_kind="respondent", subject_id=RESPONDENT,
                 detail={"responses": 2, "export": 7})
    audit.record(store, "user:siân", audit.RESPONSES_VIEW, subject_kind="response", subject_id="r-1")
    audit.record(store, "user:siân", audit.USER_LOGIN, subject_kind="user", subject_id="3")
    everything = audit.entries(store)
    assert [e.action for e in everything] == [audit.USER_LOGIN, audit.RESPONSES_VIEW, audit.RESPONDENT_EXPORT]
    assert everything[-1].detail == {"export": 7, "responses": 2}
    assert everything[0].at.tzinfo is not None
    assert [e.action for e in audit.entries(store, action="respondent.")] == [audit.RESPONDENT_EXPORT]
    assert [e.actor for e in audit.entries(store, subject_id=RESPONDENT)] == ["cli:ops"]
    assert len(audit.entries(store, limit=2)) == 2
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    assert audit.entries(store, since=later) == []


@pytest.mark.parametrize("detail", [
    {"phone": "+447700900123"}, {"note": "call 07700900123"}, {"email": "sian@example.org"},
    {"comment": "Siân said: <script>alert(1)</script>"}, {"list": [1, 2]}, {"bad key!": 1},
])
def test_personal_data_is_refused_in_details(rightsaware_runtime, detail) -> None:
    with pytest.raises(ValueError, match="personal data|short codes"):
        audit.record(rightsaware_runtime.store, "cli:ops", audit.RESPONDENT_EXPORT, detail=detail)
    assert audit.entries(rightsaware_runtime.store) == []


@pytest.mark.parametrize("subject", ["+447700900123", "07700900123", "sian@example.org", "Siân Jones"])
def test_a_subject_is_an_id_never_a_contact(rightsaware_runtime, subject) -> None:
    with pytest.raises(ValueError, match="never a phone number"):
        audit.record(rightsaware_runtime.store, "cli:ops", audit.RESPONDENT_ERASE, subject_kind="respondent",
                     subject_id=subject)


def test_bad_actions_and_kinds_are_programming_errors(rightsaware_runtime) -> None:
    with pytest.raises(ValueError, match="look like"):
        audit.record(rightsaware_runtime.store, "cli:ops", "Export!")
    with pytest.raises(ValueError, match="subject kind"):
        audit.record(rightsaware_runtime.store, "cli:ops", audit.RESPONDENT_EXPORT, subject_kind="person", subject_id="x")


def test_an_entry_in_a_failed_transaction_is_not_kept(rightsaware_runtime) -> None:
    store = rightsaware_runtime.store
    with pytest.raises(RuntimeError), write_transaction(store.engine) as connection:
        audit.record(store, "cli:ops", audit.RESPONDENT_ERASE, connection=connection)
        raise RuntimeError("the change failed")
    assert audit.entries(store) == []


def test_forget_subjects_keeps_what_happened_not_to_whom(rightsaware_runtime) -> None:
    store = rightsaware_runtime.store
    audit.record(store, "cli:ops", audit.RESPONDENT_EXPORT, subject_kind="respondent", subject_id=RESPONDENT)
    audit.record(store, "cli:ops", audit.RESPONDENT_EXPORT, subject_kind="respondent", subject_id="b" * 64)
    with write_transaction(store.engine) as connection:
        assert audit.forget_subjects(connection, [RESPONDENT, RESPONDENT]) == 1
    subjects = sorted(str(e.subject_id) for e in audit.entries(store))
    assert subjects == ["None", "b" * 64]


def test_record_many_and_cli_actor(rightsaware_runtime) -> None:
    store = rightsaware_runtime.store
    with write_transaction(store.engine) as connection:
        audit.record_many(connection, audit.cli_actor(), audit.REFERRALS_EXPORT, "respondent",
                          ["c" * 64, "d" * 64], detail={"organisation": "citizens-advice"})
    entries = audit.entries(store)
    assert len(entries) == 2 and all(e.actor.startswith("cli:") for e in entries)
    assert {e.detail["organisation"] for e in entries} == {"citizens-advice"}


def test_cli_audit_list(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    audit.record(runtime.store, "user:siân", audit.RESPONSES_VIEW, subject_kind="response", subject_id="r-9",
                 detail={"page": "dashboard"})
    result = CliRunner().invoke(build_cli(runtime), ["audit", "list"], obj=Context(runtime, "en"))
    assert result.exit_code == 0 and "user:siân  responses.view  response:r-9" in result.output
    result = CliRunner().invoke(build_cli(runtime), ["audit", "list", "--json", "--action", "user."],
                                obj=Context(runtime, "en"))
    assert result.exit_code == 0 and result.output == ""
