"""Round trips: print → rasterise (pypdfium2) → draw marks → scan → the same answers in the store."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from rightsaware_paper import synthetic


def test_clean_scan_at_150_dpi_gives_the_same_answers(forms):
    printed = forms.print("omr-test", "en", copies=2)
    pages = forms.pages(printed, dpi=150)
    first = forms.mark(pages[0], printed, 1, {"q1": "a", "q2": "d", "q3": "n"}, dpi=150)
    second = forms.mark(pages[1], printed, 1, {"q1": "d", "q2": "d"}, dpi=150)
    report = forms.scan(forms.save(first), forms.save(second))
    assert [r.state for r in report.records] == ["read", "read"]
    assert forms.values(printed.serials[0]) == {"q1": "a", "q2": "d", "q3": "n"}
    response = forms.response(printed.serials[0])
    assert response.status == "completed" and response.channel == "paper"
    assert forms.values(printed.serials[1]) == {"q1": "d", "q2": "d"}  # q3 left blank, and it is required
    blank = forms.response(printed.serials[1])
    assert blank.status == "completed"  # paper cannot ask again: the sheet is finished with the blank
    record = report.records[1].to_dict()
    assert record["identity"]["serial"] == printed.serials[1] and record["identity"]["page"] == 1
    assert {a["question"]: a["stored"] for a in record["answers"]} == {"q1": "stored", "q2": "stored",
                                                                       "q3": "unanswered"}


def test_bilingual_form_with_every_kind_of_answer(forms):
    printed = forms.print("sample", "cy+en")
    page = forms.pages(printed)[0]
    marked = forms.mark(page, printed, 1, {"heard": "yes", "barriers": ("time", "language")},
                        texts={"age": "67", "comment": "Bws"})
    report = forms.scan(forms.save(marked, ".jpg", 80))
    record = report.records[0]
    assert record.state == "in_review"
    states = {a["question"]: (a["state"], a["reasons"]) for a in record.answers}
    assert states["heard"] == ("accepted", []) and states["barriers"] == ("accepted", [])
    assert states["age"] == ("in_review", ["transcribe"]) and states["comment"] == ("in_review", ["transcribe"])
    assert forms.values(printed.serials[0]) == {"heard": "yes", "barriers": ("time", "language")}


def test_upside_down_sideways_and_phone_photos(forms):
    printed = forms.print("omr-test", "en", copies=3)
    pages = forms.pages(printed)
    rng = np.random.default_rng(3)
    answers = [{"q1": "a", "q2": "n", "q3": "d"}, {"q1": "n", "q2": "a", "q3": "a"}, {"q1": "d", "q2": "d", "q3": "n"}]
    images = [forms.mark(image, printed, 1, values) for image, values in zip(pages, answers)]
    turned = cv2.rotate(images[0], cv2.ROTATE_180)
    sideways = cv2.rotate(images[1], cv2.ROTATE_90_CLOCKWISE)
    photo = synthetic.degrade(images[2], "phone", rng)
    report = forms.scan(forms.save(turned), forms.save(sideways, ".jpg"), forms.save(photo, ".jpg", 70))
    assert [r.state for r in report.records] == ["read", "read", "read"]
    for serial, values in zip(printed.serials, answers):
        assert forms.values(serial) == values


def test_multi_page_pdf_and_tiff_input(forms):
    printed = forms.print("sample", "cy+en", copies=2, large_print=True)
    pages = forms.pages(printed, dpi=150)
    count = printed.layout.page_count
    pages[0] = forms.mark(pages[0], printed, 1, {"heard": "no"}, dpi=150)
    pages[count] = forms.mark(pages[count], printed, 1, {"heard": "yes"}, dpi=150)
    pdf_path = forms.folder / "batch.pdf"
    images = [Image.fromarray(p) for p in pages[:count]]
    images[0].save(pdf_path, save_all=True, append_images=images[1:], resolution=150)
    tiff_path = forms.folder / "batch.tiff"
    images = [Image.fromarray(p) for p in pages[count:]]
    images[0].save(tiff_path, save_all=True, append_images=images[1:], compression="tiff_lzw")
    report = forms.scan(pdf_path, tiff_path)
    assert len(report.records) == 2 * count
    assert [r.page for r in report.records] == list(range(1, count + 1)) * 2
    assert all(r.identity is not None for r in report.records)
    assert forms.values(printed.serials[0])["heard"] == "no"
    assert forms.values(printed.serials[1])["heard"] == "yes"
    assert report.summary()["reconciled"]


def test_bad_files_are_reported_not_fatal(forms, tmp_path):
    printed = forms.print("omr-test", "en")
    good = forms.save(forms.mark(forms.pages(printed)[0], printed, 1, {"q1": "a", "q2": "a", "q3": "a"}))
    corrupt = forms.folder / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    truncated = forms.folder / "truncated.pdf"
    truncated.write_bytes(printed.pdf[:400])
    empty = forms.folder / "empty.png"
    empty.write_bytes(b"")
    blank = forms.save(np.full((1169, 827), 250, np.uint8))
    letter = np.full((1169, 827), 245, np.uint8)
    for row in range(12):
        cv2.putText(letter, "Dear neighbour, the meeting is on Tuesday " * 2, (40, 120 + 60 * row),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, 20, 1, cv2.LINE_AA)
    photo = forms.save(letter, ".jpg")
    (forms.folder / "notes.txt").write_text("not a scan", encoding="utf-8")
    sliver = forms.save(np.full((20000, 3), 255, np.uint8))
    report = forms.scan(forms.folder)
    reasons = {r.file.rsplit("/", 1)[-1]: (r.state, r.reason) for r in report.records}
    assert reasons[good.name] == ("read", None)
    assert reasons["corrupt.jpg"] == ("rejected", "unreadable")
    assert reasons["truncated.pdf"] == ("rejected", "unreadable")
    assert reasons["empty.png"] == ("rejected", "empty")
    assert reasons[blank.name] == ("rejected", "blank")
    assert reasons[photo.name] == ("rejected", "not_a_form")
    assert reasons[sliver.name] == ("rejected", "unreadable")
    assert report.skipped == (str(forms.folder / "notes.txt"),)
    summary = report.summary()
    assert summary["pages_in"] == 7 == summary["accounted_for"] and summary["reconciled"]


def test_pages_of_another_form_or_installation_are_rejected(forms, paper_runtime, tmp_path):
    import attrs
    from rightsaware.runtime import Runtime
    from rightsaware.settings import Settings

    from rightsaware_paper.service import PaperService

    other_settings = Settings(data_dir=str(tmp_path / "elsewhere"), secret_key="another-installation-secret-key")
    other = Runtime(other_settings, plugin_manager=paper_runtime.pm)
    for entry in paper_runtime.instruments.entries():
        other.instruments.add(entry.instrument, entry.path)
    foreign = PaperService(other).print_forms("omr-test", "en")
    other.close()
    foreign_page = forms.mark(forms.pages(foreign)[0], foreign, 1, {"q1": "a"})
    ours = forms.print("omr-test", "en")
    ours_page = forms.mark(forms.pages(ours)[0], ours, 1, {"q1": "a", "q2": "a", "q3": "a"})
    report = forms.scan(forms.save(foreign_page), forms.save(ours_page), expected_instrument="sample")
    assert [(r.state, r.reason) for r in report.records] == [("rejected", "bad_check"),
                                                             ("rejected", "other_instrument")]
    # printed here, but its layout was forgotten: unknown layout (and scanning again retries it)
    forms.service._layouts.clear()
    from rightsaware_paper import storage as db

    with forms.service.engine.begin() as connection:
        connection.execute(db.layouts.delete())
    again = forms.scan(forms.save(ours_page))
    assert (again.records[0].state, again.records[0].reason) == ("rejected", "unknown_layout")
    forms.service.save_layout(ours.layout)
    retried = forms.scan(forms.folder / "scan-003.png")
    assert (retried.records[0].outcome, retried.records[0].state) == ("retried", "read")
    assert attrs.asdict(other_settings)["secret_key"] != attrs.asdict(paper_runtime.settings)["secret_key"]


def test_a_sheet_scanned_twice_is_not_counted_twice(forms):
    printed = forms.print("omr-test", "en")
    marked = forms.mark(forms.pages(printed)[0], printed, 1, {"q1": "a", "q2": "n", "q3": "d"})
    first = forms.save(marked)
    rescan = forms.save(synthetic.degrade(marked, "mild", np.random.default_rng(5)), ".jpg")
    report = forms.scan(first, first, rescan)
    assert [(r.outcome, r.state, r.reason) for r in report.records] == [
        ("new", "read", None), ("seen", "read", None), ("new", "rejected", "duplicate")]
    assert forms.values(printed.serials[0]) == {"q1": "a", "q2": "n", "q3": "d"}
    with forms.service.engine.connect() as connection:
        from sqlalchemy import func, select

        from rightsaware_paper import storage as db

        assert connection.execute(select(func.count()).select_from(db.sheets)).scalar_one() == 1
        assert connection.execute(select(func.count()).select_from(db.pages)).scalar_one() == 2


def test_every_page_is_kept_by_content_hash(forms):
    import hashlib

    printed = forms.print("omr-test", "en")
    path = forms.save(forms.mark(forms.pages(printed)[0], printed, 1, {"q1": "a"}))
    record = forms.scan(path).records[0]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.hash == digest
    kept = forms.service.files.root / "pages" / digest[:2] / f"{digest}.png"
    assert kept.read_bytes() == path.read_bytes()


def test_exif_orientation_of_phone_photos_is_honoured(forms):
    printed = forms.print("omr-test", "en")
    marked = forms.mark(forms.pages(printed)[0], printed, 1, {"q1": "d", "q2": "d", "q3": "d"})
    turned = Image.fromarray(cv2.rotate(marked, cv2.ROTATE_90_COUNTERCLOCKWISE))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buffer = io.BytesIO()
    turned.convert("RGB").save(buffer, "JPEG", quality=85, exif=exif)
    path = forms.folder / "phone.jpg"
    path.write_bytes(buffer.getvalue())
    report = forms.scan(path)
    assert report.records[0].state == "read"
    assert forms.values(printed.serials[0]) == {"q1": "d", "q2": "d", "q3": "d"}


def test_a_set_up_problem_fails_the_page_not_the_batch(forms, monkeypatch):
    from rightsaware.errors import CatalogError

    printed = forms.print("omr-test", "en", copies=2)
    pages = forms.pages(printed)
    first = forms.save(forms.mark(pages[0], printed, 1, {"q1": "a", "q2": "a", "q3": "a"}))
    second = forms.save(forms.mark(pages[1], printed, 1, {"q1": "n", "q2": "n", "q3": "n"}))
    runtime = forms.service.runtime
    original = runtime.instrument

    def broken(instrument_id):  # noqa: ANN001, ANN202 - the survey's translations went missing
        raise CatalogError("The translations of 'omr-test' are missing")

    monkeypatch.setattr(runtime, "instrument", broken)
    report = forms.scan(first, second)
    assert [(r.state, r.reason) for r in report.records] == [("rejected", "failed")] * 2
    assert "translations" in report.records[0].detail and report.summary()["reconciled"]
    monkeypatch.setattr(runtime, "instrument", original)
    again = forms.scan(first, second)
    assert [(r.outcome, r.state) for r in again.records] == [("retried", "read")] * 2
    assert forms.values(printed.serials[1]) == {"q1": "n", "q2": "n", "q3": "n"}
