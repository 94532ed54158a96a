"""The HTML report: self-contained, in the chosen language, explains what was hidden; its charts."""

from __future__ import annotations

import re
import warnings

import pytest
from click.testing import CliRunner

from rightsaware.aggregate import aggregate_results
from rightsaware.cli import Context, build_cli
from rightsaware.report import render_report
from rightsaware.report_charts import bar_chart, configure
from rightsaware.report_cli import report
from rightsaware.simulate import simulate


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A runtime whose store holds 300 synthetic responses to the built-in Welsh survey."""
    from rightsaware.plugins import make_plugin_manager
    from rightsaware.runtime import Runtime
    from rightsaware.settings import Settings

    folder = tmp_path_factory.mktemp("report")
    runtime = Runtime(Settings(data_dir=str(folder / "data"), secret_key="report tests, not for production"),
                      plugin_manager=make_plugin_manager(entrypoints=False))
    simulate(runtime.store, runtime.instrument("rights-wales"), 300, seed=11)
    yield runtime
    runtime.close()


def cli(runtime):
    group = build_cli(runtime)
    if "report" not in group.commands:
        group.add_command(report)
    return group


_RESULTS: dict = {}


def results_for(runtime, **options):
    """One aggregation per set of options for the whole module (they are slow to repeat)."""
    key = (id(runtime), tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items())))
    if key not in _RESULTS:
        _RESULTS[key] = aggregate_results(runtime, "rights-wales", include_synthetic=True, **options)
    return _RESULTS[key]


def html_for(runtime, language: str, **options) -> str:
    return render_report(runtime, results_for(runtime, **options), runtime.instrument("rights-wales"), language)


def test_report_is_self_contained_readable_on_a_phone_and_printable(filled) -> None:
    html = html_for(filled, "en", by=["channel"])
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "@media print" in html and "overflow-x: auto" in html
    assert not re.search(r"<script|<link|<img|@import|url\((?!#)", html)  # nothing to fetch
    assert not re.search(r'(src|href)="https?://', html)
    assert html.count("<svg") >= 30 and "<text" not in html  # chart text drawn as outlines
    assert "Answers by channel" in html and "mode effect" in html
    assert "Beside the national surveys" in html and "National Survey for Wales, 2021-22: 30%" in html
    assert "Scottish Household Survey, 2019: 17.8%" in html and "not a like-for-like comparison" in html
    assert "This report includes synthetic (practice) responses" in html


def test_report_explains_what_was_hidden_and_why(filled) -> None:
    results = results_for(filled, by=["channel"])
    html = html_for(filled, "en", by=["channel"])
    assert "any count of fewer than 10 people is hidden" in html
    assert f"In this report {results.primary_suppressed} counts were hidden because they were small." in html
    assert f"{results.secondary_suppressed} more counts were hidden so that the small ones cannot be worked out" in html
    assert html.count('class="n hidden"') > 0


@pytest.mark.parametrize(("language", "words"), [("cy", ["Ynghylch y ffigurau hyn", "cudd", "Atebion fesul sianel"]),
                                                 ("gd", ["Mu na figearan seo", "falaichte"])])
def test_report_in_welsh_and_gaelic(filled, language, words) -> None:
    html = html_for(filled, language)
    assert f'<html lang="{language}">' in html
    english = ["About these figures", "hidden", "Beside the national surveys", "Percentage", "Answer"]
    for text in english:
        assert f">{text}<" not in html, f"untranslated: {text}"
    for word in words:
        assert word in html
    from rightsaware.i18n import localize

    title = localize(filled.instrument("rights-wales"), filled.messages(language)).title()
    assert f"<h1>{title}</h1>" in html.replace("&#39;", "'") and title != "Your rights to take part — Wales"


def test_report_numbers_and_dates_follow_the_language(filled) -> None:
    results = results_for(filled)
    for language in ("en", "cy", "gd"):
        m = filled.messages(language)
        html = render_report(filled, results, filled.instrument("rights-wales"), language, charts=False)
        assert m.format_date(results.generated_at.date()) in html


def test_free_text_only_when_asked_and_never_by_local_authority(filled, tmp_path) -> None:
    out = tmp_path / "r.html"
    runner = CliRunner()
    args = ["report", "--instrument", "rights-wales", "--include-synthetic", "--out", str(out), "--no-charts"]
    assert runner.invoke(cli(filled), args, obj=Context(filled, "en")).exit_code == 0
    assert "Synthetic answer" not in out.read_text(encoding="utf-8")
    assert runner.invoke(cli(filled), args + ["--include-free-text"], obj=Context(filled, "en")).exit_code == 0
    assert "Synthetic answer" in out.read_text(encoding="utf-8")
    refused = runner.invoke(cli(filled), args + ["--include-free-text", "--by", "local_authority"],
                            obj=Context(filled, "en"))
    assert refused.exit_code != 0 and "small area" in str(refused.exception)


def test_too_few_responses_say_so(rightsaware_runtime) -> None:
    results = aggregate_results(rightsaware_runtime, "sample")
    html = render_report(rightsaware_runtime, results, rightsaware_runtime.instrument("sample"), "en")
    assert "There are fewer than 10 responses so far, so nothing can be shown yet." in html
    assert "<svg" not in html


def test_charts_draw_welsh_and_gaelic_letters_without_missing_glyphs() -> None:
    configure()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svg = bar_chart(["Ŵyr ac ŷd", "Gàidhlig òran", "Cudd"], [40.0, 35.5, None], [30.0, 25.0, None],
                        [50.0, 45.0, None], hidden_word="cudd", description="Siart: hŷn", axis_label="Canran")
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-label="Siart: hŷn"' in svg
    assert "<path" in svg and "<text" not in svg and 'width="' not in svg.split(">")[0]


def test_progress_steps_in_order_and_named_in_the_readers_language(filled, tmp_path) -> None:
    from rightsaware.aggregate import STEPS

    seen: list[str] = []
    aggregate_results(filled, "rights-wales", include_synthetic=True, on_step=seen.append)
    assert seen == list(STEPS)
    out = tmp_path / "r.html"
    args = ["report", "--instrument", "rights-wales", "--include-synthetic", "--out", str(out), "--no-charts"]
    result = CliRunner().invoke(cli(filled), args, obj=Context(filled, "cy"))
    assert result.exit_code == 0, result.output
    welsh = filled.messages("cy")._("Working out the results")
    assert welsh != "Working out the results" and welsh in result.stderr
    assert "Working out the results" not in result.output
