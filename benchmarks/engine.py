"""Answers per second through the interview engine (target: >= 20,000/s on one core).

A 25-question instrument with skip logic (select_one, select_multiple, integer, decimal,
text, date; relevant and constraint expressions) is answered start to finish, one reply
at a time as SMS would, many times over. The baseline in the same run is the bare cost
of the same loop that only stores the raw replies in a dict, so the ratio shows what the
engine's parsing, validation and skip logic cost. Median of 5 runs.

    uv run python benchmarks/engine.py [--interviews 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from rightsaware.flow import Engine
from rightsaware.loading import loads_instrument
from rightsaware.response import Response


def build_instrument() -> str:
    lines = ['id = "bench"', 'version = "1"', 'title = "Benchmark"', ""]
    kinds = ["select_one yes_no", "select_multiple barriers", "integer", "decimal", "text", "date"]
    for index in range(25):
        kind = kinds[index % len(kinds)]
        lines += ["[[questions]]", f'name = "q{index}"', f'type = "{kind}"', f'label = "Question {index}"']
        if index % 5 == 4:
            lines.append("relevant = \"${q0} = 'yes' or count-selected(${q1}) >= 2\"")
        if kind == "integer":
            lines.append('constraint = ". >= 0 and . <= 120"')
        lines.append("")
    lines += ["[choices]",
              'yes_no = [ { name = "yes", label = "Yes" }, { name = "no", label = "No" } ]',
              'barriers = [ { name = "time", label = "Time" }, { name = "travel", label = "Travel" }, '
              '{ name = "money", label = "Money" } ]']
    return "\n".join(lines)


REPLIES = {"select_one": "yes", "select_multiple": "1 3", "integer": "42", "decimal": "3.5",
           "text": "Dim problem o gwbl", "date": "31/05/1990"}


def run_engine(engine: Engine, interviews: int) -> int:
    answers = 0
    inst = engine.instrument
    for number in range(interviews):
        response = Response(id=str(number), instrument_id=inst.id, instrument_version=inst.version,
                            instrument_hash=inst.content_hash, channel="bench")
        question = engine.next_question(response)
        while question is not None:
            outcome = engine.answer(response, question.name, REPLIES[question.kind])
            assert outcome.error is None, outcome.error
            response = outcome.response
            answers += 1
            question = engine.next_question(response)
    return answers


def run_baseline(engine: Engine, interviews: int) -> int:
    answers = 0
    questions = [q for q in engine.instrument.questions if q.answerable]
    for _number in range(interviews):
        stored: dict[str, str] = {}
        for question in questions:
            stored[question.name] = REPLIES[question.kind]
            answers += 1
    return answers


def measure(function, engine: Engine, interviews: int) -> float:
    start = time.perf_counter()
    answers = function(engine, interviews)
    return answers / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    engine = Engine(loads_instrument(build_instrument()))
    engine_rates = [measure(run_engine, engine, args.interviews) for _ in range(args.runs)]
    baseline_rates = [measure(run_baseline, engine, args.interviews) for _ in range(args.runs)]
    rate = statistics.median(engine_rates)
    print(f"engine:   {rate:,.0f} answers/s (median of {args.runs} runs, {args.interviews} interviews each)")
    print(f"baseline: {statistics.median(baseline_rates):,.0f} raw replies/s stored in a dict")
    print(f"target >= 20,000 answers/s: {'met' if rate >= 20_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
