"""Concurrency over real HTTP: duplicates, 50 respondents at once, one respondent's texts in order.

The app runs in uvicorn on a free port; clients post signed webhooks from many threads.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn

from rightsaware.flow import Engine
from rightsaware_sms.fake_twilio import inbound_form, signed_post

PUBLIC = "https://survey.example.org"
RESPONDENTS = 50


@pytest.fixture
def server_url(app):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def post(client, number, body, sid):
    form = inbound_form(number, body, sid)
    response = client.post("/sms/inbound", **signed_post(form, PUBLIC + "/sms/inbound"))
    assert response.status_code == 200, response.text
    return response


def test_duplicate_deliveries_apply_once(server_url, sms_runtime, invite, fake_twilio, service):
    number = "+447700900123"
    respondent = invite(number)
    sid = "SM" + "d" * 32
    with httpx.Client(base_url=server_url, timeout=30) as client:
        post(client, number, "1", sid)
        post(client, number, "1", sid)  # Twilio's retry
        with ThreadPoolExecutor(8) as pool:  # and a burst of concurrent retries
            list(pool.map(lambda _: post(client, number, "1", sid), range(8)))
    assert service.pump.wait_idle(30)  # the texts are applied and answered after the responses
    bodies = fake_twilio.bodies_to(number)
    assert len(bodies) == 2  # the invitation and exactly one follow-up
    response = sms_runtime.store.active_response(respondent, channel="sms")
    assert response.values() == {"heard": "yes"}
    assert response.revision == 1


def replay(instrument, texts):
    """What applying ``texts`` one after another to a fresh response gives (the reference)."""
    from rightsaware.response import Response

    engine = Engine(instrument)
    response = Response(id="r", instrument_id=instrument.id, instrument_version=instrument.version,
                        instrument_hash=instrument.content_hash, channel="sms")
    for text in texts:
        question = engine.next_question(response)
        if question is None:
            break
        outcome = engine.answer(response, question.name, text)
        response = outcome.response
    return response.values()


def test_fifty_respondents_replying_concurrently_lose_nothing_and_keep_order(
        server_url, sms_runtime, sms_channel, invite, fake_twilio, service):
    numbers = [f"+4477009{i:05d}" for i in range(RESPONDENTS)]
    respondents = {number: invite(number) for number in numbers}
    texts = ["1", "30", "2"]
    jobs = [(number, body, f"SM{index:04d}{turn}{'0' * 26}")
            for index, number in enumerate(numbers) for turn, body in enumerate(texts)]
    barrier = threading.Barrier(RESPONDENTS)

    def respondent_thread(number):
        with httpx.Client(base_url=server_url, timeout=60) as client:
            barrier.wait()
            # each respondent's three texts race each other as well as everyone else's
            with ThreadPoolExecutor(3) as pool:
                list(pool.map(lambda job: post(client, *job), [j for j in jobs if j[0] == number]))

    with ThreadPoolExecutor(RESPONDENTS) as pool:
        list(pool.map(respondent_thread, numbers))
    assert service.pump.wait_idle(60)

    sms = sms_channel.sms_store(sms_runtime)
    assert sms.inbound_count() == RESPONDENTS * 3 and sms.inbound_count("pending") == 0
    items = sms_runtime.store.outbox_items("sms")
    assert Counter(item.key for item in items).most_common(1)[0][1] == 1
    # one answer per text, none lost: the next question or a hint, or the thanks when it completed
    answers = Counter(item.respondent_id for item in items if item.key.startswith(("reply:", "end:")))
    assert set(answers.values()) == {3} and len(answers) == RESPONDENTS
    assert {item.status for item in items} == {"sent"}
    assert len(fake_twilio.sent()) == RESPONDENTS * 4

    instrument = sms_runtime.instrument("sample")
    from sqlalchemy import select

    from rightsaware_sms.sms_store import inbound

    with sms_runtime.store.engine.connect() as connection:
        rows = connection.execute(select(inbound.c.message_sid, inbound.c.sender_key).order_by(inbound.c.id)).all()
    body_of = {sid: body for _, body, sid in jobs}
    by_respondent = {r.respondent_id: r for r in sms_runtime.store.iter_responses("sample", status=None)}
    for number, respondent in respondents.items():
        arrival = [body_of[row.message_sid] for row in rows if row.sender_key == respondent]
        response = by_respondent[respondent]
        assert response.values() == replay(instrument, arrival), (number, arrival)


def test_group_commit_keeps_one_row_per_message_sid(sms_runtime, sms_channel):
    from rightsaware.response import utcnow
    from rightsaware.store.engine import write_transaction

    sms = sms_channel.sms_store(sms_runtime)
    first = sms.record_inbound("SM" + "a" * 32, "key-1", "+447700900123", "un")
    assert isinstance(first, int)

    def values(sid, body):
        return {"message_sid": sid, "sender_key": "key-1", "payload": {"from": "+447700900123", "body": body},
                "state": "pending", "received_at": utcnow()}

    batch = [values("SM" + "a" * 32, "un eto"), values("SM" + "b" * 32, "dau"), values("SM" + "b" * 32, "dau eto"),
             values("SM" + "c" * 32, "tri")]
    with write_transaction(sms.engine) as connection:
        results = sms._write_inbound(connection, batch)
    assert results[0] is None and results[2] is None
    assert results[1] < results[3]  # arrival order is kept
    assert [row["body"] for row in sms.pending_inbound("key-1")] == ["un", "dau", "tri"]
    with ThreadPoolExecutor(16) as pool:  # concurrent submissions of the same sids
        ids = list(pool.map(lambda i: sms.record_inbound(f"SM{i % 4:032d}", "key-2", "+447700900124", "x"), range(64)))
    assert len([i for i in ids if i is not None]) == 4
