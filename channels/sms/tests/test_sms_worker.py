"""The worker against the in-process fake: rate-limited sends, retries, permanent errors, reconciliation."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from rightsaware.errors import ConfigError
from rightsaware.response import utcnow
from rightsaware_sms import housekeeping, sender
from rightsaware_sms.channel import QUEUE_CAMPAIGN
from rightsaware_sms.config import parse_quiet_hours
from rightsaware_sms.worker import Pacer, Worker


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(sender, "backoff", lambda attempts: dt.timedelta(0))


@pytest.fixture
def campaign(sms_runtime, service):
    """``campaign(n)``: queue n invitations in the campaign queue; returns the respondent ids."""

    def queue(n: int, start: int = 0) -> list[str]:
        ids = []
        for i in range(start, start + n):
            respondent = sms_runtime.store.ensure_respondent("sms", f"+4477009{i:05d}")
            service.conversations.start(respondent, "sample", "en", key=f"invite:sample:{respondent}",
                                        queue=QUEUE_CAMPAIGN)
            ids.append(respondent)
        return ids

    return queue


def drain(runtime, channel, **kwargs):
    worker = Worker(runtime, channel, rate=1000, housekeeping_every=0, poll_interval=0.01, **kwargs)
    return worker.run(exit_when_done=True).counts


def items(runtime, queue=QUEUE_CAMPAIGN):
    return runtime.store.outbox_items(queue)


def test_worker_sends_each_invitation_once_with_unique_sids(sms_runtime, sms_channel, fake_twilio, campaign):
    campaign(12)
    counts = drain(sms_runtime, sms_channel)
    assert counts == {"sent": 12}
    sent = fake_twilio.sent()
    assert len(sent) == 12 and len({m.sid for m in sent}) == 12 and len({m.to for m in sent}) == 12
    assert {i.status for i in items(sms_runtime)} == {"sent"}
    assert {i.provider_id for i in items(sms_runtime)} == {m.sid for m in sent}
    assert drain(sms_runtime, sms_channel) == {}  # running again sends nothing


def test_transient_errors_are_retried(sms_runtime, sms_channel, fake_twilio, campaign):
    campaign(3)
    fake_twilio.fail_next("429", "503", "21611")
    counts = drain(sms_runtime, sms_channel)
    assert counts["retry"] == 3 and counts["sent"] == 3
    assert len(fake_twilio.sent()) == 3
    assert [i.attempts for i in items(sms_runtime)] == [2, 2, 2]  # one failure each, in order


def test_too_many_failures_become_permanent(sms_runtime, sms_channel, fake_twilio, campaign):
    sms_channel.settings = attrs.evolve(sms_channel.settings, max_attempts=2)
    (respondent,) = campaign(1)
    fake_twilio.fail_next("503", "503")
    counts = drain(sms_runtime, sms_channel)
    assert counts == {"retry": 1, "failed": 1}
    (item,) = items(sms_runtime)
    assert item.status == "failed" and item.error_code == "20500"
    assert sms_runtime.store.active_response(respondent, channel="sms") is None  # interview abandoned


def test_invalid_number_is_permanent_and_abandons_the_interview(sms_runtime, sms_channel, fake_twilio, campaign):
    (respondent,) = campaign(1)
    fake_twilio.invalid.add("+447700900000")
    assert drain(sms_runtime, sms_channel) == {"failed": 1}
    (item,) = items(sms_runtime)
    assert (item.status, item.error_code, item.attempts) == ("failed", "21211", 1)
    assert sms_runtime.store.active_response(respondent, channel="sms") is None


def test_opted_out_number_21610(sms_runtime, sms_channel, fake_twilio, campaign):
    (respondent,) = campaign(1)
    fake_twilio.opted_out.add("+447700900000")
    assert drain(sms_runtime, sms_channel) == {"opted_out": 1}
    assert "sms" in sms_runtime.store.respondent(respondent).opted_out_channels


def test_lost_response_is_reconciled_without_a_second_send(sms_runtime, sms_channel, fake_twilio, campaign,
                                                           monkeypatch):
    monkeypatch.setattr(housekeeping, "RECONCILE_AFTER", dt.timedelta(0))
    campaign(2)
    fake_twilio.fail_next("lost")
    counts = drain(sms_runtime, sms_channel)
    assert counts == {"unknown": 1, "sent": 1}  # the unknown one was settled by housekeeping
    assert len(fake_twilio.sent()) == 2
    assert {i.status for i in items(sms_runtime)} == {"sent"}
    assert {i.provider_id for i in items(sms_runtime)} == {m.sid for m in fake_twilio.sent()}


def test_timeout_before_acceptance_is_resent_after_reconciliation(sms_runtime, sms_channel, fake_twilio, campaign,
                                                                  monkeypatch):
    monkeypatch.setattr(housekeeping, "RECONCILE_AFTER", dt.timedelta(0))
    campaign(1)
    fake_twilio.fail_next("timeout")
    counts = drain(sms_runtime, sms_channel)
    assert counts == {"unknown": 1, "sent": 1}
    assert len(fake_twilio.sent()) == 1
    list_calls = [r for r in fake_twilio.requests if r[0] == "GET"]
    assert len(list_calls) >= 2  # looked up once when settling, once before the resend


def test_a_killed_senders_item_is_reconciled_when_its_lease_ends(sms_runtime, sms_channel, fake_twilio, campaign):
    campaign(1)
    store = sms_runtime.store
    sms = sms_channel.sms_store(sms_runtime)
    (item,) = store.claim_outbox(QUEUE_CAMPAIGN, limit=1, lease_seconds=0.01)
    sms.begin_attempt(item.id)
    address = store.contact_address(item.respondent_id, "sms")
    sms_channel.gateway.send(address, item.payload["body"])  # sent, then the sender "dies" before marking it
    assert drain(sms_runtime, sms_channel) == {"reconciled": 1}
    assert len(fake_twilio.sent()) == 1
    assert items(sms_runtime)[0].provider_id == fake_twilio.sent()[0].sid


def test_reconciliation_ignores_an_identical_text_already_claimed(sms_runtime, sms_channel, fake_twilio, invite,
                                                                   service):
    respondent = invite("+447700900123")
    for key in ("hint-1", "hint-2"):
        service.conversations.enqueue(respondent, "Please reply with a number.", kind="question", key=key,
                                      language="en")
    store, sms = sms_runtime.store, sms_channel.sms_store(sms_runtime)
    first, second = sms.claim_for_respondent("sms", respondent, lease_seconds=30)
    assert service.sender.send_item(first) == "sent"
    sms.begin_attempt(second.id)
    sms_channel.gateway.send("+447700900123", second.payload["body"])  # accepted, but the answer was lost
    store.mark_unknown(second.id)
    (settled,) = store.outbox_items("sms", "unknown")
    assert service.sender.reconcile(settled) == "reconciled"
    sids = [m.sid for m in fake_twilio.sent() if m.body == "Please reply with a number."]
    assert len(sids) == 2
    assert store.outbox_item(first.id).provider_id == sids[0]
    assert store.outbox_item(second.id).provider_id == sids[1]


def test_authentication_failure_stops_the_worker_and_keeps_the_item(sms_runtime, sms_channel, fake_twilio, campaign):
    campaign(1)
    fake_twilio.auth_token = "rotated"
    with pytest.raises(ConfigError):
        drain(sms_runtime, sms_channel)
    assert items(sms_runtime)[0].status == "queued"


def test_quiet_hours_hold_campaign_texts_but_not_replies(sms_runtime, sms_channel, fake_twilio, campaign, invite):
    now = utcnow().astimezone(parse_quiet_hours("00:00-01:00", "Europe/London").zone)
    start = (now - dt.timedelta(minutes=5)).strftime("%H:%M")
    end = (now + dt.timedelta(minutes=30)).strftime("%H:%M")
    sms_channel.settings = attrs.evolve(sms_channel.settings, quiet_hours=parse_quiet_hours(f"{start}-{end}", "Europe/London"))
    campaign(2)
    invite("+447700900999")  # a conversation text goes out at once
    assert drain(sms_runtime, sms_channel) == {}
    assert fake_twilio.bodies_to("+447700900999") and len(fake_twilio.sent()) == 1
    assert {i.status for i in items(sms_runtime)} == {"queued"}
    # an invitation that reaches the sender anyway (claimed before quiet hours began) is deferred
    (item,) = sms_runtime.store.claim_outbox(QUEUE_CAMPAIGN, limit=1)
    assert service_sender(sms_runtime, sms_channel).send_item(item) == "deferred"
    deferred = sms_runtime.store.outbox_item(item.id)
    assert deferred.status == "queued" and deferred.not_before > utcnow() + dt.timedelta(minutes=20)


def service_sender(runtime, channel):
    return sender.Sender(runtime, channel)


def test_quiet_hours_wrap_past_midnight():
    quiet = parse_quiet_hours("21:00-09:00", "Europe/London")
    zone = quiet.zone
    assert quiet.contains(dt.datetime(2026, 1, 10, 23, 30, tzinfo=zone))
    assert quiet.contains(dt.datetime(2026, 1, 10, 8, 59, tzinfo=zone))
    assert not quiet.contains(dt.datetime(2026, 1, 10, 9, 0, tzinfo=zone))
    assert quiet.next_end(dt.datetime(2026, 7, 10, 23, 0, tzinfo=zone)) == dt.datetime(2026, 7, 11, 8, 0, tzinfo=dt.timezone.utc)
    assert parse_quiet_hours("off", "Europe/London") is None
    with pytest.raises(ConfigError):
        parse_quiet_hours("9pm to 9am", "Europe/London")
    with pytest.raises(ConfigError):
        parse_quiet_hours("21:00-09:00", "Mars/Olympus")


def test_reminder_after_the_quiet_period_then_no_more(sms_runtime, sms_channel, fake_twilio, campaign, service):
    (respondent,) = campaign(1)
    drain(sms_runtime, sms_channel)
    later = utcnow() + dt.timedelta(hours=49)
    assert housekeeping.send_reminders(sms_runtime, sms_channel, service.conversations, now=later) == 1
    assert housekeeping.send_reminders(sms_runtime, sms_channel, service.conversations, now=later) == 0
    much_later = utcnow() + dt.timedelta(hours=200)
    assert housekeeping.send_reminders(sms_runtime, sms_channel, service.conversations, now=much_later) == 0
    drain(sms_runtime, sms_channel)
    reminder = fake_twilio.sent()[-1].body
    assert reminder.startswith("Reminder: Taking part where you live.") and "1/3 Have you heard" in reminder


def test_no_reminder_before_the_invitation_went_out(sms_runtime, sms_channel, campaign, service):
    campaign(1)
    later = utcnow() + dt.timedelta(hours=49)
    assert housekeeping.send_reminders(sms_runtime, sms_channel, service.conversations, now=later) == 0


def test_interviews_expire(sms_runtime, sms_channel, campaign, service, invite, text, fake_twilio):
    (respondent,) = campaign(1)
    later = utcnow() + dt.timedelta(days=15)
    assert housekeeping.expire_interviews(sms_runtime, sms_channel, service.conversations, now=later) == 1
    assert sms_runtime.store.active_response(respondent, channel="sms") is None


def test_stranded_texts_are_applied_by_the_sweep(sms_runtime, sms_channel, invite, fake_twilio, service):
    respondent = invite("+447700900123")
    sms = sms_channel.sms_store(sms_runtime)
    sms.record_inbound("SM" + "7" * 32, respondent, "+447700900123", "1")  # recorded, then the server died
    later = utcnow() + dt.timedelta(minutes=5)
    assert housekeeping.apply_stranded(sms_channel, service.conversations, sms_runtime, now=later) == 1
    assert sms_runtime.store.active_response(respondent, channel="sms").values() == {"heard": "yes"}


def test_pacer_keeps_a_fixed_schedule():
    clock = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    pacer = Pacer(50, clock=lambda: clock[0], sleep=sleep)
    for _ in range(100):
        pacer.wait()
        clock[0] += 0.004  # each send takes 4 ms
    assert clock[0] == pytest.approx(100 + 99 / 50 + 0.004, abs=1e-6)


def test_with_the_servers_pump_off_the_worker_applies_and_answers(sms_runtime, sms_channel, fake_twilio, invite,
                                                                 client, service, monkeypatch):
    from rightsaware_sms import worker as worker_module
    from rightsaware_sms.fake_twilio import inbound_form, signed_post

    monkeypatch.setattr(worker_module, "APPLY_AFTER", dt.timedelta(0))
    respondent = invite("+447700900123")
    service.pump = None  # RIGHTSAWARE_SMS_SERVER_APPLIES=0
    form = inbound_form("+447700900123", "1", "SM" + "8" * 32)
    assert client.post("/sms/inbound", **signed_post(form, "https://survey.example.org/sms/inbound")).status_code == 200
    assert sms_runtime.store.active_response(respondent, channel="sms").answers == {}  # recorded, not applied
    assert sms_channel.sms_store(sms_runtime).inbound_count("pending") == 1
    assert drain(sms_runtime, sms_channel) == {"sent": 1}
    assert sms_runtime.store.active_response(respondent, channel="sms").values() == {"heard": "yes"}
    assert fake_twilio.bodies_to("+447700900123")[-1] == "2/4 How old are you?"


def test_applied_texts_are_forgotten_after_thirty_days(sms_runtime, sms_channel, invite, text):
    invite("+447700900123")
    text("+447700900123", "1")
    sms = sms_channel.sms_store(sms_runtime)
    assert sms.inbound_count("done") == 1
    assert sms.purge_inbound(utcnow() - dt.timedelta(days=30)) == 0
    assert sms.purge_inbound(utcnow() + dt.timedelta(seconds=1)) == 1
    assert sms.inbound_count() == 0
