"""Printing: layout, languages and their order, large print, skip instructions, fonts, QR and markers."""

from __future__ import annotations

import attrs
import pypdfium2 as pdfium
import pytest

from rightsaware_paper.layout import Layout
from rightsaware_paper.texts import PaperError

WELSH_AND_GAELIC = set("ŵŷŴŶàèìòù")


def _text_of(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def _lines(layout: Layout, role: str | None = None, language: str | None = None):  # noqa: ANN202
    return [line for page in layout.pages for line in page.texts
            if (role is None or line.role == role) and (language is None or line.language == language)]


def test_bilingual_side_by_side_puts_welsh_first_on_the_left(service):
    forms = service.print_forms("sample", "en+cy")
    layout = forms.layout
    assert layout.languages == ("cy", "en") and layout.arrangement == "side_by_side"
    welsh = _lines(layout, "label", "cy")
    english = _lines(layout, "label", "en")
    assert welsh and english
    assert max(line.x for line in welsh) < min(line.x for line in english)
    assert {line.size for line in welsh} == {line.size for line in english}  # equal presentation
    assert {line.bold for line in welsh} == {line.bold for line in english}


def test_english_first_setting_and_stacked_arrangement(paper_runtime):
    from rightsaware_paper.service import PaperService

    paper_runtime.settings = attrs.evolve(paper_runtime.settings, bilingual_order="english_first")
    layout = PaperService(paper_runtime).print_forms("sample", "gd+en", stacked=True).layout
    assert layout.languages == ("en", "gd") and layout.arrangement == "stacked"
    first_en = min(line.y for line in _lines(layout, "label", "en") if line.text)
    first_gd = min(line.y for line in _lines(layout, "label", "gd") if line.text)
    assert first_en < first_gd


def test_instructions_are_printed_in_every_chosen_language(service):
    texts = "\n".join(_text_of(service.print_forms("sample", "gd+en").pdf))
    messages = {lang: service.runtime.messages(lang).domain("rightsaware_paper") for lang in ("gd", "en")}
    for lang, m in messages.items():
        for message in ("Use a dark pen. Fill the circle completely, like this: ●",
                        "To change an answer, cross it out and fill the new circle."):
            translated = m._(message)
            words = translated.split()[:4]
            assert " ".join(words) in texts.replace("\r\n", " ").replace("\n", " "), (lang, translated)
    assert messages["gd"]._("To change an answer, cross it out and fill the new circle.") != \
        "To change an answer, cross it out and fill the new circle."


def test_large_print_is_at_least_16_points(service):
    layout = service.print_forms("sample", "cy+en", large_print=True).layout
    assert layout.large_print and layout.arrangement == "stacked"
    sizes = {line.size for page in layout.pages for line in page.texts}
    assert min(sizes) >= 16
    normal = service.print_forms("sample", "cy+en").layout
    assert layout.page_count > normal.page_count
    big = layout.pages[0].questions[0].bubbles[0].r
    assert big > normal.pages[0].questions[0].bubbles[0].r


def test_the_text_extracted_from_the_pdf_is_the_text_laid_out(service):
    """Welsh ŵ ŷ Ŵ Ŷ and Gaelic à…ù survive: the bundled font is embedded, no ■ placeholders."""
    for instrument, lang in (("sample", "cy+en"), ("sample", "gd+en"), ("omr-test", "en")):
        forms = service.print_forms(instrument, lang)
        extracted = _text_of(forms.pdf)
        for page, text in zip(forms.layout.pages, extracted):
            flat = text.replace("\r\n", "\n")
            for line in page.texts:
                assert line.text in flat, (lang, line.text)
            assert "■" not in flat and "\ufffd" not in flat
    welsh = "".join(_text_of(service.print_forms("sample", "cy+en").pdf))
    gaelic = "".join(_text_of(service.print_forms("sample", "gd+en").pdf))
    test_form = "".join(_text_of(service.print_forms("omr-test", "en").pdf))
    assert {"ŵ", "ŷ"} <= set(welsh) and set("àèìòù") <= set(gaelic) and {"Ŵ", "Ŷ"} <= set(test_form)


def test_the_font_is_embedded_with_its_licence():
    from rightsaware_paper.fonts import FONT_DIR, LICENSE_FILE

    assert "Bitstream Vera" in LICENSE_FILE.read_text(encoding="utf-8")
    assert sorted(p.name for p in FONT_DIR.glob("*.ttf")) == ["DejaVuSans-Bold.ttf", "DejaVuSans.ttf"]


def test_pdf_embeds_its_fonts(service):
    pdf = service.print_forms("sample", "cy+en").pdf
    assert pdf.count(b"/FontFile2") >= 2  # regular and bold, both embedded TrueType
    assert b"DejaVuSans" in pdf and b"DejaVuSans-Bold" in pdf


def test_characters_the_font_lacks_are_refused_not_printed_as_boxes(service):
    from rightsaware_paper.compose import Composer
    from rightsaware_paper.pdf import render_forms

    instrument = service.runtime.instrument("omr-test")

    class Text:
        language = "en"

        def title(self):
            return "Survey 調査"

        def label(self, q):
            return q.label

        def hint(self, q):
            return None

        def choice_label(self, q, c):
            return c.label

        def _(self, message, **params):
            return message.format(**params)

    layout = Composer(instrument, {"en": Text()}, ("en",)).build()
    with pytest.raises(PaperError, match="調"):
        render_forms(layout, b"k" * 32)


def test_skip_instructions_come_from_relevant(service):
    layout = service.print_forms("sample", "en").layout
    skips = [line.text for line in _lines(layout, "skip")]
    assert any("Answer this only if your answer to question 1 was ‘Yes’" in text for text in skips), skips


def test_go_to_instructions_for_a_run_of_skipped_questions(paper_runtime, tmp_path):
    from rightsaware.loading import load_instrument

    from rightsaware_paper.service import PaperService

    path = tmp_path / "skips.toml"
    path.write_text("""\
id = "skips"
version = "1"
title = "Skips"
languages = ["en"]

[[questions]]
name = "used"
type = "select_one yn"
label = "Have you used the service?"

[[questions]]
name = "how_often"
type = "select_one yn"
label = "Was it often?"
relevant = "${used} = 'y'"

[[questions]]
name = "rating"
type = "integer"
label = "Score out of 10"
relevant = "${used} != 'n'"

[[questions]]
name = "age"
type = "integer"
label = "Age"

[choices]
yn = [ { name = "y", label = "Yes" }, { name = "n", label = "No" } ]
""", encoding="utf-8")
    paper_runtime.instruments.add(load_instrument(path), path)
    layout = PaperService(paper_runtime).print_forms("skips", "en").layout
    skips = [line.text for line in _lines(layout, "skip")]
    assert "If your answer is ‘No’, go to question 4." in skips
    assert any("Skip this question if your answer to question 1 was ‘No’" in text for text in skips), skips


def test_layout_json_round_trip_keeps_the_fingerprint(service):
    layout = service.print_forms("sample", "cy+en").layout
    again = Layout.from_json(layout.to_json())
    assert again == layout or again.to_json() == layout.to_json()
    assert again.fingerprint == layout.fingerprint and len(layout.fingerprint) == 8
    assert service.layout(layout.fingerprint).to_json() == layout.to_json()


def test_each_page_has_markers_and_a_readable_qr_code(service):
    from rightsaware_paper.identity import parse_code
    from rightsaware_paper.register import read_qr, register
    from rightsaware_paper.synthetic import rasterise

    forms = service.print_forms("sample", "cy+en", copies=2, large_print=True)
    pages = rasterise(forms.pdf, 150)
    assert len(pages) == 2 * forms.layout.page_count
    seen = set()
    for index, image in enumerate(pages):
        registration = register(image)
        assert registration is not None and registration.markers == (0, 1, 2, 3)
        identity, ok = parse_code(read_qr(image, registration), service.key)
        assert ok and identity.fingerprint == forms.layout.fingerprint
        assert identity.page == index % forms.layout.page_count + 1
        seen.add(identity.serial)
    assert seen == set(forms.serials)


def test_bad_print_requests_get_clear_errors(service):
    from rightsaware.errors import NotFound, RightsawareError

    with pytest.raises(PaperError, match="one or two languages"):
        service.print_forms("sample", "cy+gd+en")
    with pytest.raises(PaperError, match="not available in cy"):
        service.print_forms("omr-test", "cy+en")
    with pytest.raises(NotFound):
        service.print_forms("no-such-survey", "en")
    with pytest.raises(RightsawareError):
        service.print_forms("sample", "klingon")
    with pytest.raises(PaperError, match="copies"):
        service.print_forms("sample", "en", copies=0)


def test_a_battery_of_single_choice_questions_is_a_grid_that_breaks_between_rows(paper_runtime, tmp_path):
    from rightsaware.loading import load_instrument

    from rightsaware_paper.service import PaperService

    lines = ['id = "battery"', 'version = "1"', 'title = "Battery"', 'languages = ["en"]', ""]
    for i in range(1, 31):
        lines += ["[[questions]]", f'name = "s{i}"', 'type = "select_one agree"', f'label = "Statement {i}"', ""]
    lines += ["[choices]", 'agree = [ { name = "y", label = "Agree" }, { name = "m", label = "Not sure" }, '
              '{ name = "n", label = "Disagree" } ]']
    path = tmp_path / "battery.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    paper_runtime.instruments.add(load_instrument(path), path)
    layout = PaperService(paper_runtime).print_forms("battery", "en").layout
    assert layout.page_count == 2
    for page in layout.pages:
        headers = [line.text for line in page.texts if line.role == "choice"]
        assert headers == ["Agree", "Not sure", "Disagree"]  # the header again on every page
        columns = {tuple(round(b.x, 2) for b in spot.bubbles) for spot in page.questions}
        assert len(columns) == 1  # every row's circles in the same columns
    numbers = [spot.number for page in layout.pages for spot in page.questions]
    assert numbers == list(range(1, 31))
    bubbles = [b for page in layout.pages for spot in page.questions for b in spot.bubbles]
    assert min(abs(a.x - b.x) for a in bubbles[:3] for b in bubbles[:3] if a is not b) >= 8.0
