"""Conversations through the signed webhook: answers, hints, commands, languages, opt-out, the end."""

from __future__ import annotations

import attrs
import pytest

NUMBER = "+447700900123"


def last_body(fake, number=NUMBER):
    bodies = fake.bodies_to(number)
    return bodies[-1] if bodies else None


def active(runtime, respondent_id):
    return runtime.store.active_response(respondent_id, channel="sms")


def test_a_whole_interview_by_text(sms_runtime, fake_twilio, invite, text):
    respondent = invite(NUMBER)
    first = last_body(fake_twilio)
    assert "Taking part where you live" in first and "STOP" in first
    assert "Cymraeg?" in first and "Gàidhlig?" in first  # the other languages are offered
    assert "1/3 Have you heard of co-production?\n1) Yes\n2) No" in first
    response_id = active(sms_runtime, respondent).id

    response = text(NUMBER, "1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Response />" in response.text
    assert last_body(fake_twilio) == "2/4 How old are you?"
    text(NUMBER, "thirty")
    assert last_body(fake_twilio) == "Please enter a whole number, for example 42.\n2/4 How old are you?"
    text(NUMBER, "12")
    assert last_body(fake_twilio).startswith("Please give an age between 16 and 120.\n2/4")
    text(NUMBER, "30")
    assert last_body(fake_twilio).startswith("3/4 What stops you taking part?\n1) Time")
    text(NUMBER, "1 3")
    assert last_body(fake_twilio).startswith("4/4 Anything else?")
    text(NUMBER, "Mae'r bws yn hwyr – bob tro")
    assert last_body(fake_twilio) == "Thank you! Your answers have been saved."

    stored = sms_runtime.store.load_response(response_id)
    assert stored.status == "completed"
    assert stored.values() == {"heard": "yes", "age": 30, "barriers": ("time", "language"),
                               "comment": "Mae'r bws yn hwyr – bob tro"}
    assert {answer.channel for answer in stored.answers.values()} == {"sms"}
    # every text went through the real SDK with Smart Encoding off and our status callback
    for message in fake_twilio.sent():
        assert message.form["SmartEncoded"] == "false"
        assert message.form["StatusCallback"] == "https://survey.example.org/sms/status"
        assert message.form["From"] == "+447700900001"
        assert message.form["ValidityPeriod"] == "14400"


def test_welsh_interview_switch_back_help_and_skip(sms_runtime, fake_twilio, invite, text):
    respondent = invite(NUMBER, "cy")
    first = last_body(fake_twilio)
    assert "Ydych chi wedi clywed am gydgynhyrchu?\n1) Ydw\n2) Nac ydw" in first
    text(NUMBER, "nac ydw")  # the option's own Welsh label
    assert active(sms_runtime, respondent).answers["heard"].value == "no"
    assert "Faint yw eich oed chi?" in last_body(fake_twilio)
    text(NUMBER, "ENGLISH")
    body = last_body(fake_twilio)
    assert "How old are you?" in body
    assert active(sms_runtime, respondent).language == "en"
    assert sms_runtime.store.respondent(respondent).language == "en"
    text(NUMBER, "back")
    assert "Have you heard of co-production?" in last_body(fake_twilio)
    assert "heard" not in active(sms_runtime, respondent).answers
    text(NUMBER, "Gàidhlig")
    assert "An cuala tu mu co-production" in last_body(fake_twilio)
    text(NUMBER, "chuala")  # the Gaelic option label, accents forgiven by matching only
    text(NUMBER, "45")
    assert "Dè a tha gad chumail" in last_body(fake_twilio)
    text(NUMBER, "HELP")
    assert "STOP" in last_body(fake_twilio) and "Dè a tha gad chumail" in last_body(fake_twilio)
    text(NUMBER, "SKIP")  # barriers is optional
    assert "A bheil dad eile ann?" in last_body(fake_twilio)
    values = active(sms_runtime, respondent).values()
    assert values["heard"] == "yes" and values["age"] == 45 and values["barriers"] is None
    languages = {name: answer.language for name, answer in active(sms_runtime, respondent).answers.items()}
    assert languages["heard"] == "gd"


def test_a_required_question_cannot_be_skipped(sms_runtime, fake_twilio, invite, text):
    respondent = invite(NUMBER)
    text(NUMBER, "skip")
    body = last_body(fake_twilio)
    assert body.startswith("This question needs an answer.\n1/3 Have you heard")
    assert "heard" not in active(sms_runtime, respondent).answers


def test_unknown_number_without_a_survey_gets_one_short_answer_a_day(sms_runtime, fake_twilio, text):
    text(NUMBER, "hello?")
    text(NUMBER, "anyone there?")
    assert fake_twilio.bodies_to(NUMBER) == ["Thank you for your message. There is no survey open for you at the moment."]


def test_texting_in_starts_the_configured_survey_in_the_chosen_language(sms_runtime, sms_channel, fake_twilio, text):
    sms_channel.settings = attrs.evolve(sms_channel.settings, instrument="sample")
    text(NUMBER, "Cymraeg")
    body = last_body(fake_twilio)
    assert "Ydych chi wedi clywed am gydgynhyrchu?" in body
    respondent = sms_runtime.store.find_respondent("sms", NUMBER)
    assert active(sms_runtime, respondent).language == "cy"


@pytest.mark.parametrize(("word", "confirmation"), [
    ("STOP", None), (" stop ", None), ("Unsubscribe", None),  # Twilio confirms its own keywords
    ("Stopio", "cy"), ("SGUIR", "gd"), ("stad", "gd"),  # ours: we confirm, in the respondent's language
])
def test_stop_in_three_languages(sms_runtime, fake_twilio, invite, text, word, confirmation):
    language = confirmation or "en"
    respondent = invite(NUMBER, language)
    response_id = active(sms_runtime, respondent).id
    before = len(fake_twilio.bodies_to(NUMBER))
    text(NUMBER, word)
    record = sms_runtime.store.respondent(respondent)
    assert "sms" in record.opted_out_channels
    assert sms_runtime.store.load_response(response_id).status == "abandoned"
    new = fake_twilio.bodies_to(NUMBER)[before:]
    if confirmation is None:
        assert new == []
    else:
        assert len(new) == 1 and "START" in new[0]
    # nothing more is sent: a later text gets no question, a queued text is vetoed
    text(NUMBER, "1")
    assert fake_twilio.bodies_to(NUMBER)[before + len(new):] == []


def test_opt_out_type_from_advanced_opt_out_with_any_body(sms_runtime, fake_twilio, invite, text):
    respondent = invite(NUMBER)
    text(NUMBER, "please no more", OptOutType="STOP")
    assert "sms" in sms_runtime.store.respondent(respondent).opted_out_channels


def test_start_after_stop_resubscribes(sms_runtime, fake_twilio, invite, text, service):
    respondent = invite(NUMBER)
    text(NUMBER, "STOP")
    text(NUMBER, "START")
    assert "sms" not in sms_runtime.store.respondent(respondent).opted_out_channels
    service.conversations.start(respondent, "sample", "en", key="second-campaign")
    service.send_now(respondent)
    assert "Have you heard" in last_body(fake_twilio)


def test_stop_is_honoured_before_a_queued_text_goes(sms_runtime, fake_twilio, invite, text, service):
    respondent = invite(NUMBER)
    service.conversations.enqueue(respondent, "A question that must not go", kind="question", key="late",
                                  language="en")
    text(NUMBER, "STOP")
    service.send_now(respondent)
    assert "A question that must not go" not in fake_twilio.bodies_to(NUMBER)
    item = next(i for i in sms_runtime.store.outbox_items("sms") if i.key == "late")
    assert item.status == "failed" and item.error_code == "opted_out"


def test_twilio_21610_is_an_opt_out(sms_runtime, fake_twilio, invite):
    fake_twilio.opted_out.add(NUMBER)
    respondent = invite(NUMBER)
    assert "sms" in sms_runtime.store.respondent(respondent).opted_out_channels
    assert active(sms_runtime, respondent) is None
    item = sms_runtime.store.outbox_items("sms")[0]
    assert item.status == "failed" and item.error_code == "21610"


def test_referrals_in_the_closing_text_fit_the_length(sms_runtime, sms_channel):
    instrument = sms_runtime.instrument("sample")
    texts = sms_channel.texts(sms_runtime, instrument, "cy")
    lines = [f"Sefydliad {n}: 0300 123 45{n:02d}" for n in range(40)]
    body = texts.closing(lines, max_segments=2)
    from rightsaware_sms.segments import measure, prepare

    assert measure(prepare(body)).segments <= 2
    assert "Sefydliad 0: 0300 123 4500" in body
    assert texts.closing([], max_segments=2) == texts.closing(lines, max_segments=2).split("\n")[0]


def test_a_long_list_is_answered_by_name_in_any_language(sms_runtime, fake_twilio, invite, text):
    respondent = invite(NUMBER, "cy", instrument="rights-wales")
    text(NUMBER, "1")  # consent
    text(NUMBER, "Cymru")  # the nation, by its Welsh label
    body = last_body(fake_twilio)
    assert "Ym mha ardal cyngor ydych chi'n byw?" in body
    assert "22)" not in body and "Blaenau Gwent" in body  # the 22 areas are not listed
    from rightsaware_sms.segments import measure, prepare

    assert measure(prepare(body)).segments <= 3
    text(NUMBER, "Llanrwst")
    assert last_body(fake_twilio).startswith("Wnaethon ni ddim adnabod yr enw yna.")
    text(NUMBER, "ynys mon")  # no circumflex, lower case: still Ynys Môn
    assert active(sms_runtime, respondent).values()["local_authority"] == "isle_of_anglesey"


REFERRAL_SURVEY = """\
id = "referme"
version = "1"
title = "Help"
languages = ["en"]
jurisdiction = "wales"

[[questions]]
name = "heard"
type = "select_one yes_no"
label = "Have you heard of co-production?"

[[referrals]]
when = "${heard} = 'no'"
topics = ["co-production"]

[choices]
yes_no = [ { name = "yes", label = "Yes" }, { name = "no", label = "No" } ]
"""


@pytest.mark.parametrize("synthetic", [False, True])
def test_the_closing_text_names_the_chosen_organisations(sms_runtime, fake_twilio, service, tmp_path, synthetic):
    from rightsaware.loading import load_instrument
    from rightsaware.referral import choose_for_response

    path = tmp_path / "referme.toml"
    path.write_text(REFERRAL_SURVEY, encoding="utf-8")
    sms_runtime.instruments.add(load_instrument(path), path)
    respondent = sms_runtime.store.ensure_respondent("sms", NUMBER)
    response_id = service.conversations.start(respondent, "referme", "en", key="referme", synthetic=synthetic)
    service.send_now(respondent)
    service.conversations.receive({"MessageSid": "SM" + "r" * 32, "From": NUMBER, "Body": "2"})
    service.send_now(respondent)
    closing = last_body(fake_twilio)
    response = sms_runtime.store.load_response(response_id)
    chosen = choose_for_response(sms_runtime, response, sms_runtime.instrument("referme"))
    assert chosen, "the directory has organisations on co-production in Wales"
    assert closing.startswith("Thank you! Your answers have been saved.\nHelp is available from:\n")
    assert chosen[0][0].name("en") in closing
    assert "https://" not in closing
    assert len(sms_runtime.store.referrals_for(response_id)) == (0 if synthetic else len(chosen))
