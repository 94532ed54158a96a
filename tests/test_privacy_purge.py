"""Retention: `rightsaware purge` applies each period, says what it removed, and can run daily."""

from __future__ import annotations

import datetime as dt
import time

from click.testing import CliRunner
from sqlalchemy import func, select

from rightsaware import audit
from rightsaware.cli import Context, build_cli
from rightsaware.interview import Interviewer
from rightsaware.privacy import record_export, withdraw
from rightsaware.retention import PurgeScheduler, cutoffs, purge, start_scheduled_purge
from rightsaware.store import tables

PHONE = "+447700900123"
DAY = dt.timedelta(days=1)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def answered(runtime, respondent_id: str | None) -> str:
    interviewer = Interviewer(runtime)
    turn = interviewer.start("sample", channel="fake", respondent_id=respondent_id)
    turn, errors = interviewer.submit_all(turn.response.id, {"heard": "2", "age": "33", "comment": "iawn"})
    assert not errors and turn.completed
    return turn.response.id


def rows(store, table) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table))


def scenario(runtime, tmp_path):
    store = runtime.store
    rid = store.ensure_respondent("sms", PHONE)
    kept = answered(runtime, rid)
    gone = answered(runtime, None)
    withdraw(runtime, response_id=gone, channel="web", actor="web:link")
    store.enqueue("sms", "sent-1", {"to": PHONE, "body": "Diolch"}, respondent_id=rid)
    [item] = store.claim_outbox("sms", limit=1)
    store.mark_sent(item.id, "SM1")
    store.enqueue("sms", "queued-1", {"to": PHONE, "body": "Nodyn atgoffa"}, respondent_id=rid)
    export = tmp_path / "referrals.csv"
    export.write_text("contact\n+447700900123\n", encoding="utf-8")
    record_export(runtime, export, "referrals", [rid], actor="cli:test", action=audit.REFERRALS_EXPORT)
    return rid, kept, gone, export


def test_each_period_in_turn(rightsaware_runtime, tmp_path) -> None:
    runtime = rightsaware_runtime
    store = runtime.store
    rid, kept, gone, export = scenario(runtime, tmp_path)
    start = now()

    nothing = purge(runtime, now=start + DAY)
    assert nothing.counts() == {kind: 0 for kind in nothing.counts()}

    month = purge(runtime, now=start + 31 * DAY)  # withdrawn, messages and exports: 30 days
    assert month.counts()["withdrawn"] == 1 and month.counts()["messages"] == 1 and month.counts()["exports"] == 1
    assert store.load_response(gone) is None and not export.exists()
    assert [i.key for i in store.outbox_items("sms")] == ["queued-1"]  # a queued message is not old news
    assert store.contact_address(rid, "sms") == PHONE and month.counts()["contacts"] == 0

    half_year = purge(runtime, now=start + 181 * DAY)  # contacts: 180 days without activity
    assert half_year.counts()["contacts"] == 1
    assert store.respondent(rid) is None and store.load_response(kept).respondent_id is None
    assert "comment" not in store.load_response(kept).answers  # no longer linked: free text goes too
    assert rows(store, tables.outbox) == 0

    two_years = purge(runtime, now=start + 731 * DAY)  # answers: 730 days, as the privacy notice says
    assert two_years.counts()["answers"] == 1 and rows(store, tables.responses) == 0
    assert rows(store, tables.answers) == 0 and rows(store, tables.answer_choices) == 0
    actions = [e.action for e in audit.entries(store, action="retention.")]
    assert actions and all(e.subject_id is None for e in audit.entries(store, action="retention."))


def test_dry_run_changes_nothing(rightsaware_runtime, tmp_path) -> None:
    runtime = rightsaware_runtime
    store = runtime.store
    rid, kept, gone, export = scenario(runtime, tmp_path)
    report = purge(runtime, now=now() + 800 * DAY, dry_run=True)
    assert report.dry_run and report.counts()["answers"] == 2 and report.counts()["contacts"] == 1
    assert store.load_response(gone) is not None and export.exists() and store.contact_address(rid, "sms") == PHONE
    assert audit.entries(store, action="retention.") == []


def test_recent_activity_keeps_contact_details(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    store = runtime.store
    rid = store.ensure_respondent("sms", PHONE)
    answered(runtime, rid)
    later = now() + 100 * DAY
    with store.engine.begin() as connection:  # the person answered again 100 days from now
        connection.execute(tables.responses.update().values(updated_at=later))
    assert purge(runtime, now=now() + 181 * DAY).counts()["contacts"] == 0
    assert purge(runtime, now=later + 181 * DAY).counts()["contacts"] == 1


def test_channels_purge_their_own_data(rightsaware_runtime, fake_channel) -> None:
    runtime = rightsaware_runtime
    calls = []

    def purge_personal_data(kind, before, runtime, dry_run):
        calls.append((kind, before, dry_run))
        return {"scans": 3, "messages": 2}.get(kind, 0)

    fake_channel.purge_personal_data = purge_personal_data
    moment = now()
    report = purge(runtime, now=moment, dry_run=True)
    cut = cutoffs(runtime.settings, moment)
    assert sorted(calls) == sorted((kind, cut[kind], True) for kind in cut)
    assert [(i.kind, i.source, i.count) for i in report.items if i.source == "fake"] == [("messages", "fake", 2),
                                                                                           ("scans", "fake", 3)]


def test_settings_change_the_periods(rightsaware_runtime, tmp_path) -> None:
    runtime = rightsaware_runtime
    runtime.settings = runtime.settings.with_overrides(retention_exports_days=1)
    *_, export = scenario(runtime, tmp_path)
    assert purge(runtime, now=now() + 2 * DAY).counts()["exports"] == 1 and not export.exists()


def test_cli_purge(rightsaware_runtime, tmp_path) -> None:
    runtime = rightsaware_runtime
    scenario(runtime, tmp_path)
    group = build_cli(runtime)
    dry = CliRunner().invoke(group, ["purge", "--dry-run"], obj=Context(runtime, "en"))
    assert dry.exit_code == 0 and dry.output.startswith("Would remove (dry run: nothing was changed):")
    assert "  export files: 0" in dry.output
    real = CliRunner().invoke(group, ["purge"], obj=Context(runtime, "cy"))
    assert real.exit_code == 0 and real.output.startswith("Wedi'u dileu:") and "ffeiliau allforio: 0" in real.output


def test_scheduler_runs_and_stops(rightsaware_runtime, tmp_path) -> None:
    runtime = rightsaware_runtime
    *_, export = scenario(runtime, tmp_path)
    runtime.settings = runtime.settings.with_overrides(retention_exports_days=1)
    with runtime.store.engine.begin() as connection:
        connection.execute(tables.exported_files.update().values(created_at=now() - 2 * DAY))
    scheduler = PurgeScheduler(runtime, dt.timedelta(seconds=0.05), first_delay=0.01).start()
    deadline = time.monotonic() + 10
    while scheduler.runs < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    scheduler.stop()
    assert scheduler.runs >= 2 and not export.exists()
    runs = scheduler.runs
    time.sleep(0.15)
    assert scheduler.runs == runs  # stopped


def test_serve_purge_is_off_when_interval_is_zero(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    runtime.settings = runtime.settings.with_overrides(purge_interval_hours=0)
    assert start_scheduled_purge(runtime) is None
    runtime.settings = runtime.settings.with_overrides(purge_interval_hours=24)
    scheduler = start_scheduled_purge(runtime)
    try:
        assert scheduler.interval == dt.timedelta(hours=24)
    finally:
        scheduler.stop()
