"""The HTML report: every figure of a run in one self-contained page, in one language.

``render_report(runtime, results, instrument, "cy")`` returns the page: charts are inline
SVG, styles inline, no file or font to fetch; it reads on a phone and prints cleanly.
Every word comes from the message catalogs (plurals by CLDR rules, numbers, percentages
and dates by Babel); the reader is told what was hidden and why. The same view feeds the
``/results`` dashboard (:mod:`rightsaware.results_routes`).
"""

from __future__ import annotations

from typing import Any

import jinja2

from . import report_charts
from .aggregate_model import Cell, QuestionResult, Results, Row, Table
from .aggregate_stats import figures_for
from .i18n import install_jinja
from .results_labels import Labels
from .server import TEMPLATES

SIGNIFICANCE = 0.05


class Formatter:
    """Numbers, percentages and intervals in the reader's language."""

    def __init__(self, labels: Labels) -> None:
        self.m = labels.m

    def count(self, value: int | None) -> str:
        return self.m._("hidden") if value is None else self.m.format_number(value)

    def percent(self, value: float | None) -> str:
        return "" if value is None else self.m.format_percent(value)

    def interval(self, cell: Cell) -> str:
        if cell.suppressed or cell.ci_low is None:
            return ""
        return self.m._("{low} to {high}", low=self.percent(cell.ci_low), high=self.percent(cell.ci_high))

    def cell(self, cell: Cell | None, with_percent: bool = True) -> dict[str, Any]:
        if cell is None:
            return {"text": "", "hidden": False}
        if cell.suppressed:
            return {"text": self.m._("hidden"), "hidden": True}
        text = self.count(cell.count)
        if with_percent and cell.proportion is not None:
            text = self.m._("{count} ({percent})", count=text, percent=self.percent(cell.proportion))
        return {"text": text, "hidden": False}

    def value(self, value: Any) -> str:
        import datetime as dt

        if isinstance(value, dt.date):
            return self.m.format_date(value, "medium")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return self.m.format_number(round(value, 2) if isinstance(value, float) else value)


class ReportView:
    """Builds the data the templates show; all text already translated and formatted."""

    def __init__(self, results: Results, labels: Labels, *, charts: bool = True) -> None:
        report_charts.configure()
        self.results = results
        self.labels = labels
        self.m = labels.m
        self.f = Formatter(labels)
        self.charts = charts

    # -- whole page ------------------------------------------------------------------------------
    def build(self) -> dict[str, Any]:
        r, m = self.results, self.m
        requested = [d.name for d in r.dimensions if d.requested and not d.dropped]
        view: dict[str, Any] = {
            "lang": self.labels.language,
            "title": self.labels.text.title(),
            "produced": m._("Produced on {date}", date=m.format_date(r.generated_at.date())),
            "too_few": r.too_few,
            "notes": self.notes(),
            "questions": [],
            "breakdowns": [self.labels.dimension(name) for name in requested],
            "dropped": [self.labels.dimension(d.name) for d in r.dimensions if d.requested and d.dropped],
        }
        if r.too_few:
            view["too_few_text"] = m.ngettext(
                "There are fewer than {threshold} response so far, so nothing can be shown yet.",
                "There are fewer than {threshold} responses so far, so nothing can be shown yet.",
                r.threshold, threshold=m.format_number(r.threshold))
            return view
        view["benchmark"] = self.benchmark()
        if r.awareness is not None:
            view["awareness"] = self.section(r.awareness, requested)
        view["mode"] = self.mode()
        shown = [name for name in requested if name != "channel"]
        view["questions"] = [self.section(q, shown) for q in r.questions]
        return view

    def notes(self) -> list[str]:
        r, m = self.results, self.m
        notes = []
        if r.responses is not None:
            notes.append(m.ngettext("This report counts {count} completed response.",
                                    "This report counts {count} completed responses.",
                                    r.responses, count=m.format_number(r.responses)))
        elif r.responses_hidden:
            notes.append(m._("The total number of responses is hidden: with the other figures it would reveal "
                             "a small number (for example the few people who chose not to take part)."))
        notes.append(m.ngettext(
            "To protect people's privacy, any count of fewer than {threshold} person is hidden and shown as "
            "“hidden”, and so is its percentage.",
            "To protect people's privacy, any count of fewer than {threshold} people is hidden and shown as "
            "“hidden”, and so is its percentage.", r.threshold, threshold=m.format_number(r.threshold)))
        if r.primary_suppressed or r.secondary_suppressed:
            notes.append(m.ngettext("In this report {n} count was hidden because it was small.",
                                    "In this report {n} counts were hidden because they were small.",
                                    r.primary_suppressed))
            notes.append(m.ngettext(
                "{n} more count was hidden so that the small ones cannot be worked out from totals or from other "
                "tables in this report.",
                "{n} more counts were hidden so that the small ones cannot be worked out from totals or from other "
                "tables in this report.", r.secondary_suppressed))
        notes.append(m._("Percentages are of the people who gave an answer. “Don't know” and “Prefer not to say” "
                         "are shown separately and left out of that base."))
        notes.append(m._("The range after a percentage is a 95% confidence interval (Wilson): with a random sample, "
                         "the true figure would usually lie in it. People chose to answer this survey, so treat "
                         "it as a guide."))
        if any(g.members for d in r.dimensions for g in d.groups):
            notes.append(m._("Areas and other groups with few people are combined so that they can be shown."))
        if r.include_synthetic:
            notes.append(m._("This report includes synthetic (practice) responses. Do not use it for decisions."))
        elif r.synthetic_left_out:
            notes.append(m.ngettext("{n} synthetic (practice) response is left out.",
                                    "{n} synthetic (practice) responses are left out.", r.synthetic_left_out))
        return notes

    # -- one question ----------------------------------------------------------------------------
    def section(self, result: QuestionResult, breakdowns: list[str]) -> dict[str, Any]:
        labels = self.labels
        section = {"id": f"q-{result.name}", "heading": labels.question(result.name), "kind": result.kind,
                   "overall": self.overall(result), "breakdowns": [], "chart": None, "extra": []}
        row = result.overall.rows[0] if result.overall.rows else None
        if self.charts and row is not None and result.kind in ("single", "multiple", "awareness") and row.cells:
            section["chart"] = self.chart(result, row)
        if result.kind == "awareness" and row is not None and row.mean is not None:
            section["extra"].append(self.m._("On average, people knew {percent} of the rights they were asked "
                                             "about.", percent=self.f.percent(row.mean)))
        for name in breakdowns:
            table = result.by.get(name)
            if table is not None:
                section["breakdowns"].append(self.breakdown(result, table))
        if result.free_text is not None:
            section["free_text"] = list(result.free_text)
            section["free_text_heading"] = self.m.ngettext("{n} written answer", "{n} written answers",
                                                           result.free_text_total)
        return section

    def chart(self, result: QuestionResult, row: Row) -> str:
        codes = list(row.cells)
        cells = [row.cells[c] for c in codes]
        as_percent = [None if c.proportion is None or c.suppressed else c.proportion * 100 for c in cells]
        low = [None if c.ci_low is None else c.ci_low * 100 for c in cells]
        high = [None if c.ci_high is None else c.ci_high * 100 for c in cells]
        names = [self.labels.option(result.name, c) for c in codes]
        description = self.m._("Bar chart of the answers to: {question}", question=self.labels.question(result.name))
        return report_charts.bar_chart(names, as_percent, low, high, hidden_word=self.m._("hidden"),
                                       description=description, axis_label=self.m._("Percentage"))

    def overall(self, result: QuestionResult) -> dict[str, Any]:
        m, f, labels = self.m, self.f, self.labels
        row = result.overall.rows[0] if result.overall.rows else None
        if row is None:
            return {"headers": [], "rows": []}
        rows = []
        if result.kind in ("single", "multiple", "awareness"):
            share = result.kind == "multiple"
            headers = [m._("Answer"), m._("Count"), m._("Percentage"), m._("95% confidence interval")]
            if share:
                headers.append(m._("Share of all answers given"))
            for code, cell in row.cells.items():
                line = [labels.option(result.name, code), f.count(cell.count), f.percent(cell.proportion),
                        f.interval(cell)]
                if share:
                    line.append(f.percent(cell.share))
                rows.append({"cells": line, "hidden": cell.suppressed})
            for code, cell in row.apart.items():
                rows.append({"cells": [labels.option(result.name, code), f.count(cell.count), "", ""]
                             + ([""] if share else []), "hidden": cell.suppressed, "apart": True})
            caption = m._("Base: {count} people who answered, not counting “don't know” or “prefer not to say”.",
                          count=f.count(row.base.count)) if not row.base.suppressed else \
                m._("The base is hidden, so percentages are not shown.")
        else:
            headers = [m._("Figure"), m._("Value")]
            rows.append({"cells": [m._("Answered"), f.count(row.answered.count)], "hidden": row.answered.suppressed})
            if row.stats is not None:
                rows += [{"cells": [m._("Lower quartile"), f.value(row.stats.q1)]},
                         {"cells": [m._("Median"), f.value(row.stats.median)]},
                         {"cells": [m._("Upper quartile"), f.value(row.stats.q3)]}]
            caption = ""
        rows.append({"cells": [m._("No answer"), f.count(row.no_answer.count)] + [""] * (len(headers) - 2),
                     "hidden": row.no_answer.suppressed, "apart": True})
        return {"headers": headers, "rows": rows, "caption": caption}

    def breakdown(self, result: QuestionResult, table: Table) -> dict[str, Any]:
        m, f, labels = self.m, self.f, self.labels
        by_question = labels.dimension_question(self.results, table.dimension)
        heading = m._("By {breakdown}", breakdown=labels.dimension(table.dimension).lower()
                      if labels.language == "en" else labels.dimension(table.dimension))
        if result.kind in ("single", "multiple", "awareness"):
            codes = list(table.codes) + list(table.apart_codes)
            headers = [labels.dimension(table.dimension), m._("Base")] + [labels.option(result.name, c) for c in codes]
            rows = []
            for row in table.rows:
                cells = [f.cell(row.base, False)] + [f.cell(row.cells.get(c) or row.apart.get(c)) for c in codes]
                rows.append({"head": labels.group(table.dimension, row.group, by_question), "cells": cells})
        else:
            headers = [labels.dimension(table.dimension), m._("Answered"), m._("Median"), m._("Lower quartile"),
                       m._("Upper quartile")]
            rows = []
            for row in table.rows:
                stats = row.stats
                cells = [f.cell(row.answered, False)] + ([{"text": f.value(v), "hidden": False}
                                                          for v in (stats.median, stats.q1, stats.q3)]
                                                         if stats else [{"text": "", "hidden": False}] * 3)
                rows.append({"head": labels.group(table.dimension, row.group, by_question), "cells": cells})
        return {"heading": heading, "headers": headers, "rows": rows}

    # -- mode comparison and benchmark --------------------------------------------------------------
    def mode(self) -> dict[str, Any] | None:
        r, m = self.results, self.m
        tests = [t for t in r.mode_tests if t.reason != "one_channel"]
        if not tests:
            return None
        items = []
        for test in tests:
            result = r.question(test.question)
            table = result.by.get("channel")
            if test.shown:
                p = m.format_decimal(test.p_value, "0.000") if test.p_value >= 0.001 else m._("less than 0.001")
                if test.p_value < SIGNIFICANCE:
                    text = m._("Answers differ between channels by more than chance would explain (chi-square "
                               "{statistic}, {dof} degrees of freedom, p = {p}).",
                               statistic=m.format_decimal(test.statistic, "0.0"), dof=test.dof, p=p)
                else:
                    text = m._("No clear difference between channels (p = {p}).", p=p)
                if test.small_expected:
                    text += " " + m._("Some groups are small, so treat this test with care.")
            elif test.reason == "suppressed":
                text = m._("Not tested: some of the counts by channel are hidden.")
            else:
                text = m._("Not tested: too few different answers.")
            items.append({"heading": self.labels.question(test.question), "text": text,
                          "table": self.breakdown(result, table) if table is not None else None,
                          "different": test.shown and test.p_value < SIGNIFICANCE})
        caution = m._("People answer differently on paper, by text message and online (a “mode effect”), and "
                      "different kinds of people choose each way of answering. A difference between channels "
                      "shows that answers differ, not that the channel changed anyone's view.")
        return {"items": items, "caution": caution}

    def benchmark(self) -> dict[str, Any] | None:
        b = self.results.benchmark
        if b is None:
            return None
        m, f = self.m, self.f
        ours = []
        for row in (b.ours, *b.by_nation):
            group = self.labels.group("nation", row.group, "nation" if row.group != "_all" else None)
            agree = row.agree or Cell.hidden()
            if agree.suppressed or agree.proportion is None:
                text = m._("{group}: hidden (too few answers).", group=group)
            else:
                text = m._("{group}: {percent} agree ({interval}), of {count} who answered, including “don't "
                           "know”.", group=group, percent=f.percent(agree.proportion), interval=f.interval(agree),
                           count=f.count(row.answered.count))
            ours.append(text)
        published = [m._("{survey}, {period}: {percent} ({measure}). Source: {source}. {note}",
                         survey=m._(fig["survey"]), period=fig["period"],
                         percent=m.format_percent(fig["percent"] / 100, "#,##0.#%"), measure=m._(fig["measure"]),
                         source=m._(fig["source"]), note=m._(fig["note"]))
                     for fig in figures_for(self.labels.instrument.jurisdiction)]
        return {"question": self.labels.question(b.question), "ours": ours, "published": published,
                "caution": m._("These national figures are context, not a like-for-like comparison: the national "
                               "surveys interview random samples of adults, while this survey is answered by people "
                               "who choose to, on paper, by text message or online.")}


def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html"]))


def render_report(runtime: Any, results: Results, instrument: Any, language: str, *, charts: bool = True,
                  template: str = "report.html", **context: Any) -> str:
    """The report (or, with ``template="results.html"``, the dashboard page) as HTML."""
    labels = Labels(runtime, instrument, language).know(results)
    env = environment()
    install_jinja(env, labels.m)
    view = ReportView(results, labels, charts=charts).build()
    return env.get_template(template).render(view=view, **context)
