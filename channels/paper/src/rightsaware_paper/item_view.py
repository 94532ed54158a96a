"""What the review page shows for one item: the question in the respondent's language (and
the reviewer's), its choices with the circles the reader thought filled, and the history."""

from __future__ import annotations

from typing import Any

from .reasons import action_name, explain
from .review import Item, ReviewQueue
from .texts import paper_messages


def _texts(service: Any, instrument: Any, language: str, localize: Any) -> Any:
    return localize(instrument, service.runtime.messages(language))


def question_view(service: Any, instrument: Any, question: Any, languages: list[str], localize: Any,
                  marked: tuple[str, ...] = ()) -> dict:
    texts = {lang: _texts(service, instrument, lang, localize) for lang in languages}
    choices = []
    for number, choice in enumerate(instrument.choices_for(question), start=1):
        choices.append({"code": choice.name, "number": number, "marked": choice.name in marked,
                        "labels": [(lang, texts[lang].choice_label(question, choice)) for lang in languages]})
    return {"name": question.name, "kind": question.kind,
            "labels": [(lang, texts[lang].label(question)) for lang in languages],
            "hints": [(lang, texts[lang].hint(question)) for lang in languages if texts[lang].hint(question)],
            "choices": choices, "multiple": question.kind == "select_multiple"}


def item_view(service: Any, item: Item, language: str, localize: Any, actions: dict) -> dict:
    """The template context of ``paper_item.html``."""
    m = paper_messages(service.runtime, language)
    queue = ReviewQueue(service)
    page = item.page
    respondent_language = None
    instrument = None
    if page.get("instrument_id"):
        try:
            instrument = service.runtime.instrument(page["instrument_id"])
        except Exception:  # noqa: BLE001 - an uninstalled survey still lets the page be rejected
            instrument = None
        layout = service.layout(page["fingerprint"]) if page.get("fingerprint") else None
        respondent_language = layout.languages[0] if layout is not None else None
    languages = [lang for lang in dict.fromkeys([respondent_language or language, language])
                 if instrument is None or lang in instrument.languages]
    question = None
    page_questions = []
    if instrument is not None and item.question:
        question = question_view(service, instrument, instrument.question(item.question), languages, localize,
                                 tuple(item.proposal.get("marked", ())))
    if instrument is not None and item.kind == "page":
        layout = service.layout(page["fingerprint"])
        for spot in layout.page(page["page_no"]).questions:
            page_questions.append(question_view(service, instrument, instrument.question(spot.name), languages,
                                                localize))
    refusal = _refusal(service, item, instrument, language, localize) if item.kind == "refused" else None
    history = [{"who": d["who"], "at": d["at"].strftime("%Y-%m-%d %H:%M UTC") if d["at"] else "",
                "action": action_name(d["action"], m), "value": d["value"]} for d in queue.decisions(item.id)]
    return {
        "item": item, "question": question, "page_questions": page_questions,
        "reasons": [explain(r, m) for r in item.reasons], "actions": actions[item.kind],
        "history": history, "respondent_language": respondent_language,
        "file": (page.get("source") or "").rsplit("/", 1)[-1], "serial": page.get("serial") or "",
        "page_no": page.get("page_no") or "", "instrument_id": page.get("instrument_id") or "",
        "other_page": item.proposal.get("other_page"),
        "waiting": queue.count(), "refusal": refusal,
    }


def _refusal(service: Any, item: Item, instrument: Any, language: str, localize: Any) -> str | None:
    """The engine's reason for refusing the answer that was read, in the reviewer's language."""
    from sqlalchemy import and_, select

    from . import storage as db

    with service.engine.connect() as connection:
        text = connection.execute(select(db.answers.c.message).where(and_(
            db.answers.c.sheet_key == item.sheet_key, db.answers.c.question == item.question))).scalar()
    error = db.loads(text)
    if not error:
        return None
    if error.get("custom") and instrument is not None:
        message = _texts(service, instrument, language, localize).constraint_message(instrument.question(item.question))
        return message or error["custom"]
    return service.runtime.messages(language)._(error["message"], **error.get("params", {}))
