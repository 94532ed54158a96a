"""Doubtful marks go to review with a reason; decisions are validated, recorded and submitted."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from rightsaware_paper.review import ReviewError, ReviewQueue
from rightsaware_paper.synthetic import draw_mark


def _draw(forms, image, printed, question, choice, kind, dpi=200):  # noqa: ANN001, ANN202
    spot = printed.layout.page(1).question(question)
    bubble = next(b for b in spot.bubbles if b.choice == choice)
    if kind == "smudge":  # an even grey tone: what a rubbed-out pencil mark leaves
        k = dpi / 25.4
        cv2.circle(image, (round(bubble.x * k), round(bubble.y * k)), round(0.9 * bubble.r * k), 205, -1, cv2.LINE_AA)
        return
    draw_mark(image, bubble, dpi, kind, forms.rng, 22)


def test_doubtful_marks_go_to_review_with_their_reason(forms):
    printed = forms.print("omr-test", "en", copies=4)
    pages = forms.pages(printed)
    scenarios = [
        ({"q1": ("a", "filled"), "q2": ("a", "filled")}, {"q2": ("d", "filled")}, "multi_mark"),
        ({"q1": ("n", "filled")}, {"q1": ("a", "crossed_out")}, "crossed_out"),
        ({"q1": ("d", "smudge")}, {}, "faint"),
        ({"q1": ("a", "dot")}, {}, None),
    ]
    paths = []
    for image, (first, extra, _reason) in zip(pages, scenarios):
        image = image.copy()
        for marks in (first, extra):
            for question, (choice, kind) in marks.items():
                _draw(forms, image, printed, question, choice, kind)
        paths.append(forms.save(image))
    report = forms.scan(*paths)
    for record, (_first, _extra, reason) in zip(report.records, scenarios):
        by_question = {a["question"]: a for a in record.answers}
        if reason is None:  # a stray dot alone is a blank answer, accepted
            assert by_question["q1"]["state"] == "accepted" and by_question["q1"]["value"] is None
            continue
        changed = "q2" if reason == "multi_mark" else "q1"
        assert by_question[changed]["state"] == "in_review"
        assert reason in by_question[changed]["reasons"], by_question[changed]
    queue = ReviewQueue(forms.service)
    assert queue.count() == 3
    assert "q2" not in forms.values(printed.serials[0])  # held back until reviewed
    assert forms.values(printed.serials[0]) == {"q1": "a"}


def test_decisions_are_validated_recorded_and_submitted(forms):
    printed = forms.print("sample", "cy+en")
    marked = forms.mark(forms.pages(printed)[0], printed, 1, {"heard": "yes", "barriers": ("transport",)},
                        texts={"age": "15O"})
    forms.scan(forms.save(marked))
    queue = ReviewQueue(forms.service)
    (item,) = queue.items()
    assert item.kind == "transcribe" and item.question == "age" and item.reasons == ("transcribe",)
    assert queue.crop(item)[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ReviewError, match="16 and 120"):
        queue.decide(item.id, "choose", "150", who="Siân")
    with pytest.raises(ReviewError, match="whole number"):
        queue.decide(item.id, "choose", "fifteen", who="Siân")
    with pytest.raises(ReviewError, match="name"):
        queue.decide(item.id, "choose", "67", who=" ")
    with pytest.raises(ReviewError, match="not a decision"):
        queue.decide(item.id, "keyed", {}, who="Siân")
    decided = queue.decide(item.id, "choose", "67", who="Siân")
    assert decided.state == "decided" and decided.decided_by == "Siân" and decided.value == 67
    response = forms.response(printed.serials[0])
    assert response.status == "completed"
    assert {k: a.value for k, a in response.answers.items()} == {
        "heard": "yes", "age": 67, "barriers": ("transport",), "comment": None}
    # a second decision replaces the first; both stay in the history
    queue.decide(item.id, "choose", "76", who="Gwen")
    history = queue.decisions(item.id)
    assert [(d["who"], d["value"]) for d in history] == [("Siân", 67), ("Gwen", 76)]
    assert history[1]["before"]["value"] == 67 and history[1]["at"] is not None
    assert forms.values(printed.serials[0])["age"] == 76
    from sqlalchemy import select

    from rightsaware_paper import storage as db

    with forms.service.engine.connect() as connection:
        state = connection.execute(select(db.pages.c.state)).scalar_one()
    assert state == "done"


def test_an_answer_held_back_lets_later_skip_logic_wait(forms):
    """barriers is asked only if heard = yes: while heard is in review, barriers waits."""
    printed = forms.print("sample", "en")
    image = forms.pages(printed)[0].copy()
    _draw(forms, image, printed, "heard", "yes", "filled")
    _draw(forms, image, printed, "heard", "no", "filled")
    image = forms.mark(image, printed, 1, {"barriers": ("time",)})
    record = forms.scan(forms.save(image)).records[0]
    stored = {a["question"]: a.get("stored") for a in record.answers}
    assert stored["barriers"] == "pending"
    queue = ReviewQueue(forms.service)
    (item,) = [i for i in queue.items() if i.question == "heard"]
    assert "multi_mark" in item.reasons and set(item.proposal["marked"]) == {"yes", "no"}
    queue.decide(item.id, "choose", "yes", who="Morag")
    assert forms.values(printed.serials[0])["barriers"] == ("time",)


def test_blank_and_unreadable_decisions(forms):
    printed = forms.print("omr-test", "en")
    image = forms.pages(printed)[0].copy()
    _draw(forms, image, printed, "q1", "a", "filled")
    _draw(forms, image, printed, "q1", "n", "filled")
    _draw(forms, image, printed, "q2", "n", "crossed_out")
    forms.scan(forms.save(image))
    queue = ReviewQueue(forms.service)
    first, second = queue.items()
    queue.decide(first.id, "blank", who="Iain")
    queue.decide(second.id, "unreadable", who="Iain")
    response = forms.response(printed.serials[0])
    assert "q2" not in response.answers and "q1" not in response.answers  # q1 is required: blank is unanswered
    assert queue.count() == 0


def _cover(image, layout_page, dpi, rects):  # noqa: ANN001, ANN202
    k = dpi / 25.4
    for x, y, w, h in rects:
        cv2.rectangle(image, (int(x * k), int(y * k)), (int((x + w) * k), int((y + h) * k)), 255, -1)
    return image


def test_a_page_that_cannot_be_lined_up_is_keyed_by_a_person(forms):
    printed = forms.print("omr-test", "en")
    page = printed.layout.page(1)
    image = forms.mark(forms.pages(printed)[0], printed, 1, {"q1": "a", "q2": "n"})
    markers = [(m.x - 1, m.y - 1, m.size + 2, m.size + 2) for m in page.markers[1:3]]
    record = forms.scan(forms.save(_cover(image, page, 200, markers))).records[0]
    assert (record.state, record.reason) == ("in_review", "unregistered")
    queue = ReviewQueue(forms.service)
    (item,) = queue.items()
    assert item.kind == "page" and queue.crop(item)[:4] == b"\x89PNG"
    with pytest.raises(ReviewError):
        queue.decide(item.id, "keyed", {"q1": "maybe"}, who="Ffion")
    queue.decide(item.id, "keyed", {"q1": "a", "q2": "n", "q3": ""}, who="Ffion")
    assert forms.values(printed.serials[0]) == {"q1": "a", "q2": "n"}
    # a better scan of the same sheet page later is read, and counted once
    again = forms.mark(forms.pages(printed)[0], printed, 1, {"q1": "a", "q2": "n"})
    second = forms.scan(forms.save(again)).records[0]
    assert (second.state, second.reason) == ("rejected", "duplicate")
    assert forms.values(printed.serials[0]) == {"q1": "a", "q2": "n"}


def test_an_unreadable_code_is_typed_in(forms):
    printed = forms.print("omr-test", "en")
    page = printed.layout.page(1)
    image = forms.mark(forms.pages(printed)[0], printed, 1, {"q1": "d", "q2": "d", "q3": "d"})
    qr = page.qr
    record = forms.scan(forms.save(_cover(image, page, 200, [(qr.x, qr.y, qr.size, qr.size)]))).records[0]
    assert (record.state, record.reason) == ("in_review", "unidentified")
    queue = ReviewQueue(forms.service)
    (item,) = queue.items()
    assert item.kind == "identify"
    with pytest.raises(ReviewError, match="code"):
        queue.decide(item.id, "identify", "RA1|omr-test|1|00000000|1/1|0000000000|000000", who="Eilidh")
    from rightsaware_paper.identity import PageIdentity

    code = PageIdentity("omr-test", "1", printed.layout.fingerprint, 1, 1, printed.serials[0]).payload(
        forms.service.key)
    typed = code.lower().replace("|", " | ")  # people type in lower case, with spaces
    queue.decide(item.id, "identify", typed.replace("ra1", "RA1", 1), who="Eilidh")
    assert forms.values(printed.serials[0]) == {"q1": "d", "q2": "d", "q3": "d"}


def test_a_different_filling_of_the_same_sheet_goes_to_a_person(forms):
    printed = forms.print("omr-test", "en")
    blank = forms.pages(printed)[0]
    one = forms.mark(blank, printed, 1, {"q1": "a", "q2": "a", "q3": "a"})
    other = forms.mark(blank, printed, 1, {"q1": "d", "q2": "d", "q3": "d"})  # a photocopy filled by someone else
    report = forms.scan(forms.save(one), forms.save(other))
    assert [(r.state, r.reason) for r in report.records] == [("read", None), ("in_review", "conflict")]
    queue = ReviewQueue(forms.service)
    (item,) = queue.items()
    assert item.kind == "conflict" and queue.other_page_image(item)[:4] == b"\x89PNG"
    queue.decide(item.id, "different_person", who="Rhys")
    assert forms.values(printed.serials[0]) == {"q1": "a", "q2": "a", "q3": "a"}
    assert forms.values(printed.serials[0] + "~2") == {"q1": "d", "q2": "d", "q3": "d"}
    with pytest.raises(ReviewError, match="already decided"):
        queue.decide(item.id, "same_sheet", who="Rhys")


def test_reader_measurements_per_mark_kind(forms):
    """The reader's own decisions, without the store: each mark kind on a clean 200 dpi page."""
    printed = forms.print("omr-test", "en")
    reader = forms.service.reader()
    expectations = {"filled": ("accepted",), "tick": ("accepted",), "cross": ("accepted",), "partial": ("accepted",),
                    "dot": ("accepted", "review"), "two": ("review",), "crossed_out": ("review",),
                    "pencil": ("accepted", "review")}
    for kind, states in expectations.items():
        image = forms.pages(printed)[0].copy()
        if kind == "two":
            _draw(forms, image, printed, "q1", "a", "filled")
            _draw(forms, image, printed, "q1", "d", "filled")
        else:
            _draw(forms, image, printed, "q1", "n", kind)
        result = reader.read(image)
        answer = {a.question: a for a in result.answers}["q1"]
        assert answer.state in states, (kind, answer)
        if answer.state == "accepted":  # never a wrong answer accepted
            assert answer.value == (None if kind == "dot" else "n"), kind
        if kind in ("two", "crossed_out"):
            assert {"two": "multi_mark", "crossed_out": "crossed_out"}[kind] in answer.reasons
    assert np.all(np.isfinite(result.registration.homography))
