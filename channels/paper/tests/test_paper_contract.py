"""The paper channel passes the channel contract, registers through the entry point and prints on deliver."""

from __future__ import annotations

from importlib import metadata

import pytest

from rightsaware.testing import ChannelContract


class TestPaperContract(ChannelContract):
    @pytest.fixture
    def channel(self):
        from rightsaware_paper.channel import PaperChannel

        return PaperChannel()


def test_entry_point_names_the_plugin():
    entry = {e.name: e for e in metadata.entry_points(group="rightsaware")}["paper"]
    assert entry.value == "rightsaware_paper.plugin"


def test_render_shows_the_question_as_printed(paper_runtime):
    channel = paper_runtime.channels.get("paper")
    instrument = paper_runtime.instrument("sample")
    rendered = channel.render(instrument.question("heard"), "cy", paper_runtime)
    assert rendered.text.splitlines() == ["Ydych chi wedi clywed am gydgynhyrchu?", "○ Ydw", "○ Nac ydw"]
    assert rendered.data["choices"] == ["yes", "no"] and not channel.info.interactive


def test_deliver_prints_a_form_linked_to_the_response(paper_runtime, forms):
    from rightsaware.events import Invitation
    from rightsaware.interview import Interviewer

    turn = Interviewer(paper_runtime).start("sample", channel="paper", language="gd")
    channel = paper_runtime.channels.get("paper")
    invitation = Invitation(instrument_id="sample", channel="paper", language="gd", response_id=turn.response.id)
    receipt = channel.deliver(invitation, None, paper_runtime)
    assert receipt.ok and receipt.provider_id
    pdf = forms.service.files.root / "printed" / f"sample-{receipt.provider_id}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert forms.service.sheet(receipt.provider_id)["response_id"] == turn.response.id
    bad = channel.deliver(Invitation(instrument_id="nothing-here", channel="paper"), None, paper_runtime)
    assert not bad.ok and bad.error_code == "print_failed"


def test_parse_inbound_reads_a_page_without_storing(paper_runtime, forms):
    import cv2

    printed = forms.print("omr-test", "en")
    image = forms.mark(forms.pages(printed)[0], printed, 1, {"q1": "a", "q2": "n", "q3": "d"})
    ok, png = cv2.imencode(".png", image)
    event = paper_runtime.channels.get("paper").parse_inbound({"image": png.tobytes()}, paper_runtime)
    assert event.kind == "page" and event.answers == {"q1": "a", "q2": "n", "q3": "d"}
    assert event.text.startswith("RA1|omr-test|1|")
    assert forms.service.sheet(printed.serials[0])["response_id"] is None  # nothing stored


def test_catalogs_are_complete_in_welsh_and_gaelic(paper_runtime):
    """Up to date with the code (the template is re-extracted), complete, and with CLDR plural forms."""
    import shutil
    from pathlib import Path

    from babel.messages.pofile import read_po
    from rightsaware import i18n_check

    from rightsaware_paper.texts import LOCALES_DIR

    domain = i18n_check.channel_domain("rightsaware_paper", LOCALES_DIR, LOCALES_DIR.parent)
    problems = i18n_check.check_domain(domain, stale=True, msgfmt=shutil.which("msgfmt") is not None)
    assert not problems, [str(p) for p in problems]

    template = read_po((LOCALES_DIR / "rightsaware_paper.pot").open("rb"))
    ids = {m.id if isinstance(m.id, str) else tuple(m.id) for m in template if m.id}
    assert len(ids) > 100
    for language, forms_count in (("cy", 6), ("gd", 4)):
        catalog = read_po(Path(LOCALES_DIR / language / "LC_MESSAGES" / "rightsaware_paper.po").open("rb"),
                          locale=language)
        assert catalog.num_plurals == forms_count
        translated = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog
                      if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy}
        assert ids <= translated, sorted(map(str, ids - translated))[:5]
    m = paper_runtime.messages("cy").domain("rightsaware_paper")
    assert m.ngettext("{n} item waits for review", "{n} items wait for review", 1) == \
        "1 eitem yn aros i gael ei hadolygu"
    assert m.ngettext("{n} item waits for review", "{n} items wait for review", 3) == \
        "3 eitem yn aros i gael eu hadolygu"
    gd = paper_runtime.messages("gd").domain("rightsaware_paper")
    assert gd.ngettext("{n} item waiting.", "{n} items waiting.", 5) == "5 nithean a’ feitheamh."
    assert gd.ngettext("{n} item waiting.", "{n} items waiting.", 20) == "20 nì a’ feitheamh."
