"""``rightsaware paper print / scan / pages / review`` through the real CLI group."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from rightsaware.errors import RightsawareError


@pytest.fixture
def run(paper_runtime):
    from rightsaware.cli import Context, build_cli

    group = build_cli(paper_runtime)

    def invoke(*args: str, language: str = "en"):  # noqa: ANN202
        result = CliRunner().invoke(group, list(args), obj=Context(paper_runtime, language))
        if result.exception is not None and not isinstance(result.exception, (SystemExit, RightsawareError)):
            raise result.exception
        return result

    return invoke


def test_print_scan_review_from_the_command_line(run, forms, tmp_path):
    out = tmp_path / "forms.pdf"
    result = run("paper", "print", "--instrument", "sample", "--lang", "cy+en", "--copies", "2", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF") and "2" in result.output
    from rightsaware_paper.synthetic import rasterise

    from rightsaware_paper import storage as db
    from sqlalchemy import select

    with forms.service.engine.connect() as connection:
        serials = [r.serial for r in connection.execute(select(db.sheets.c.serial).order_by(db.sheets.c.created_at))]
        fingerprint = connection.execute(select(db.layouts.c.fingerprint)).scalar_one()
    layout = forms.service.layout(fingerprint)
    pages = rasterise(out.read_bytes(), 200)

    class Printed:
        pass

    printed = Printed()
    printed.layout = layout
    first = forms.save(forms.mark(pages[0], printed, 1, {"heard": "no"}, texts={"age": "70"}))
    junk = tmp_path / "scans" / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4 broken")
    result = run("paper", "scan", str(first), str(junk), "--batch", "Aberystwyth", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["summary"]["pages_in"] == 2 and data["summary"]["reconciled"]
    page, bad = data["pages"]
    assert page["identity"]["serial"] in serials and page["state"] == "in_review"
    assert {a["question"]: a["state"] for a in page["answers"]}["age"] == "in_review"
    assert bad["state"] == "rejected" and bad["reason"] == "unreadable" and bad["identity"] is None

    result = run("paper", "review", "list", "--json")
    (item,) = json.loads(result.output)
    assert item["question"] == "age" and item["kind"] == "transcribe" and "choose" in item["actions"]
    image = tmp_path / "crop.png"
    result = run("paper", "review", "show", str(item["id"]), "--image", str(image))
    assert result.exit_code == 0 and image.read_bytes()[:4] == b"\x89PNG"
    result = run("paper", "review", "decide", str(item["id"]), "choose", "200", "--who", "Siân")
    assert isinstance(result.exception, RightsawareError) and "16" in str(result.exception)  # the survey's message
    result = run("paper", "review", "decide", str(item["id"]), "choose", "70", "--who", "Siân")
    assert result.exit_code == 0, result.output
    assert "0 items waiting" in result.output
    assert forms.values(page["identity"]["serial"]) == {"heard": "no", "age": 70, "comment": None}

    result = run("paper", "pages", "--json")
    states = sorted(p["state"] for p in json.loads(result.output))
    assert states == ["done", "rejected"]
    result = run("paper", "pages", "--state", "rejected", language="cy")
    assert "Doedd dim modd darllen y ffeil" in result.output  # the reason, in Welsh


def test_human_output_and_errors_in_welsh(run, forms, tmp_path):
    printed = forms.print("omr-test", "en")
    path = forms.save(forms.mark(forms.pages(printed)[0], printed, 1, {"q1": "a", "q2": "a", "q3": "a"}))
    result = run("paper", "scan", str(path), language="cy")
    assert result.exit_code == 0
    assert "wedi’i darllen" in result.output and "Tudalennau i mewn: 1." in result.output
    result = run("paper", "print", "--instrument", "omr-test", "--lang", "cy", "--out", str(tmp_path / "x.pdf"),
                 language="cy")
    assert isinstance(result.exception, RightsawareError)
    assert "Nid yw’r arolwg omr-test ar gael yn cy" in str(result.exception)


def test_print_defaults_to_the_surveys_own_languages(run, tmp_path, forms):
    out = tmp_path / "default.pdf"
    assert run("paper", "print", "--instrument", "omr-test", "--out", str(out)).exit_code == 0
    assert run("paper", "print", "--instrument", "sample", "--out", str(out)).exit_code == 0
    from rightsaware_paper.synthetic import rasterise

    assert len(rasterise(out.read_bytes(), 50)) == 1
    from rightsaware_paper.service import PaperService

    assert PaperService.default_languages(forms.service.runtime.instrument("sample")) == "cy+en"
    assert PaperService.default_languages(forms.service.runtime.instrument("omr-test")) == "en"
