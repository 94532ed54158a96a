"""SIGKILL a real worker process at awkward moments; restarted, it sends every text exactly once.

The worker runs as ``rightsaware sms worker`` in a subprocess and talks to the fake Twilio
over HTTP. The fake kills the worker from inside its ``create`` handler: before it answers
(the message is stored but the worker never learns its SID) and a few milliseconds after it
answered (before or while the worker records the SID). The last run completes; then every
queued text must be at Twilio exactly once and marked sent with its own SID.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter

import pytest

from rightsaware_sms.channel import QUEUE_CAMPAIGN
from rightsaware_sms.fake_twilio import FROM, FakeTwilio

MESSAGES = 60


@pytest.fixture
def fake_server():
    fake = FakeTwilio()
    server, url = fake.serve()
    yield fake, url
    server.shutdown()


def worker_env(runtime, url, sample_folder, cache):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TWILIO_", "RIGHTSAWARE_")) and key != "PYTHONDONTWRITEBYTECODE"}
    env.update({
        "PYTHONPYCACHEPREFIX": str(cache),  # compiled once for all the restarts, outside the venv
        "RIGHTSAWARE_DATA_DIR": runtime.settings.data_dir,
        "RIGHTSAWARE_SECRET_KEY": runtime.settings.secret_key,
        "RIGHTSAWARE_INSTRUMENTS_DIR": str(sample_folder),
        "RIGHTSAWARE_DISABLE_PLUGINS": "web,paper",
        "RIGHTSAWARE_PUBLIC_URL": "https://survey.example.org",
        "TWILIO_ACCOUNT_SID": FakeTwilio().account_sid,
        "TWILIO_AUTH_TOKEN": FakeTwilio().auth_token,
        "RIGHTSAWARE_SMS_FROM": FROM,
        "RIGHTSAWARE_SMS_API_BASE_URL": url,
        "RIGHTSAWARE_SMS_RATE": "400",
        "RIGHTSAWARE_SMS_LEASE_SECONDS": "0.5",
        "RIGHTSAWARE_SMS_QUIET_HOURS": "off",
    })
    return env


def test_worker_killed_at_any_instant_sends_each_text_once(sms_runtime, service, fake_server, sample_instrument_path,
                                                           tmp_path):
    fake, url = fake_server
    store = sms_runtime.store
    for i in range(MESSAGES):
        respondent = store.ensure_respondent("sms", f"+4477009{i:05d}")
        service.conversations.start(respondent, "sample", "en", key=f"invite:sample:{respondent}",
                                    queue=QUEUE_CAMPAIGN)
    command = [sys.executable, "-c", "from rightsaware.cli import main; main()", "sms", "worker", "--exit-when-done"]
    env = worker_env(sms_runtime, url, sample_instrument_path.parent, tmp_path / "pycache")
    # (creates seen in this run before the kill, delay after the create in seconds; None = kill before answering)
    plans = [(5, None), (9, 0.001), (4, None), (12, 0.004), (7, 0.0), (None, None)]
    kills = 0
    for after, delay in plans:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seen = [0]

        def on_create(_message, process=process, after=after, delay=delay, seen=seen):
            seen[0] += 1
            if after is None or seen[0] != after:
                return
            if delay is None:
                process.send_signal(signal.SIGKILL)  # the message is stored; the worker never hears back
            else:
                threading.Timer(delay, process.send_signal, (signal.SIGKILL,)).start()

        fake.on_create = on_create
        _, stderr = process.communicate(timeout=60)
        if process.returncode == -signal.SIGKILL:
            kills += 1
        else:
            assert process.returncode == 0, stderr.decode(errors="replace")
    fake.on_create = None
    assert kills >= 3, "the worker finished before it could be killed often enough"

    items = store.outbox_items(QUEUE_CAMPAIGN)
    assert len(items) == MESSAGES
    assert {item.status for item in items} == {"sent"}, Counter(item.status for item in items)
    sent = fake.sent()
    per_number = Counter(message.to for message in sent)
    assert len(sent) == MESSAGES, f"duplicates at Twilio: {[n for n, c in per_number.items() if c > 1]}"
    assert set(per_number) == {store.contact_address(item.respondent_id, "sms") for item in items}
    assert sorted(item.provider_id for item in items) == sorted(message.sid for message in sent)
    # the restarts really had to settle unknown outcomes: items leased twice, Twilio's list consulted
    assert max(item.attempts for item in items) >= 2
    assert any(method == "GET" for method, _path in fake.requests)
