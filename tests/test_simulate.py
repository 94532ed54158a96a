"""Synthetic responses: valid under the instrument's skip logic, marked synthetic, reproducible."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from rightsaware.cli import Context, build_cli
from rightsaware.flow import Engine
from rightsaware.report_cli import report, simulate
from rightsaware.simulate import SimulationError, Simulator
from rightsaware.simulate import simulate as run

NOW = dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc)


def cli(runtime):
    group = build_cli(runtime)
    for command in (report, simulate):
        if command.name not in group.commands:
            group.add_command(command)
    return group


def test_every_simulated_response_is_complete_and_valid(rightsaware_runtime) -> None:
    instrument = rightsaware_runtime.instrument("rights-wales")
    engine = Engine(instrument)
    simulator = Simulator(instrument, seed=7)
    channels, languages = set(), set()
    for _ in range(150):
        response = simulator.response(NOW)
        assert response.synthetic and response.status == "completed" and response.id.startswith("syn-")
        assert response.respondent_id is None
        assert engine.next_question(response) is None  # nothing relevant left unanswered
        values = engine.values(response)
        for name, answer in response.answers.items():
            question = instrument.question(name)
            assert engine.is_relevant(question, values), f"{name} answered but not asked"
            assert engine.validate(question, answer.value, values) is None
        channels.add(response.channel)
        languages.add(response.language)
    assert channels == {"web", "sms", "paper"}
    assert {"en", "cy"} <= languages


def test_the_same_seed_gives_the_same_responses(sample_instrument) -> None:
    first = [Simulator(sample_instrument, seed=3).response(NOW) for _ in range(1)]
    again = [Simulator(sample_instrument, seed=3).response(NOW) for _ in range(1)]
    assert [r.values() for r in first] == [r.values() for r in again] and first[0].id == again[0].id


def test_simulated_responses_are_stored_and_left_out_of_reports(rightsaware_runtime, tmp_path) -> None:
    runtime = rightsaware_runtime
    result = CliRunner().invoke(cli(runtime), ["simulate", "--instrument", "sample", "--respondents", "40",
                                               "--seed", "1"], obj=Context(runtime, "en"))
    assert result.exit_code == 0, result.output
    assert "40 synthetic responses added" in result.output
    assert runtime.store.count_responses("sample", status="completed") == 40
    assert runtime.store.count_responses("sample", status="completed", include_synthetic=False) == 0
    out = tmp_path / "r.html"
    result = CliRunner().invoke(cli(runtime), ["report", "--instrument", "sample", "--out", str(out)],
                                obj=Context(runtime, "en"))
    assert result.exit_code == 0 and "no figures yet" in result.output
    assert "40 synthetic (practice) responses are left out" in out.read_text(encoding="utf-8")


def test_impossible_or_unknown_simulations_are_refused(sample_instrument, tmp_path) -> None:
    from rightsaware.loading import loads_instrument
    from rightsaware.testing import SAMPLE_INSTRUMENT

    with pytest.raises(SimulationError, match="not available in"):
        Simulator(sample_instrument, languages=("fr",))
    with pytest.raises(SimulationError, match="at least one channel"):
        Simulator(sample_instrument, channels=())
    strict = loads_instrument(SAMPLE_INSTRUMENT.replace('". >= 16 and . <= 120"', '". = 1234567"'))
    with pytest.raises(SimulationError, match="meets its constraint"):
        Simulator(strict, seed=1).response(NOW)
    with pytest.raises(SimulationError, match="at least 1"):
        run(None, sample_instrument, 0)
