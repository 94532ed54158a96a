"""Webhook signatures: valid, forged, missing, replayed to another URL; nothing changes on a 403."""

from __future__ import annotations

import unicodedata

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rightsaware_sms.fake_twilio import TOKEN, inbound_form, signed_post
from rightsaware_sms.gateway import compute_signature

PUBLIC = "https://survey.example.org"
NUMBER = "+447700900123"


def inbound_rows(runtime, channel):
    return channel.sms_store(runtime).inbound_count()


def test_valid_signature_is_accepted_even_with_blank_and_unknown_fields(client, sms_runtime, sms_channel):
    form = inbound_form(NUMBER, "helo", "SM" + "1" * 32, FromCity="", SomethingNew="from 2030")
    response = client.post("/sms/inbound", **signed_post(form, PUBLIC + "/sms/inbound"))
    assert response.status_code == 200
    assert response.text.endswith("<Response />")
    assert inbound_rows(sms_runtime, sms_channel) == 1


def forged_cases():
    good = inbound_form(NUMBER, "1", "SM" + "2" * 32)
    url = PUBLIC + "/sms/inbound"
    yield "missing", {"data": good, "headers": {}}
    yield "wrong token", {"data": good, "headers": {"X-Twilio-Signature": compute_signature("not-the-token", url, good)}}
    yield "garbage", {"data": good, "headers": {"X-Twilio-Signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}}
    for field in ("Body", "From", "MessageSid"):
        tampered = dict(good, **{field: good[field] + "9"})
        yield f"tampered {field}", {"data": tampered, "headers": signed_post(good, url)["headers"]}
    yield "dropped field", {"data": {k: v for k, v in good.items() if k != "FromCity"},
                            "headers": signed_post(good, url)["headers"]}
    yield "signed for the status URL", signed_post(good, PUBLIC + "/sms/status")
    yield "signed for http", signed_post(good, "http://survey.example.org/sms/inbound")
    yield "signed for another host", signed_post(good, "https://evil.example.org/sms/inbound")
    yield "signed with a query", signed_post(good, url + "?x=1")


@pytest.mark.parametrize(("name", "request_kwargs"), list(forged_cases()), ids=[n for n, _ in forged_cases()])
def test_forged_missing_or_replayed_signatures_get_403_and_change_nothing(
        client, sms_runtime, sms_channel, fake_twilio, name, request_kwargs):
    response = client.post("/sms/inbound", **request_kwargs)
    assert response.status_code == 403, name
    assert inbound_rows(sms_runtime, sms_channel) == 0
    assert sms_runtime.store.find_respondent("sms", NUMBER) is None
    assert fake_twilio.sent() == []


def test_replaying_an_inbound_request_to_the_status_url_is_refused(client, sms_runtime, sms_channel):
    form = {"MessageSid": "SM" + "3" * 32, "MessageStatus": "delivered"}
    response = client.post("/sms/status", **signed_post(form, PUBLIC + "/sms/inbound"))
    assert response.status_code == 403
    assert sms_channel.sms_store(sms_runtime).delivery("SM" + "3" * 32) is None


def test_query_string_is_part_of_the_signed_url(client, sms_runtime, sms_channel):
    form = inbound_form(NUMBER, "hi", "SM" + "4" * 32)
    response = client.post("/sms/inbound?campaign=spring", **signed_post(form, PUBLIC + "/sms/inbound?campaign=spring"))
    assert response.status_code == 200


def test_json_bodies_are_refused(client):
    response = client.post("/sms/inbound", json={"MessageSid": "SMx"}, headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 403


def test_without_a_public_url_or_token_every_webhook_is_refused(sms_runtime, sms_channel, app, client):
    form = inbound_form(NUMBER, "1", "SM" + "5" * 32)
    sms_channel.settings = attrs.evolve(sms_channel.settings, auth_token="")
    assert client.post("/sms/inbound", **signed_post(form, PUBLIC + "/sms/inbound")).status_code == 403
    assert inbound_rows(sms_runtime, sms_channel) == 0


def test_welsh_nfd_body_is_valid_and_stored_nfc(client, sms_runtime, sms_channel, invite, text):
    respondent = invite(NUMBER)
    for reply in ("1", "30", "skip"):
        text(NUMBER, reply)
    decomposed = unicodedata.normalize("NFD", "Mae'r tân yn y tŷ")
    response = text(NUMBER, decomposed)
    assert response.status_code == 200
    completed = [r for r in sms_runtime.store.iter_responses("sample", include_synthetic=True)
                 if r.respondent_id == respondent]
    assert completed[0].values()["comment"] == "Mae'r tân yn y tŷ"


def test_status_callbacks_need_a_valid_signature_and_only_move_forward(client, sms_runtime, sms_channel, invite,
                                                                        fake_twilio):
    invite(NUMBER)
    sid = fake_twilio.sent()[0].sid
    sms = sms_channel.sms_store(sms_runtime)
    assert sms.delivery(sid)["status"] == "queued"

    def callback(status, error=None, *, duplicate=False):
        url, form, signature = fake_twilio.status_callback(sid, status, error)
        assert url == PUBLIC + "/sms/status"
        response = client.post("/sms/status", data=form, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200
        return sms.delivery(sid)

    assert callback("delivered")["status"] == "delivered"  # arrives before "sent"
    assert callback("sent")["status"] == "delivered"
    assert callback("sending")["status"] == "delivered"
    assert callback("delivered")["status"] == "delivered"  # duplicate
    assert callback("undelivered", "30003")["status"] == "delivered"  # terminal states never regress
    assert sms.delivery(sid)["outbox_id"] == sms_runtime.store.outbox_items("sms")[0].id


def test_status_permutations_end_at_the_highest_rank(sms_runtime, sms_channel):
    import itertools

    sms = sms_channel.sms_store(sms_runtime)
    statuses = ["queued", "sent", "undelivered"]
    for index, order in enumerate(itertools.permutations(statuses + ["sent"])):
        sid = f"SMperm{index:026d}"
        for status in order:
            sms.record_delivery(sid, status)
        assert sms.delivery(sid)["status"] == "undelivered"
    assert sms.record_delivery("SMx", "bogus") is False


@given(params=st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
                              st.text(st.characters(blacklist_categories=("Cs",)), max_size=30), max_size=8),
       url=st.sampled_from([PUBLIC + "/sms/inbound", "https://survey.example.org:443/sms/inbound",
                            "http://localhost:8000/sms/inbound?x=1&y=", PUBLIC + "/sms/inbound?a=%C5%B5"]),
       tamper=st.booleans())
def test_fast_checker_agrees_with_the_sdk_validator(params, url, tamper):
    from twilio.request_validator import RequestValidator

    from rightsaware_sms.gateway import SignatureChecker

    signature = compute_signature(TOKEN, url, params)
    if tamper:
        signature = compute_signature(TOKEN, url, dict(params, extra="1"))
    expected = RequestValidator(TOKEN).validate(url, params, signature)
    assert SignatureChecker(TOKEN, url).valid(list(params.items()), signature) == expected
    assert expected == (not tamper)


def test_signature_of_the_url_with_its_default_port_is_accepted(client, sms_runtime, sms_channel):
    form = inbound_form(NUMBER, "hi", "SM" + "6" * 32)
    response = client.post("/sms/inbound", **signed_post(form, "https://survey.example.org:443/sms/inbound"))
    assert response.status_code == 200


def test_oversized_bodies_are_refused(client):
    form = inbound_form(NUMBER, "x" * 70_000, "SM" + "9" * 32)
    assert client.post("/sms/inbound", **signed_post(form, PUBLIC + "/sms/inbound")).status_code == 403
