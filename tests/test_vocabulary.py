"""Reply words: commands in three languages and general yes/no fallbacks (briefs/i18n.md §3.4–3.5)."""

from __future__ import annotations

import unicodedata

import pytest

from rightsaware.i18n import Translator
from rightsaware.vocabulary import (ANSWER_WORDS, COMMAND_WORDS, SWITCH_WORDS, ReplyIntent,
                                    answer_code, classify_reply, keyword, match_reply, yes_no_code)
from rightsaware.text import reply_key


@pytest.mark.parametrize(
    ("reply", "language"),
    [("CYMRAEG", "cy"), ("cymraeg", "cy"), ("Welsh", "cy"), ("Gàidhlig", "gd"), ("GAIDHLIG", "gd"),
     ("GÀIDHLIG", "gd"), ("Gáidhlig", "gd"), ("gaelic", "gd"), ("ENGLISH.", "en"), ("Saesneg", "en"),
     ("BEURLA", "en"), (unicodedata.normalize("NFD", "Gàidhlig"), "gd")],
)
def test_language_switch_words(reply: str, language: str) -> None:
    assert classify_reply(reply) == ReplyIntent("switch_language", language)


@pytest.mark.parametrize("reply", ["Cymraeg please", "I speak English", "english 2", "", "   ", "!!"])
def test_a_switch_is_only_the_whole_message(reply: str) -> None:
    assert classify_reply(reply) is None


@pytest.mark.parametrize(
    "reply", ["STOP", "stop", " Stop ", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
              "OPTOUT", "Stop.", "STOPIO", "dad-danysgrifio", "Dad–danysgrifio", "STAD", "sguir"],
)
def test_stop_words_in_any_language(reply: str) -> None:
    assert classify_reply(reply) == ReplyIntent("stop")


def test_stop_with_more_words_is_not_an_automatic_stop() -> None:
    assert classify_reply("STOP PLEASE") is None  # Twilio does not block it either


@pytest.mark.parametrize(
    ("reply", "kind"),
    [("START", "start"), ("unstop", "start"), ("HELP", "help"), ("info", "help"), ("CYMORTH", "help"),
     ("cuideachadh", "help"), ("BACK", "back"), ("nôl", "back"), ("NOL", "back"), ("yn ôl", "back"),
     ("air ais", "back"), ("skip", "skip"), ("HEPGOR", "skip"), ("leum", "skip")],
)
def test_other_commands(reply: str, kind: str) -> None:
    assert classify_reply(reply) == ReplyIntent(kind)


def test_yes_is_an_answer_not_twilios_opt_in() -> None:
    assert classify_reply("YES") is None
    assert yes_no_code("YES") == "yes"


def test_catalog_keywords_are_recognised_and_shown() -> None:
    translator = Translator.with_core()
    cy, gd, en = (translator.messages(x) for x in ("cy", "gd", "en"))
    assert keyword("back", cy) == "NÔL"
    assert keyword("back", gd) == "AIR AIS"
    assert keyword("back", en) == "BACK"
    # STOP stays STOP in every language so that Twilio's own block applies too.
    assert keyword("stop", cy) == keyword("stop", gd) == "STOP"
    for messages in (cy, gd):
        for kind in ("help", "stop", "start", "back", "skip"):
            assert classify_reply(keyword(kind, messages), messages) == ReplyIntent(kind)


# The brief's prototype table (§3.4) and the per-language lists (§3.5, domain.md §4.3).
@pytest.mark.parametrize(
    ("reply", "locale", "code"),
    [("Ydw!", "cy", "yes"), ("NAG YDW", "cy", "no"), ("Na’dw", "cy", "no"), ("nac  ydw", "cy", "no"),
     ("ydŵ", "cy", "yes"), ("Oes", "cy", "yes"), ("Nac oes", "cy", "no"), ("naddo", "cy", "no"),
     ("Ie", "cy", "yes"), ("Na", "cy", "no"), ("Ddim yn siŵr", "cy", "dont_know"),
     ("ddim yn siwr", "cy", "dont_know"), ("Chan eil", "gd", "no"), ("chaneil", "gd", "no"),
     ("THA.", "gd", "yes"), ("Aidh", "gd", "yes"), ("Bha", "gd", "yes"), ("cha robh", "gd", "no"),
     ("’S e", "gd", "yes"), ("Chan eil fhios agam", "gd", "dont_know"), ("yes", "cy", "yes"),
     ("N", "gd", "no"), ("dunno", "en", "dont_know"), ("Y", None, "yes"), ("nac ydw", None, "no")],
)
def test_yes_no_code(reply: str, locale: str | None, code: str) -> None:
    assert yes_no_code(reply, locale) == code


@pytest.mark.parametrize("reply", ["no thanks", "ydw, diolch", "1", "maybe", "", "ydwwww"])
def test_unclear_replies_are_not_guessed(reply: str) -> None:
    assert yes_no_code(reply, "cy") is None


def test_do_is_english_too_so_only_a_question_label_makes_it_yes() -> None:
    assert yes_no_code("do", "cy") is None
    assert yes_no_code("Do", "cy", extra={"Do": "yes", "Naddo": "no"}) == "yes"


def test_only_the_current_language_plus_english() -> None:
    assert yes_no_code("na", "cy") == "no"
    assert yes_no_code("na", "gd") is None  # Welsh "no" is not a Gaelic answer
    assert yes_no_code("tha", "cy") is None
    assert yes_no_code("no", "gd") == "no"  # bilingual people answer in English


def test_prefer_not_to_say() -> None:
    assert answer_code("B’ fheàrr leam gun a ràdh", "gd") == "prefer_not_to_say"
    assert answer_code("Prefer not to say") == "prefer_not_to_say"
    assert yes_no_code("Prefer not to say") is None


def test_match_reply_with_a_questions_own_labels() -> None:
    forms = {"yes": ["Chuala"], "no": ["Cha chuala"]}
    assert match_reply("cha chuala.", forms) == "no"
    assert match_reply("CHUALA", forms) == "yes"
    assert match_reply("Chuala mi", forms) is None
    assert match_reply("teithio a phellter", {"transport": ["Teithio a phellter"]}) == "transport"


def test_word_lists_never_give_one_reply_two_meanings() -> None:
    meanings: dict[str, set] = {}
    for codes in ANSWER_WORDS.values():
        for code, words in codes.items():
            for word in words:
                for key in (reply_key(word), reply_key(word, accents=False)):
                    meanings.setdefault(key, set()).add(("answer", code))
    for language, words in SWITCH_WORDS.items():
        for word in words:
            for key in (reply_key(word), reply_key(word, accents=False)):
                meanings.setdefault(key, set()).add(("switch", language))
    for kind, by_language in COMMAND_WORDS.items():
        for words in by_language.values():
            for word in words:
                for key in (reply_key(word), reply_key(word, accents=False)):
                    meanings.setdefault(key, set()).add(("command", kind))
    clashes = {key: found for key, found in meanings.items() if len(found) > 1}
    assert clashes == {}
