"""The one place that knows how model classes become plain data and back (cattrs).

``make_converter()`` returns a fresh converter each call; it forbids unknown keys so a
misspelt field in an instrument file is an error, not silently ignored. Question variants
are a tagged union whose tag is XLSForm's ``type`` column (``select_one yes_no``,
``integer``…), so the file shape stays the one survey authors already know.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_unstructure_fn, make_mapping_structure_fn
from cattrs.preconf.json import make_converter as make_json_converter

from .instrument import (
    CHOICE_KINDS,
    QUESTION_KINDS,
    Choice,
    Instrument,
    Question,
    ReferralRule,
)


class UnknownQuestionType(ValueError):
    """The ``type`` of a question is not one of the supported kinds."""


def split_type(type_text: Any) -> tuple[str, str | None]:
    """Split XLSForm's ``type`` (``select_one yes_no``) into kind and list name."""
    if not isinstance(type_text, str) or not type_text.strip():
        raise UnknownQuestionType("type must be text such as 'integer' or 'select_one yes_no'")
    parts = type_text.split()
    kind = parts[0]
    if kind not in QUESTION_KINDS:
        known = ", ".join(sorted(QUESTION_KINDS))
        raise UnknownQuestionType(f"unknown question type {kind!r} (known: {known})")
    if kind in CHOICE_KINDS:
        if len(parts) != 2:
            raise UnknownQuestionType(f"{kind} needs the name of a choice list, e.g. '{kind} yes_no'")
        return kind, parts[1]
    if len(parts) != 1:
        raise UnknownQuestionType(f"{kind} takes no list name (got {type_text!r})")
    return kind, None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _register_strict_scalars(converter: cattrs.Converter) -> None:
    """Refuse silent coercions (``3`` as a label, ``"yes"`` as a boolean, a string as a list)."""

    def strict(expected: type, what: str):
        def hook(value: Any, _type: Any) -> Any:
            # bool is a subclass of int: a boolean is never a number here.
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise TypeError(f"expected {what}, got {type(value).__name__} {_short(value)}")
            return value

        return hook

    converter.register_structure_hook(str, strict(str, "text"))
    converter.register_structure_hook(bool, strict(bool, "true or false"))
    converter.register_structure_hook(int, strict(int, "a whole number"))

    def tuple_hook_factory(tuple_type: Any) -> Any:
        item_type = get_args(tuple_type)[0]

        def hook(value: Any, _type: Any) -> tuple[Any, ...]:
            if not isinstance(value, (list, tuple)):
                raise TypeError(f"expected a list, got {type(value).__name__} {_short(value)}")
            items, errors = [], []
            for index, item in enumerate(value):
                try:
                    items.append(converter.structure(item, item_type))
                except Exception as exc:  # noqa: BLE001 - collected and re-raised below
                    note = IterableValidationNote(f"Structuring @ index {index}", index, item_type)
                    exc.__notes__ = [*getattr(exc, "__notes__", []), note]
                    errors.append(exc)
            if errors:
                raise IterableValidationError(f"While structuring {tuple_type!r}", errors, tuple_type)
            return tuple(items)

        return hook

    def dict_hook_factory(dict_type: Any) -> Any:
        mapping_hook = make_mapping_structure_fn(dict_type, converter)

        def hook(value: Any, _type: Any) -> dict[Any, Any]:
            if not isinstance(value, dict):
                raise TypeError(f"expected a table, got {type(value).__name__} {_short(value)}")
            return mapping_hook(value, dict_type)

        return hook

    converter.register_structure_hook_factory(
        lambda t: get_origin(t) is tuple and len(get_args(t)) == 2 and get_args(t)[1] is Ellipsis,
        tuple_hook_factory,
    )
    converter.register_structure_hook_factory(lambda t: get_origin(t) is dict, dict_hook_factory)


def make_converter() -> cattrs.Converter:
    """A new converter for instruments (and the other model classes)."""
    converter = make_json_converter(forbid_extra_keys=True, omit_if_default=True)
    _register_strict_scalars(converter)

    def structure_question(data: Any, _type: Any) -> Question:
        if not isinstance(data, dict):
            raise TypeError("each question must be a table with name, type and label")
        data = dict(data)
        type_text = data.pop("type", None)
        if type_text is None:
            raise UnknownQuestionType("required field 'type' is missing")
        kind, list_name = split_type(type_text)
        cls = QUESTION_KINDS[kind]
        if list_name is not None:
            data["list_name"] = list_name
        return converter.structure(data, cls)

    plain_hooks = {
        cls: make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True)
        for cls in QUESTION_KINDS.values()
    }

    def unstructure_question(question: Question) -> dict[str, Any]:
        data = plain_hooks[type(question)](question)
        data.pop("list_name", None)
        ordered = {"name": data.pop("name"), "type": question.type}
        ordered.update(data)
        return ordered

    converter.register_structure_hook(Question, structure_question)
    for cls in QUESTION_KINDS.values():
        converter.register_unstructure_hook(cls, unstructure_question)

    def unstructure_instrument(instrument: Instrument) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": instrument.id,
            "version": instrument.version,
            "title": instrument.title,
            "languages": list(instrument.languages),
        }
        for key in ("description", "jurisdiction"):
            value = getattr(instrument, key)
            if value is not None:
                data[key] = value
        if instrument.meta:
            data["meta"] = dict(instrument.meta)
        data["questions"] = [converter.unstructure(q, Question) for q in instrument.questions]
        if instrument.choices:
            data["choices"] = {
                name: [converter.unstructure(c, Choice) for c in choices]
                for name, choices in instrument.choices.items()
            }
        if instrument.referrals:
            data["referrals"] = [converter.unstructure(r, ReferralRule) for r in instrument.referrals]
        return data

    converter.register_unstructure_hook(Instrument, unstructure_instrument)
    return converter
