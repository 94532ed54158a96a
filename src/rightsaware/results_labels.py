"""Names for everything in the results, in one language: questions, options, groups, figures.

Reports, exports and the dashboard use :class:`Labels`, so a group or an option is called the
same everywhere. ``Labels(runtime, instrument, "codes")`` gives the stored codes instead
(for exports meant for other software).
"""

from __future__ import annotations

from typing import Any

from .aggregate_model import ALL, OTHER
from .aggregate_sql import AGE_BANDS, UNKNOWN
from .aggregate_tables import AWARENESS
from .i18n import N_, localize

CODES = "codes"
CHANNEL_NAMES = {"web": N_("Web"), "sms": N_("Text message (SMS)"), "paper": N_("Paper"),
                 "terminal": N_("Terminal"), "api": N_("API")}
DIMENSION_NAMES = {"channel": N_("Channel"), "language": N_("Language"), "nation": N_("Nation"),
                   "local_authority": N_("Local authority"), "age_band": N_("Age band"),
                   "rural_urban": N_("Rural or urban")}
BAND_NAMES = {"none": N_("None of them"), "some": N_("Fewer than half"), "most": N_("Half or more, not all"),
              "all": N_("All of them")}
ITEM_NAMES = {"base": N_("Base (answers counted)"), "answered": N_("Answered"), "no_answer": N_("No answer"),
              "agree": N_("Agree (total)"), "mentions": N_("Mentions"), "respondents": N_("Respondents")}


class Labels:
    """Translated (or coded) names for one instrument's results."""

    def __init__(self, runtime: Any, instrument: Any, language: str) -> None:
        self.instrument = instrument
        self.codes = language == CODES
        self.language = "en" if self.codes else language
        self.m = runtime.messages(self.language)
        self.text = localize(instrument, self.m)
        self.members: dict[tuple[str, str], tuple[str, ...]] = {}

    def know(self, results: Any) -> Labels:
        """Learn which groups a run combined, to name them by their members."""
        for dim in results.dimensions:
            for group in dim.groups:
                if group.members:
                    self.members[(dim.name, group.key)] = group.members
        return self

    def question(self, name: str) -> str:
        if name == AWARENESS:
            return AWARENESS if self.codes else self.m._("Rights known, out of the rights asked about")
        if self.codes:
            return name
        return self.text.label(self.instrument.question(name))

    def option(self, question: str, code: str) -> str:
        if self.codes:
            return code
        if question == AWARENESS:
            return self.m._(BAND_NAMES[code])
        q = self.instrument.question(question)
        for choice in self.instrument.choices_for(q):
            if choice.name == code:
                return self.text.choice_label(q, choice)
        return code

    def dimension(self, name: str | None) -> str:
        if name is None:
            return "" if self.codes else self.m._("Everyone")
        if self.codes:
            return name
        if name in DIMENSION_NAMES:
            return self.m._(DIMENSION_NAMES[name])
        try:
            return self.text.label(self.instrument.question(name))
        except KeyError:
            return name

    def group(self, dimension: str | None, key: str, question: str | None = None) -> str:
        """The name of a row: everyone, a channel, a language, an option, or a merged group."""
        if self.codes:
            return key
        if key == ALL:
            return self.m._("Everyone")
        if key == UNKNOWN:
            return self.m._("Not known")
        if key.startswith(OTHER):
            members = self.members.get((dimension or "", key))
            if members:
                names = [self.group(dimension, m, question) for m in members]
                return self.m._("Combined: {names}", names=self.m.format_list(names))
            return self.m._("Small groups combined")
        if dimension == "channel":
            return self.m._(CHANNEL_NAMES[key]) if key in CHANNEL_NAMES else key
        if dimension == "language":
            try:
                return self.m.language_name(key)
            except Exception:  # noqa: BLE001 - an unexpected code is shown as it is
                return key
        if question is not None:
            return self.option(question, key)
        if dimension == "age_band":
            return self.age_band(key)
        return key

    def age_band(self, key: str) -> str:
        if key == "under_16":
            return self.m._("Under 16")
        for (low, name), following in zip(AGE_BANDS, list(AGE_BANDS[1:]) + [None]):
            if name == key:
                if following is None:
                    return self.m._("{low} and over", low=self.m.format_number(low))
                return self.m._("{low} to {high}", low=self.m.format_number(low),
                                high=self.m.format_number(following[0] - 1))
        return key

    def item(self, name: str) -> str:
        return name if self.codes else self.m._(ITEM_NAMES[name])

    def dimension_question(self, results: Any, name: str | None) -> str | None:
        """The question a breakdown comes from (its groups are that question's options)."""
        if name is None:
            return None
        for dim in results.dimensions:
            if dim.name == name and dim.question and name != "age_band":
                return dim.question
            if dim.name == name and name == "age_band" and dim.question:
                question = self.instrument.question(dim.question)
                return dim.question if question.kind == "select_one" else None
        return None
