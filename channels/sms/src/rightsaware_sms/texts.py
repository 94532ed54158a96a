"""The texts the SMS channel sends, in the respondent's language, ready for :func:`segments.prepare`.

A question is its short SMS wording (``sms_label``, else the label), numbered options and a
short instruction where one is needed; the invitation adds who is asking, how to stop, and
an offer of the instrument's other languages, each written in that language. Keywords
(STOP, HELP, BACK, SKIP) are the ones the core vocabulary recognises, as the locale's
catalog spells them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rightsaware.flow import MSG_CHOICE
from rightsaware.i18n import language_name, localize
from rightsaware.text import truncate
from rightsaware.vocabulary import keyword

from .messages import sms_messages
from .segments import measure, prepare

#: The word each language is switched to with: its own name, written so it stays GSM-7
#: (a capital À would make every Gaelic message UCS-2; the lower-case à does not).
SWITCH_KEYWORDS = {"en": "English", "cy": "Cymraeg", "gd": "Gàidhlig"}
#: A single-choice list longer than this, that would need more segments than this, is asked by name.
NAME_MODE_CHOICES = 9
NAME_MODE_SEGMENTS = 4


class Texts:
    """Builds every message for one instrument (or none: opt-out, no survey) in one language."""

    def __init__(self, runtime: Any, instrument: Any | None, language: str, *, sender_name: str = "") -> None:
        self.runtime = runtime
        self.instrument = instrument
        self.language = language
        self.sender_name = sender_name
        self.core = runtime.messages(language)
        self.m = sms_messages(runtime, language)
        self.text = localize(instrument, self.core) if instrument is not None else None

    def kw(self, kind: str) -> str:
        return keyword(kind, self.core)

    # --- questions -------------------------------------------------------------------------

    def question(self, question: Any, *, number: int | None = None, total: int | None = None,
                 notes: Sequence[Any] = ()) -> str:
        """Notes first, then ``2/5 Label``, the options and an instruction.

        A long list (more than :data:`NAME_MODE_CHOICES` options that would need more than
        :data:`NAME_MODE_SEGMENTS` segments, such as the 22 or 32 council areas) is not
        listed: the respondent replies with the name, which the engine matches against the
        options' labels in every language, accents forgiven.
        """
        _ = self.m._
        lines = [self.text.sms_label(note) for note in notes]
        label = self.text.sms_label(question)
        if number is not None and total and (number, total) != (1, 1):
            label = f"{number}/{total} {label}"
        lines.append(label)
        if self.name_mode(question):
            example = self.text.choice_sms_label(question, self.instrument.choices_for(question)[0])
            lines.append(_("Reply with the name, for example {example}.", example=example))
        else:
            lines += self._options(question)
        kind = question.kind
        if kind == "select_multiple":
            lines.append(_("Reply with one or more numbers, for example 1 3."))
        elif kind == "date":
            lines.append(_("Reply with a date as day/month/year, for example 31/12/1990."))
        if not question.required:
            lines.append(_("Or reply {skip} to leave it out.", skip=self.kw("skip")))
        return "\n".join(lines)

    def _options(self, question: Any) -> list[str]:
        return [f"{index}) {self.text.choice_sms_label(question, choice)}"
                for index, choice in enumerate(self.instrument.choices_for(question), start=1)]

    def name_mode(self, question: Any) -> bool:
        """Whether the options are too many to list in a text (then the name is asked for)."""
        if question.kind != "select_one" or len(self.instrument.choices_for(question)) <= NAME_MODE_CHOICES:
            return False
        listed = "\n".join([self.text.sms_label(question), *self._options(question)])
        return measure(prepare(listed)).segments > NAME_MODE_SEGMENTS

    def invitation(self, question: Any, *, number: int, total: int, notes: Sequence[Any] = ()) -> str:
        """The first text: who asks, how to stop, other languages, then the first question."""
        intro = self.m._("{title}: a short survey by text. Reply with the number of your answer. "
                         "Reply {stop} at any time to stop.", title=self.text.title(), stop=self.kw("stop"))
        if self.sender_name:
            intro = f"{self.sender_name}: {intro}"
        return "\n".join([intro, *self.language_offers(), self.question(question, number=number, total=total, notes=notes)])

    def language_offers(self) -> list[str]:
        """For each other language of the instrument, an offer written in that language."""
        offers = []
        for other in self.instrument.languages:
            if other == self.language or other not in self.runtime.translator.languages:
                continue
            m = sms_messages(self.runtime, other)
            # TRANSLATORS: offered in YOUR language to people texted in another one, e.g. Welsh
            # "{language}? Atebwch {keyword}." ({language} and {keyword} are your language's name).
            offers.append(m._("{language}? Reply {keyword}.", language=language_name(other),
                              keyword=SWITCH_KEYWORDS.get(other, other)))
        return offers

    def reminder(self, question: Any, *, number: int, total: int) -> str:
        intro = self.m._("Reminder: {title}. You can still answer. Reply {stop} to stop texts.",
                         title=self.text.title(), stop=self.kw("stop"))
        return "\n".join([intro, self.question(question, number=number, total=total)])

    # --- replies ---------------------------------------------------------------------------

    def error(self, error: Any) -> str:
        """A short hint for a reply that was not understood or not allowed."""
        question = self.instrument.question(error.question)
        if error.custom:
            custom = self.text.constraint_message(question)
            if custom:
                return custom
        if error.message == MSG_CHOICE and self.name_mode(question):
            return self.m._("We did not recognise that name. Please check the spelling and reply again.")
        return self.core._(error.message, **error.params)

    def help(self) -> str:
        # TRANSLATORS: {back}, {skip} and {stop} are the keywords (BACK, SKIP, STOP) in your language.
        return self.m._("Reply with the number of your answer. {back}: the question before. {skip}: leave a "
                        "question out. {stop}: no more texts.",
                        back=self.kw("back"), skip=self.kw("skip"), stop=self.kw("stop"))

    def language_switched(self) -> str:
        # TRANSLATORS: sent when someone switches to YOUR language: name your own language here,
        # e.g. Welsh "Iawn, byddwn ni'n parhau yn Gymraeg."
        return self.m._("OK, we will carry on in English.")

    def cannot_skip(self) -> str:
        return self.m._("This question needs an answer.")

    def opted_out(self) -> str:
        return self.m._("You will get no more texts from us. To get them again, reply {start}.",
                        start=self.kw("start"))

    def withdrawn(self) -> str:
        return self.m._("Your consent is withdrawn: your answers will not be used in any results, and we "
                        "will send you no more texts. To get our texts again, reply {start}.", start=self.kw("start"))

    def opted_in(self) -> str:
        return self.m._("Thank you: you can get our texts again.")

    def no_survey(self) -> str:
        return self.m._("Thank you for your message. There is no survey open for you at the moment.")

    def closing(self, referrals: Sequence[str], *, max_segments: int) -> str:
        """Thanks, then as many whole referral lines (in the engine's order) as fit in ``max_segments``."""
        thanks = self.m._("Thank you! Your answers have been saved.")
        if not referrals:
            return thanks
        lines = [thanks, self.m._("Help is available from:")]

        def fits(candidate: list[str]) -> bool:
            return measure(prepare("\n".join(candidate))).segments <= max_segments

        for line in referrals:
            if not fits([*lines, line]):
                break
            lines.append(line)
        if len(lines) == 2:  # not even the first fits whole: shorten it, never a letter changed
            room = _room_left(lines, max_segments)
            while room > 20:
                cut = truncate(referrals[0], room, self.language, ellipsis="...")
                if fits([*lines, cut]):
                    lines.append(cut)
                    break
                room -= 5
        return thanks if len(lines) == 2 else "\n".join(lines)


def _room_left(lines: list[str], max_segments: int) -> int:
    """Roughly how many more characters fit, measured in the encoding the text already needs."""
    base = prepare("\n".join(lines)) + "\n"
    low, high = 0, 1600
    while low < high:
        middle = (low + high + 1) // 2
        if measure(base + "x" * middle).segments <= max_segments:
            low = middle
        else:
            high = middle - 1
    return low
