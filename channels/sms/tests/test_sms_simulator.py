"""The SMS simulator page: start a survey, text it, see replies; nothing reaches Twilio."""

from __future__ import annotations

import re


def transcript(page_html):
    return re.findall(r'<li class="(in|out)"[^>]*>(.*?)\n\s*<span class="meta">', page_html, re.S)


def test_simulator_runs_a_survey_through_the_inbound_path(client, sms_runtime, sms_channel, fake_twilio):
    page = client.get("/sms/simulator")
    assert page.status_code == 200
    assert "SMS simulator" in page.text and 'name="instrument"' in page.text and "sample" in page.text
    assert page.headers["x-content-type-options"] == "nosniff"

    started = client.post("/sms/simulator/start", data={"instrument": "sample", "language": "cy"},
                          follow_redirects=False)
    assert started.status_code == 303
    token = started.cookies.get("sms_simulator")
    assert token and len(token) == 32
    page = client.get("/sms/simulator")
    texts = transcript(page.text)
    assert texts[0][0] == "out" and "Ydych chi wedi clywed am gydgynhyrchu?" in texts[0][1]
    assert "segment" in page.text  # encoding and segments are shown for each text

    for reply in ("ydw", "45", "2", "Dim byd – diolch"):
        client.post("/sms/simulator/send", data={"text": reply})
    page = client.get("/sms/simulator")
    texts = transcript(page.text)
    assert [d for d, _ in texts].count("in") == 4
    assert texts[-1][0] == "out" and ("Thank you" in texts[-1][1] or "Diolch" in texts[-1][1])
    assert "Dim byd – diolch" in page.text  # escaped, kept as typed

    assert fake_twilio.sent() == []  # the simulator never uses the real gateway
    respondent = sms_runtime.store.find_respondent("sms", "sim:" + token)
    responses = list(sms_runtime.store.iter_responses("sample", status=None, include_synthetic=True))
    mine = [r for r in responses if r.respondent_id == respondent]
    assert len(mine) == 1 and mine[0].synthetic and mine[0].status == "completed"
    assert mine[0].values()["barriers"] == ("transport",)
    assert list(sms_runtime.store.iter_responses("sample")) == []  # not counted in real results


def test_simulator_stop_and_html_escaping(client, fake_twilio):
    client.post("/sms/simulator/start", data={"instrument": "sample", "language": "en"})
    client.post("/sms/simulator/send", data={"text": "<script>alert(1)</script>"})
    page = client.get("/sms/simulator")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    client.post("/sms/simulator/send", data={"text": "STOP"})
    texts = transcript(client.get("/sms/simulator").text)
    assert "START" in texts[-1][1]  # the console gateway does not confirm STOP itself, so we do
    assert fake_twilio.sent() == []


def test_simulator_reset_and_unknown_survey(client):
    client.post("/sms/simulator/start", data={"instrument": "sample", "language": "gd"})
    reset = client.post("/sms/simulator/reset", follow_redirects=False)
    assert reset.status_code == 303
    page = client.get("/sms/simulator")
    assert 'name="instrument"' in page.text
    bad = client.post("/sms/simulator/start", data={"instrument": "no-such-survey", "language": "en"})
    assert bad.status_code == 200 and "no-such-survey" in bad.text and 'role="alert"' in bad.text


def test_send_without_a_session_does_nothing(client, sms_runtime, sms_channel):
    response = client.post("/sms/simulator/send", data={"text": "1"}, follow_redirects=False)
    assert response.status_code == 303
    assert sms_channel.sms_store(sms_runtime).inbound_count() == 0


def test_simulator_page_in_welsh_and_linked_from_home(client):
    page = client.get("/sms/simulator?lang=cy")
    assert '<html lang="cy">' in page.text
    home = client.get("/")
    assert "/sms/simulator" in home.text
