"""The server's pump: it applies texts in the gaps between webhook requests, each sender once per wake-up."""

from __future__ import annotations

import time

from rightsaware_sms.fake_twilio import inbound_form

NUMBER = "+447700900123"


def test_the_pump_waits_for_a_gap_between_requests(sms_runtime, service, invite, fake_twilio):
    invite(NUMBER)
    sent = len(fake_twilio.bodies_to(NUMBER))
    sms = service.sms
    service.request_started()  # a webhook request is being answered
    try:
        key = service.conversations.receive(inbound_form(NUMBER, "1", "SM" + "1" * 32), apply=False)
        row = sms.pending_inbound(key)[0]["id"]
        for _ in range(3):
            service.received(key)
        assert service.pump.queue.qsize() <= 1  # one drain applies every pending text of a sender
        time.sleep(0.3)
        assert sms.inbound_state(row) == "pending"  # not applied while the request is in flight
    finally:
        service.request_finished()
    assert service.pump.wait_idle(10)
    assert sms.inbound_state(row) == "done"
    assert len(fake_twilio.bodies_to(NUMBER)) == sent + 1  # the reply: the next question


def test_the_pump_gives_up_waiting_after_the_longest_delay(sms_runtime, service, invite, fake_twilio, monkeypatch):
    import rightsaware_sms.service as module

    monkeypatch.setattr(module, "MAX_DEFER_SECONDS", 0.2)
    invite(NUMBER)
    service.request_started()  # a request that never ends (a flood)
    try:
        key = service.conversations.receive(inbound_form(NUMBER, "1", "SM" + "2" * 32), apply=False)
        service.received(key)
        assert service.pump.wait_idle(10)
        assert service.sms.inbound_count("pending") == 0
    finally:
        service.request_finished()
