"""How well and how fast the paper channel reads marks, on a labelled synthetic set.

The set follows the paper brief (§3.2): a bilingual (cy+en) 20-question form with five
options per question is printed, rasterised with pypdfium2 at 150, 200 and 300 dpi, marked
(filled, tick, cross, light pencil, partial, erased, crossed-out, stray dot; one mark,
two marks, a mark plus an erasure or a crossing-out, blank) and degraded one way per page
(clean, mild scan, skewed scan, poor scan, uneven light, phone photo, upside down) — plus
pages of other forms: one from another installation and one of another survey of this
installation scanned as a batch restricted to the first. Every page then goes through
``rightsaware paper scan``'s own code (files on disk, ingest, reader, store) and each
answer is scored against the truth.

Reported: silent errors (wrong answers accepted without review; also per auto-accepted
answer, with the 95% upper bound 3/n when none is seen), review rate of clear marks
(blank or one mark), of the brief's "clear intent" set (adds stray dots and mark +
erasure) and of mark + erasure alone, must-review answers flagged (two marks on a single
choice, crossings-out), page-level review, pages of another form accepted, lost pages
(reconciliation), and pages per second on one core (OpenCV limited to one thread) at
200 dpi — for the reader alone and for the whole scan with storage. Synthetic marks are
not handwriting: confirm the thresholds on a real pilot before trusting them (brief §3.2
step 5).

    uv run --frozen python benchmarks/omr_eval.py [--pages 4] [--seeds 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

DPIS = (150, 200, 300)
CONDITIONS = ("clean", "mild", "skewed", "poor", "uneven", "phone", "upside_down", "other_form")
SCANS = ("clean", "mild", "skewed", "poor", "uneven", "upside_down")
CLEAR = {"blank", "single_filled", "single_tick", "single_cross", "single_pencil", "single_partial"}
CLEAR_INTENT = CLEAR | {"stray_dot", "mark_erased"}
LIKERT = [("Strongly agree", "Cytuno'n gryf"), ("Agree", "Cytuno"), ("Neither agree nor disagree",
          "Ddim yn cytuno nac yn anghytuno"), ("Disagree", "Anghytuno"), ("Strongly disagree", "Anghytuno'n gryf")]


def write_instrument(folder: Path, form_id: str, questions: int, options: int) -> Path:
    """A select-one test form with Welsh catalogs (and an empty English one)."""
    lines = [f'id = "{form_id}"', 'version = "1"', 'title = "Mark reading test"', 'languages = ["en", "cy"]', ""]
    for i in range(1, questions + 1):
        lines += ["[[questions]]", f'name = "q{i}"', 'type = "select_one scale"',
                  f'label = "Statement {i}: I can influence local decisions."', ""]
    choices = ", ".join(f'{{ name = "c{j}", label = "{LIKERT[j][0]}" }}' for j in range(options))
    lines += ["[choices]", f"scale = [ {choices} ]"]
    path = folder / f"{form_id}.toml"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plural = {"cy": "nplurals=6; plural=(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n == 3 ? 3 : n == 6 ? 4 : 5);",
              "en": "nplurals=2; plural=(n != 1);"}
    for language in ("en", "cy"):
        entries = [(f"{form_id}:title", "Mark reading test", "Prawf darllen marciau")]
        for i in range(1, questions + 1):
            entries.append((f"{form_id}:q{i}:label", f"Statement {i}: I can influence local decisions.",
                            f"Datganiad {i}: Gallaf ddylanwadu ar benderfyniadau lleol."))
            entries += [(f"{form_id}:q{i}:c{j}:label", LIKERT[j][0], LIKERT[j][1]) for j in range(options)]
        out = ['msgid ""', 'msgstr ""', f'"Language: {language}\\n"', '"Content-Type: text/plain; charset=utf-8\\n"',
               f'"Plural-Forms: {plural[language]}\\n"', ""]
        for context, english, welsh in entries:
            out += [f'msgctxt "{context}"', f'msgid "{english}"', f'msgstr "{welsh if language == "cy" else ""}"', ""]
        target = folder / form_id / "locales" / language / "LC_MESSAGES" / f"{form_id}.po"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(out), encoding="utf-8")
    return path


def make_runtime(folder: Path, secret: str, instruments: list[Path]):  # noqa: ANN201
    from rightsaware.loading import load_instrument
    from rightsaware.plugins import make_plugin_manager
    from rightsaware.runtime import Runtime
    from rightsaware.settings import Settings

    import rightsaware_paper.plugin as plugin

    pm = make_plugin_manager(entrypoints=False)
    pm.register(plugin, name="paper")
    runtime = Runtime(Settings(data_dir=str(folder), secret_key=secret), plugin_manager=pm)
    for path in instruments:
        runtime.instruments.add(load_instrument(path), path)
    return runtime


class Pages:
    """Pages of a printed PDF rasterised on demand (each page of the set has its own serial)."""

    def __init__(self, forms) -> None:  # noqa: ANN001 - PrintedForms
        import pypdfium2 as pdfium

        self.forms = forms
        self.document = pdfium.PdfDocument(forms.pdf)
        self.next = 0

    def take(self, dpi: int) -> tuple[np.ndarray, int]:
        """The next unused page at ``dpi`` and its page number in the form."""
        index = self.next
        self.next += 1
        bitmap = self.document[index].render(scale=dpi / 72, grayscale=True)
        image = np.asarray(bitmap.to_pil().convert("L"), dtype=np.uint8).copy()
        return image, index % self.forms.layout.page_count + 1


def build_set(folder: Path, pages_per_cell: int, seeds: int):  # noqa: ANN201
    """Write the labelled pages; return (service, pages, pages of another survey)."""
    from rightsaware_paper import synthetic
    from rightsaware_paper.service import PaperService

    ours = write_instrument(folder, "omr-eval", 20, 5)
    second = write_instrument(folder, "omr-second", 20, 5)
    foreign = write_instrument(folder / "elsewhere", "omr-other", 20, 4)
    runtime = make_runtime(folder / "data", "benchmark-secret-key-0001", [ours, second])
    service = PaperService(runtime)
    elsewhere = PaperService(make_runtime(folder / "elsewhere-data", "another-installation-secret", [foreign]))
    needed = len(DPIS) * pages_per_cell * seeds

    def copies(svc, form_id: str, pages: int) -> int:  # noqa: ANN001 - enough copies for ``pages`` pages
        return -(-pages // svc.build_layout(form_id, ("cy", "en")).page_count)

    printed = Pages(service.print_forms("omr-eval", "cy+en",
                                        copies=copies(service, "omr-eval", needed * (len(CONDITIONS) - 1))))
    other = Pages(elsewhere.print_forms("omr-other", "cy+en", copies=copies(elsewhere, "omr-other", needed)))
    second_forms = Pages(service.print_forms("omr-second", "cy+en",
                                             copies=copies(service, "omr-second", len(DPIS) * seeds)))
    pages, others = [], []
    (folder / "scans").mkdir(parents=True, exist_ok=True)
    for seed in range(seeds):
        rng = np.random.default_rng(1000 + seed)
        for dpi in DPIS:
            for condition in CONDITIONS:
                for n in range(pages_per_cell):
                    source = other if condition == "other_form" else printed
                    image, number = source.take(dpi)
                    layout = source.forms.layout
                    truths = synthetic.page_truths(layout, number, rng)
                    synthetic.apply_truths(image, layout.page(number), dpi, truths, rng)
                    degraded = synthetic.degrade(image, "mild" if condition == "other_form" else condition, rng)
                    path = folder / "scans" / f"{condition}-{dpi}-{seed}-{n}.png"
                    cv2.imwrite(str(path), degraded)
                    pages.append({"path": path, "dpi": dpi, "condition": condition, "truths": truths})
            image, number = second_forms.take(dpi)  # another survey, in a batch restricted to omr-eval
            truths = synthetic.page_truths(second_forms.forms.layout, number, rng)
            synthetic.apply_truths(image, second_forms.forms.layout.page(number), dpi, truths, rng)
            path = folder / "scans" / f"second-{dpi}-{seed}.png"
            cv2.imwrite(str(path), synthetic.degrade(image, "mild", rng))
            others.append({"path": path, "dpi": dpi, "condition": "other_survey", "truths": truths})
    return service, pages, others


def score(pages: list[dict], records: dict) -> dict:
    """Per page and per answer outcomes against the truth."""
    rows = []
    page_rows = []
    for page in pages:
        record = records[str(page["path"])]
        page_rows.append({"dpi": page["dpi"], "condition": page["condition"], "state": record.state,
                          "reason": record.reason, "identified": record.identity is not None})
        if page["condition"] in ("other_form", "other_survey"):
            continue
        answers = {a["question"]: a for a in record.answers}
        for truth in page["truths"]:
            answer = answers.get(truth.question)
            if answer is None:
                outcome = "page_review"
            elif answer["state"] != "accepted":
                outcome = "review"
            else:
                value = answer["value"]
                value = tuple(value) if isinstance(value, list) else value
                outcome = "error" if truth.must_review or value != truth.value else "correct"
            rows.append({"dpi": page["dpi"], "condition": page["condition"], "scenario": truth.scenario,
                         "must_review": truth.must_review, "outcome": outcome})
    return {"answers": rows, "pages": page_rows}


def rate(rows: list[dict], outcome: str) -> tuple[int, int]:
    return sum(r["outcome"] == outcome for r in rows), len(rows)


def percent(count: int, total: int) -> str:
    if total == 0:
        return "n/a"
    text = f"{100 * count / total:.2f}% ({count}/{total})"
    if count == 0:
        text += f", 95% upper bound {100 * 3 / total:.2f}%"
    return text


def metrics(scored: dict, timings: dict, lost: int, reconciled: bool) -> dict:
    answers, pages = scored["answers"], scored["pages"]
    scans_200 = [r for r in answers if r["dpi"] >= 200 and r["condition"] in SCANS]
    phone = [r for r in answers if r["condition"] == "phone"]
    clean_clear = [r for r in answers if r["condition"] == "clean" and r["scenario"] in CLEAR]
    clean_intent = [r for r in answers if r["condition"] == "clean" and r["scenario"] in CLEAR_INTENT]
    erased_all = [r for r in answers if r["scenario"] == "mark_erased"]
    erased_clean = [r for r in erased_all if r["condition"] == "clean"]
    must = [r for r in answers if r["must_review"]]
    ours = [p for p in pages if p["condition"] not in ("other_form", "other_survey")]
    foreign = [p for p in pages if p["condition"] in ("other_form", "other_survey")]
    accepted_foreign = sum(p["state"] != "rejected" for p in foreign)
    auto = [r for r in answers if r["outcome"] in ("correct", "error")]
    per_condition = {}
    for condition in CONDITIONS[:-1]:
        for dpi in DPIS:
            rows = [r for r in answers if r["condition"] == condition and r["dpi"] == dpi]
            page_level = [p for p in ours if p["condition"] == condition and p["dpi"] == dpi]
            per_condition[f"{condition} {dpi}"] = {
                "answers": len(rows), "silent_errors": rate(rows, "error")[0], "review": rate(rows, "review")[0],
                "page_review": sum(p["state"] == "in_review" and p["reason"] in ("unregistered", "unidentified")
                                   for p in page_level),
                "pages": len(page_level)}
    page_review = sum(p["state"] == "in_review" and p["reason"] in ("unregistered", "unidentified") for p in ours)
    clean_pages = [p for p in ours if p["condition"] == "clean"]
    return {
        "silent_error_rate_scans_200dpi_plus": percent(*rate(scans_200, "error")),
        "silent_error_rate_phone_photos": percent(*rate(phone, "error")),
        "silent_error_rate_all": percent(*rate(answers, "error")),
        "silent_errors_per_auto_accepted_answer": percent(rate(auto, "error")[0], len(auto)),
        "review_rate_clear_marks_clean_scans": percent(*rate(clean_clear, "review")),
        "review_rate_clear_intent_clean_scans": percent(*rate(clean_intent, "review")),
        "review_rate_mark_and_erasure_clean_scans": percent(*rate(erased_clean, "review")),
        "review_rate_mark_and_erasure_all": percent(*rate(erased_all, "review")),
        "must_review_flagged": percent(sum(r["outcome"] in ("review", "page_review") for r in must), len(must)),
        "page_level_review_rate": percent(page_review, len(ours)),
        "page_level_review_rate_clean": percent(sum(p["state"] == "in_review" and p["reason"] in
                                                    ("unregistered", "unidentified") for p in clean_pages),
                                                len(clean_pages)),
        "pages_of_another_form_accepted": f"{accepted_foreign} of {len(foreign)}",
        "lost_pages": lost, "reconciled": reconciled,
        **timings, "per_condition": per_condition,
    }


def throughput(service, pages: list[dict]) -> dict:  # noqa: ANN001
    """Reader-only pages per second on one core at 200 dpi (clean and mild scans)."""
    from rightsaware_paper.ingest import read_file

    chosen = [p for p in pages if p["dpi"] == 200 and p["condition"] in ("clean", "mild")]
    reader = service.reader()
    images = [next(read_file(p["path"])).grey for p in chosen]
    reader.read(images[0])  # layout template, caches
    times = []
    for image in images:
        started = time.perf_counter()
        reader.read(image)
        times.append(time.perf_counter() - started)
    return {"reader_pages_per_second_200dpi": round(len(times) / sum(times), 2),
            "reader_p95_seconds_200dpi": round(sorted(times)[int(0.95 * (len(times) - 1))], 3),
            "reader_median_seconds_200dpi": round(statistics.median(times), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=4, help="pages per dpi, condition and seed (default 4)")
    parser.add_argument("--seeds", type=int, default=2, help="independent random seeds (default 2)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    from rightsaware_paper.scanning import Scanner

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        service, pages, others = build_set(folder, args.pages, args.seeds)
        built = time.perf_counter() - started
        timings = throughput(service, pages)
        started = time.perf_counter()
        report = Scanner(service, expected_instrument=None).scan([p["path"] for p in pages], "benchmark")
        scan_seconds = time.perf_counter() - started
        restricted = Scanner(service, expected_instrument="omr-eval").scan([p["path"] for p in others], "others")
        records = {r.file: r for r in report.records + restricted.records}
        lost = (len(pages) + len(others)) - sum(
            r.state in ("read", "in_review", "rejected", "done") for r in report.records + restricted.records)
        timings["end_to_end_pages_per_second"] = round(len(pages) / scan_seconds, 2)
        timings["pages"] = len(pages) + len(others)
        timings["set_built_seconds"] = round(built, 1)
        result = metrics(score(pages + others, records), timings, lost,
                         report.reconciled and restricted.reconciled)
    result["opencv"] = cv2.__version__
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for key, value in result.items():
        if key != "per_condition":
            print(f"{key:42} {value}")
    print(f"\n{'condition dpi':18} {'answers':>8} {'silent':>7} {'review':>7} {'page-rev':>9} {'pages':>6}")
    for name, row in result["per_condition"].items():
        print(f"{name:18} {row['answers']:>8} {row['silent_errors']:>7} {row['review']:>7} "
              f"{row['page_review']:>9} {row['pages']:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
