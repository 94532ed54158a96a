"""Synthetic responses: realistic-looking answer sets for trying reports and measuring scale.

Every simulated response is stored with ``synthetic=True`` and an id starting ``syn-``;
reports, exports and the dashboard leave them out unless asked to include them
(``--include-synthetic``). Answers follow the instrument's skip logic and validation
through :class:`rightsaware.flow.Engine`, across channels and languages, with small
differences between channels so that the mode comparison has something to find. Free
text is a plainly synthetic sentence, never anything that could be mistaken for a person.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from .errors import RightsawareError
from .flow import Engine
from .i18n import _
from .instrument import Instrument
from .response import STATUS_COMPLETED, Answer, Response

DEFAULT_CHANNELS = ("web", "sms", "paper")
CHANNEL_WEIGHTS = {"web": 5, "sms": 3, "paper": 2}
LANGUAGE_WEIGHTS = {
    "wales": {"en": 75, "cy": 22, "gd": 3},
    "scotland": {"en": 85, "gd": 13, "cy": 2},
}
SKIP_OPTIONAL = 0.1
MAX_TRIES = 25


class SimulationError(RightsawareError):
    """The instrument cannot be simulated (for example a constraint nothing random meets)."""


def _weights(rng: random.Random, count: int) -> list[float]:
    return [rng.gammavariate(1.5, 1.0) + 0.05 for _ in range(count)]


class Simulator:
    """Draws complete, valid, synthetic responses to one instrument."""

    def __init__(self, instrument: Instrument, *, seed: int | None = None,
                 channels: Sequence[str] = DEFAULT_CHANNELS, languages: Sequence[str] | None = None) -> None:
        if not channels:
            raise SimulationError(_("Give at least one channel to simulate."))
        self.instrument = instrument
        self.engine = Engine(instrument)
        self.rng = random.Random(seed)
        self.channels = tuple(channels)
        self.languages = tuple(languages or instrument.languages)
        unknown = [lang for lang in self.languages if lang not in instrument.languages]
        if unknown:
            raise SimulationError(_("This survey is not available in {languages}.", languages=", ".join(unknown)))
        table = LANGUAGE_WEIGHTS.get(instrument.jurisdiction or "", {})
        self.language_weights = [table.get(lang, 10) for lang in self.languages]
        self.channel_weights = [CHANNEL_WEIGHTS.get(c, 2) for c in self.channels]
        gates = self._gates()
        self.choice_weights: dict[str, list[float]] = {}
        self.channel_tilt: dict[tuple[str, str], list[float]] = {}
        for question in instrument.questions:
            choices = instrument.choices_for(question)
            if not choices:
                continue
            weights = _weights(self.rng, len(choices))
            for i, choice in enumerate(choices):
                weights[i] *= 1 + gates.get((question.name, choice.name), 0)
            self.choice_weights[question.name] = weights
            for channel in self.channels:
                self.channel_tilt[(question.name, channel)] = [self.rng.uniform(0.8, 1.25) for _ in choices]

    def _gates(self) -> dict[tuple[str, str], int]:
        """How many questions each answer opens (``${q} = 'c'``): such answers are drawn more often."""
        import re

        found: dict[tuple[str, str], int] = {}
        for question in self.instrument.questions:
            for name, code in re.findall(r"\$\{(\w+)\}\s*=\s*'([^']*)'", question.relevant or ""):
                found[(name, code)] = found.get((name, code), 0) + 2
        return found

    def response(self, now: dt.datetime) -> Response:
        rng = self.rng
        channel = rng.choices(self.channels, self.channel_weights)[0]
        language = rng.choices(self.languages, self.language_weights)[0]
        started = now - dt.timedelta(days=rng.uniform(0, 60), minutes=rng.uniform(1, 30))
        answered_at = started
        values: dict[str, Any] = {}
        answers: dict[str, Answer] = {}
        for question in self.instrument.questions:
            if not question.answerable or not self.engine.is_relevant(question, values):
                continue
            value = self._value(question, values, channel)
            answered_at += dt.timedelta(seconds=rng.uniform(3, 40))
            answers[question.name] = Answer(question=question.name, value=value, language=language, channel=channel,
                                            answered_at=answered_at, skipped=value is None)
            values[question.name] = value
        version = self.instrument.version
        return Response(
            id="syn-" + uuid.UUID(int=rng.getrandbits(128), version=4).hex, instrument_id=self.instrument.id,
            instrument_version=version, instrument_hash=self.instrument.content_hash, channel=channel,
            language=language, status=STATUS_COMPLETED, answers=answers, history=tuple(answers),
            started_at=started, updated_at=answered_at, completed_at=answered_at, synthetic=True,
        )

    def _value(self, question: Any, values: dict[str, Any], channel: str) -> Any:
        if not question.required and self.rng.random() < SKIP_OPTIONAL:
            return None
        for _attempt in range(MAX_TRIES):
            value = self._draw(question, channel)
            if self.engine.validate(question, value, values) is None:
                return value
        if not question.required:
            return None
        raise SimulationError(_("No random answer to '{question}' meets its constraint; this survey cannot be "
                                "simulated.", question=question.name))

    def _draw(self, question: Any, channel: str) -> Any:
        rng = self.rng
        kind = question.kind
        if kind in ("select_one", "select_multiple"):
            choices = self.instrument.choices_for(question)
            tilt = self.channel_tilt[(question.name, channel)]
            weights = [w * t for w, t in zip(self.choice_weights[question.name], tilt)]
            if kind == "select_one":
                return rng.choices(choices, weights)[0].name
            wanted = min(len(choices), rng.choice((1, 1, 2, 2, 3)))
            picked: list[int] = []
            while len(picked) < wanted:
                index = rng.choices(range(len(choices)), weights)[0]
                if index not in picked:
                    picked.append(index)
            return tuple(choices[i].name for i in sorted(picked))
        if kind == "integer":
            if "age" in question.name:
                return int(rng.triangular(16, 95, 45))
            return rng.randint(0, 100)
        if kind == "decimal":
            return decimal.Decimal(str(round(rng.uniform(0, 100), 1)))
        if kind == "date":
            return dt.date.today() - dt.timedelta(days=rng.randint(0, 365 * 60))
        return _("Synthetic answer {number}", number=rng.randint(1, 99999))


def simulate(store: Any, instrument: Instrument, respondents: int, *, seed: int | None = None,
             channels: Sequence[str] = DEFAULT_CHANNELS, languages: Sequence[str] | None = None,
             batch_size: int = 500, now: dt.datetime | None = None,
             progress: Callable[[int], None] | None = None) -> int:
    """Store ``respondents`` synthetic completed responses; returns how many were stored."""
    if respondents < 1:
        raise SimulationError(_("The number of respondents to simulate must be at least 1."))
    simulator = Simulator(instrument, seed=seed, channels=channels, languages=languages)
    store.record_instrument(instrument.id, instrument.version, instrument.content_hash)
    now = now or dt.datetime.now(dt.timezone.utc)
    stored = 0
    while stored < respondents:
        batch = [simulator.response(now) for _ in range(min(batch_size, respondents - stored))]
        stored += store.save_completed_batch(batch)
        if progress is not None:
            progress(stored)
    return stored
