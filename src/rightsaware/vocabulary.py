"""Words people type in replies: commands (language, help, stop, back, skip) and yes/no forms.

The interview engine calls :func:`classify_reply` on every free-typed reply (SMS, terminal)
before treating it as an answer, and :func:`yes_no_code` as a fallback when a reply to a
yes/no question matches none of the question's own (translated) option labels.

Rules, from briefs/i18n.md §3.4–3.5 and briefs/sms-twilio.md §2:

* A reply is a command only when the **whole** message is the keyword ("Cymraeg please"
  is not a switch), after :func:`rightsaware.text.reply_key` (NFC, case, apostrophes,
  punctuation); a second pass also ignores accents (``ydŵ``, ``Gáidhlig``, ``GAIDHLIG``).
* Stop words are honoured in every language state.
* Welsh and Gaelic have no all-purpose yes/no: the answer echoes the verb of the question.
  The lists below are general fallbacks; each question's own labels (``Ydw``/``Nac ydw``,
  ``Do``/``Naddo``) come from the instrument's catalogs and are matched first by the engine
  (:func:`match_reply` does that matching). *do* is an English word too, so it is accepted
  only through a question's own labels, never here. *na* is Welsh, not Gaelic.
* Digits are positional ("1" is the first option) and left to the engine.

Entries marked ``†`` could not be confirmed in a source when the briefs were written, and
``AI`` marks words proposed by the AI model that wrote this module; both are listed in
``locales/REVIEW.md`` for a fluent speaker to confirm.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from attrs import frozen

from .text import reply_key

INTENT_KINDS = ("switch_language", "help", "stop", "start", "back", "skip")
ANSWER_CODES = ("yes", "no", "dont_know", "prefer_not_to_say")
KEYWORD_CONTEXT = "reply keyword"


@frozen
class ReplyIntent:
    """A reply that is a command, not an answer. ``language`` is set for ``switch_language``."""

    kind: str
    language: str | None = None


# Language switch (i18n.md §3.4: CLDR names plus English; the cross-names Cuimris (gd for
# Welsh) and Gaeleg yr Alban (cy for Gaelic) are CLDR 49's).
SWITCH_WORDS: Mapping[str, tuple[str, ...]] = {
    "cy": ("cymraeg", "welsh", "cuimris"),
    "gd": ("gàidhlig", "gaidhlig", "gaelic", "scottish gaelic", "gaeleg", "gaeleg yr alban"),
    "en": ("english", "saesneg", "beurla"),
}

# Commands. English: Twilio's default single-word keywords (sms-twilio.md §2: opt-out STOP,
# STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT; opt-in START, UNSTOP; help HELP,
# INFO). Twilio's opt-in YES is left out on purpose: here "yes" is an answer, and Twilio
# itself only re-subscribes a number that had opted out.
# cy/gd stop words: the candidates in sms-twilio.md §2 (STOPIO, DAD-DANYSGRIFIO; STAD, SGUIR),
# "unreviewed suggestions for a native speaker". Recognising an unreviewed stop word is the
# safe direction (a respondent who wants out is let out).
COMMAND_WORDS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "stop": {
        "en": ("stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"),
        "cy": ("stopio", "dad-danysgrifio"),  # † sms-twilio.md candidates
        "gd": ("stad", "sguir"),  # † sms-twilio.md candidates
    },
    "start": {"en": ("start", "unstop")},
    "help": {
        "en": ("help", "info"),
        "cy": ("cymorth",),  # "support", as in gofal a chymorth (domain.md §4.1); AI
        "gd": ("cuideachadh",),  # AI
    },
    "back": {"en": ("back",), "cy": ("nôl", "yn ôl"), "gd": ("air ais",)},  # cy, gd: AI
    "skip": {"en": ("skip",), "cy": ("hepgor",), "gd": ("leum",)},  # cy, gd: AI
}

# General yes/no/don't know forms. Sources: i18n.md §3.5 (Wikibooks Welsh/Sylfaen/Gwers 1,
# grahamhall.org session 15, Welsh/Grammar/Verbs/Future, parallel.cymru; gaelicspraff,
# celtic-languages.org) and domain.md §4.2–4.3 (HMRC and HMCTS Welsh pairs, Mozilla strings).
ANSWER_WORDS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "en": {
        "yes": ("yes", "y", "yeah", "yep", "aye"),
        "no": ("no", "n", "nope", "nah"),
        "dont_know": ("don't know", "dont know", "do not know", "dunno", "not sure", "unsure"),
        "prefer_not_to_say": ("prefer not to say", "rather not say"),
    },
    "cy": {
        "yes": ("ydw", "ydyn", "ydy", "wyt", "ydych", "oes", "ie", "oeddwn", "oedd",  # oedd †
                "bydda", "byddaf", "byddwn", "byddai", "gwnaf", "gwna",
                "gallaf", "galla"),  # gallaf, galla †
        "no": ("nac ydw", "nag ydw", "na'dw", "nadw",  # na'dw, nadw †
               "nac ydy", "nag ydy", "nac ydyn", "nag ydyn", "nac wyt", "nac ydych", "nag ydych",
               "nac oes", "nag oes", "naddo", "nac oeddwn", "nag oeddwn", "nac oedd",  # nag oes, nac oedd †
               "na fydda", "na fyddaf", "na fyddai", "na wnaf", "na wna",
               "na allaf", "na alla", "nage", "na"),  # na allaf, na alla, nage †
        "dont_know": ("ddim yn gwybod", "ddim yn siŵr", "dydw i ddim yn siŵr", "ansicr"),
        "prefer_not_to_say": ("byddai'n well gen i beidio â dweud",
                              "mae'n well gen i beidio â dweud"),
    },
    "gd": {
        "yes": ("tha", "bha", "bidh", "'s e", "is e", "seadh", "aidh",  # seadh, aidh †
                "'s urrainn", "is urrainn", "'s toil", "is toil"),  # † (per question in practice)
        "no": ("chan eil", "chaneil", "cha robh", "cha bhi", "chan e",  # cha bhi †
               "chan urrainn", "cha toil"),  # †
        "dont_know": ("chan eil fhios agam", "chan eil mi cinnteach"),
        "prefer_not_to_say": ("b' fheàrr leam gun a ràdh",),
    },
}


def _index(pairs: Iterable[tuple[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    exact: dict[str, Any] = {}
    folded: dict[str, Any] = {}
    for word, value in pairs:
        exact.setdefault(reply_key(word), value)
        folded.setdefault(reply_key(word, accents=False), value)
    return exact, folded


def _lookup(text: str, index: tuple[dict[str, Any], dict[str, Any]]) -> Any:
    exact, folded = index
    key = reply_key(text)
    if key in exact:
        return exact[key]
    return folded.get(reply_key(text, accents=False))


_COMMANDS = _index(
    [(word, ReplyIntent("switch_language", language)) for language, words in SWITCH_WORDS.items()
     for word in words]
    + [(word, ReplyIntent(kind)) for kind, by_language in COMMAND_WORDS.items()
       for words in by_language.values() for word in words]
)
_ANSWERS = {
    language: _index((word, code) for code, words in codes.items() for word in words)
    for language, codes in ANSWER_WORDS.items()
}
_ALL_ANSWERS = _index(
    (word, code) for codes in ANSWER_WORDS.values() for code, words in codes.items() for word in words
)


def keyword_translations(messages: Any) -> dict[str, str]:
    """The command keywords as the locale's catalog writes them (first form is shown to users).

    The context is written out as a literal (``KEYWORD_CONTEXT``) so that extraction sees it.
    """
    m = messages
    return {
        # TRANSLATORS: a word respondents text to get help. Capitals; one word if you can.
        # Other accepted spellings may follow after commas; the first is shown in messages.
        "help": m.pgettext("reply keyword", "HELP"),
        # TRANSLATORS: a word respondents text to stop all messages (opt out). STOP is always
        # accepted too. Other accepted spellings may follow after commas.
        "stop": m.pgettext("reply keyword", "STOP"),
        # TRANSLATORS: a word respondents text to receive messages again after STOP.
        "start": m.pgettext("reply keyword", "START"),
        # TRANSLATORS: a word respondents text to go back to the previous question.
        "back": m.pgettext("reply keyword", "BACK"),
        # TRANSLATORS: a word respondents text to skip a question that is not required.
        "skip": m.pgettext("reply keyword", "SKIP"),
    }


def keyword(kind: str, messages: Any) -> str:
    """The keyword to show in instructions, e.g. ``keyword("back", m_cy) == "NÔL"``."""
    return keyword_translations(messages)[kind].split(",")[0].strip()


def classify_reply(text: str, messages: Any = None) -> ReplyIntent | None:
    """The command a whole reply is, or None when it should be treated as an answer.

    Built-in words of all three languages are always recognised; with ``messages`` the
    keywords as translated in that locale's catalog (all comma-separated forms) are too.
    """
    if not isinstance(text, str) or not reply_key(text):
        return None
    intent = _lookup(text, _COMMANDS)
    if intent is None and messages is not None:
        pairs = [(form, ReplyIntent(kind)) for kind, forms in keyword_translations(messages).items()
                 for form in forms.split(",") if form.strip()]
        intent = _lookup(text, _index(pairs))
    return intent


def answer_code(text: str, locale: str | None = None, *,
                extra: Mapping[str, str] | None = None) -> str | None:
    """``yes``, ``no``, ``dont_know``, ``prefer_not_to_say`` or None for a typed reply.

    ``locale`` limits the words to that language plus English (bilingual people often reply
    in English); None accepts all three. ``extra`` maps more forms to codes (a question's own
    translated labels) and is tried first.
    """
    if not isinstance(text, str) or not reply_key(text):
        return None
    if extra:
        found = _lookup(text, _index(extra.items()))
        if found is not None:
            return found
    if locale is None:
        return _lookup(text, _ALL_ANSWERS)
    from .i18n_languages import normalize_language

    language = normalize_language(locale)
    found = _lookup(text, _ANSWERS[language])
    if found is None and language != "en":
        found = _lookup(text, _ANSWERS["en"])
    return found


def yes_no_code(text: str, locale: str | None = None, *,
                extra: Mapping[str, str] | None = None) -> str | None:
    """``"yes"``, ``"no"``, ``"dont_know"`` or None (``prefer not to say`` is None here)."""
    code = answer_code(text, locale, extra=extra)
    return code if code in ("yes", "no", "dont_know") else None


def match_reply(text: str, forms: Mapping[str, Iterable[str]]) -> str | None:
    """The code whose forms include the whole reply (exact pass, then ignoring accents).

    ``forms`` maps a code to the texts that mean it, e.g. an option's translated label and
    SMS label: ``match_reply("nac ydw", {"yes": ["Ydw"], "no": ["Nac ydw"]}) == "no"``.
    """
    if not isinstance(text, str) or not reply_key(text):
        return None
    return _lookup(text, _index((form, code) for code, texts in forms.items() for form in texts))
