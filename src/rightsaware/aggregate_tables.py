"""Count tables of one run, linked into one :class:`~rightsaware.disclosure.SuppressionProblem`.

Counts arrive by *joint* breakdown value (every breakdown at once). A *view* maps a joint
value to one of its groups: the everyone view, one per breakdown, and hidden views that
exist only to state relations (the part of a parent group outside its nested children).
Each question gets a row per view and group; its variables are keyed
``(question, view, group, item)`` where item is ``("c", code)`` for an answer (a mention for
multiple choice), ``("a", code)`` for a multiple-choice "don't know"-only answer, or one
of ``base answered no_answer not_asked agree mentions``. Group sizes are hidden variables
``("_size", view, group)``; the number of responses ``("_size", None, "_all")`` is
published unless it would give away a small count (for example the few people who were
asked nothing more after declining consent).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from attrs import define, field, frozen

from .aggregate_model import ALL
from .aggregate_sql import ANSWERED, NO_ANSWER
from .disclosure import BASE, CELL, HIDDEN, SIZE, TOTAL, SuppressionProblem

Joint = tuple[str, ...]
AWARENESS = "_awareness"
BANDS = ("none", "some", "most", "all")


@frozen
class View:
    """A way of grouping respondents: ``group(joint)`` is a group key, or None (left out)."""

    key: str | None  # None: everyone; a breakdown's name; or a hidden view's name
    group: Callable[[Joint], str | None]
    published: bool = True
    dimension: str | None = None  # the breakdown's own question (its table skips this view)
    index: int | None = None  # position of the breakdown in the joint value
    mapping: Mapping[str, str] | None = None  # raw value -> published group


@frozen
class Spec:
    """What a question's table holds."""

    name: str
    kind: str  # single multiple number date text awareness
    codes: tuple[str, ...] = ()  # substantive codes, in order
    apart: tuple[str, ...] = ()  # shown apart from the base
    agree: tuple[str, ...] = ()


def answered_item(spec: Spec) -> str:
    """The item that counts everyone who answered (the base itself when nothing is kept apart)."""
    if spec.kind in ("single", "multiple", "awareness") and not spec.apart:
        return "base"
    return "answered"


@define
class RawRow:
    size: int = 0
    classes: Counter = field(factory=Counter)  # single: code; others: answered; multi: apart-only codes
    mentions: Counter = field(factory=Counter)
    no_answer: int = 0
    score: float = 0.0  # awareness: sum of shares known

    def items(self, spec: Spec) -> dict[Any, tuple[int, str]]:
        """``item -> (count, kind)`` for the disclosure problem (not_asked added by the caller)."""
        found: dict[Any, tuple[int, str]] = {"no_answer": (self.no_answer, CELL)}
        if spec.kind in ("single", "awareness"):
            for code in spec.codes + spec.apart:
                found[("c", code)] = (self.classes[code], CELL)
            base = sum(self.classes[c] for c in spec.codes)
            found["base"] = (base, BASE)
            if spec.apart:
                found["answered"] = (base + sum(self.classes[c] for c in spec.apart), TOTAL)
            if spec.agree:
                found["agree"] = (sum(self.classes[c] for c in spec.agree), TOTAL)
        elif spec.kind == "multiple":
            answered = self.classes[ANSWERED]
            apart = sum(self.classes[c] for c in spec.apart)
            for code in spec.codes:
                found[("c", code)] = (self.mentions[code], CELL)
            for code in spec.apart:
                found[("a", code)] = (self.classes[code], CELL)
            found["base"] = (answered - apart, BASE)
            if spec.apart:
                found["answered"] = (answered, TOTAL)
            found["mentions"] = (sum(self.mentions[c] for c in spec.codes), TOTAL)
        else:
            found["answered"] = (self.classes[ANSWERED], CELL)
        return found

    def answered(self, spec: Spec) -> int:
        if spec.kind in ("single", "awareness"):
            return sum(self.classes[c] for c in spec.codes + spec.apart)
        return self.classes[ANSWERED]


def _sums(spec: Spec, items: Iterable[Any]) -> list[tuple[Any, list[Any]]]:
    """Within one row: ``(total, parts)`` relations between items."""
    items = set(items)
    relations = []
    if spec.kind in ("single", "awareness"):
        relations.append(("base", [("c", c) for c in spec.codes]))
        if spec.apart:
            relations.append(("answered", ["base"] + [("c", c) for c in spec.apart]))
        if "agree" in items:
            relations.append(("agree", [("c", c) for c in spec.agree]))
    elif spec.kind == "multiple":
        if spec.apart:
            relations.append(("answered", ["base"] + [("a", c) for c in spec.apart]))
        relations.append(("mentions", [("c", c) for c in spec.codes]))
    return relations


class RunTables:
    """Raw rows of every question in every view, and the linked disclosure problem."""

    def __init__(self, specs: Sequence[Spec], views: Sequence[View], sizes: Mapping[Joint, int], threshold: int):
        self.specs = {s.name: s for s in specs}
        self.views = list(views)
        self.rows: dict[tuple[str, str | None, str], RawRow] = {}
        self.sizes: dict[tuple[str | None, str], int] = Counter()
        for joint, n in sizes.items():
            for view in self.views:
                group = view.group(joint)
                if group is not None:
                    self.sizes[(view.key, group)] += n
        self.total = sum(sizes.values())
        self.problem = SuppressionProblem(threshold)

    def _targets(self, question: str, joint: Joint) -> Iterable[RawRow]:
        for view in self.views:
            if view.dimension is not None and view.dimension == question:
                continue
            group = view.group(joint)
            if group is None:
                continue
            key = (question, view.key, group)
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = RawRow(size=self.sizes[(view.key, group)])
            yield row

    def groups(self, view: str | None) -> list[str]:
        return sorted(g for (v, g) in self.sizes if v == view and self.sizes[(v, g)] > 0)

    # -- loading counts ------------------------------------------------------------------------
    def add_classes(self, counts: Mapping[tuple[str, Joint, str], int]) -> None:
        for (question, joint, cls), n in counts.items():
            if question not in self.specs:
                continue
            for row in self._targets(question, joint):
                if cls == NO_ANSWER:
                    row.no_answer += n
                else:
                    row.classes[cls] += n

    def add_mentions(self, counts: Mapping[tuple[str, Joint, str], int]) -> None:
        for (question, joint, code), n in counts.items():
            if question in self.specs:
                for row in self._targets(question, joint):
                    row.mentions[code] += n

    def add_awareness(self, counts: Mapping[tuple[Joint, str], tuple[int, float]]) -> None:
        for (joint, band), (n, score) in counts.items():
            for row in self._targets(AWARENESS, joint):
                row.classes[band] += n
                row.score += score

    def ensure_rows(self) -> None:
        """Every question has a row for every non-empty group (even when nobody answered)."""
        for name in self.specs:
            for view in self.views:
                if view.dimension is not None and view.dimension == name:
                    continue
                for group in self.groups(view.key):
                    self.rows.setdefault((name, view.key, group), RawRow(size=self.sizes[(view.key, group)]))

    # -- the disclosure problem ------------------------------------------------------------------
    def build_problem(self) -> SuppressionProblem:
        p = self.problem
        p.add(("_size", None, ALL), self.total, SIZE)
        for view in self.views:
            if view.key is not None:
                for group in self.groups(view.key):
                    p.add(("_size", view.key, group), self.sizes[(view.key, group)], HIDDEN)
        for (question, view_key, group), row in sorted(self.rows.items(), key=lambda kv: repr(kv[0])):
            spec = self.specs[question]
            view = self._view(view_key)
            hidden = not view.published
            items = row.items(spec)
            items["not_asked"] = (row.size - row.answered(spec) - row.no_answer, HIDDEN)
            for item, (count, kind) in items.items():
                p.add((question, view_key, group, item), count, HIDDEN if hidden else kind)
            key = (question, view_key, group)
            if hidden:
                continue  # a hidden row's own relations follow from the published rows
            partition = ["no_answer", "not_asked"]
            if spec.kind == "single":
                partition += [("c", c) for c in spec.codes + spec.apart]
            else:
                partition += [answered_item(spec)]
            if spec.kind == "awareness":
                partition = [answered_item(spec), "not_asked"]
            p.add_sum(("_size", view_key, group), [key + (i,) for i in partition])
            for total, parts in _sums(spec, items):
                p.add_sum(key + (total,), [key + (i,) for i in parts])
        self._link_views()
        return p

    def _view(self, key: str | None) -> View:
        for view in self.views:
            if view.key == key:
                return view
        raise KeyError(key)

    def _link_views(self) -> None:
        """Groups of a published breakdown add up to everyone's figures."""
        p = self.problem
        for view in self.views:
            if view.key is None or not view.published:
                continue
            groups = self.groups(view.key)
            p.add_sum(("_size", None, ALL), [("_size", view.key, g) for g in groups])
            for name in self.specs:
                if view.dimension == name:
                    continue
                for item in list(self._item_keys(name)):
                    p.add_sum((name, None, ALL, item), [(name, view.key, g, item) for g in groups])

    def _item_keys(self, name: str) -> Iterable[Any]:
        """Published items of a question (sums of hidden ones follow from the rest)."""
        row = self.rows.get((name, None, ALL))
        if row is None:
            return []
        return list(row.items(self.specs[name]))

    def link_nested(self, child: View, parent: View, slack: View, parent_of: Mapping[str, str]) -> None:
        """A parent group = its children + the hidden rest (``slack``), for every question."""
        p = self.problem
        for name in self.specs:
            if name in (child.dimension, parent.dimension):
                continue
            items = list(self._item_keys(name))
            for pgroup in self.groups(parent.key):
                kids = [g for g in self.groups(child.key) if parent_of.get(g) == pgroup]
                rest = [(name, slack.key, pgroup)] if (name, slack.key, pgroup) in self.rows else []
                for item in items:
                    parts = [(name, child.key, g, item) for g in kids] + [r + (item,) for r in rest]
                    p.add_sum((name, parent.key, pgroup, item), parts)
        for pgroup in self.groups(parent.key):
            kids = [("_size", child.key, g) for g in self.groups(child.key) if parent_of.get(g) == pgroup]
            rest = [("_size", slack.key, pgroup)] if (slack.key, pgroup) in self.sizes else []
            p.add_sum(("_size", parent.key, pgroup), kids + rest)

    def link_asked(self, question: str, parent: str, codes: Sequence[str]) -> bool:
        """People asked ``question`` are those who gave ``parent`` one of ``codes`` (when true)."""
        spec = self.specs[parent]
        item = "c" if spec.kind in ("single", "multiple") else None
        if item is None:
            return False
        pairs = []
        for (name, view_key, group), row in self.rows.items():
            if name != question:
                continue
            prow = self.rows.get((parent, view_key, group))
            if prow is None:
                continue
            asked = row.answered(self.specs[question]) + row.no_answer
            source = prow.mentions if spec.kind == "multiple" else prow.classes
            if asked != sum(source[c] for c in codes):
                return False
            pairs.append((view_key, group))
        for view_key, group in pairs:
            terms: dict[Any, int] = Counter()
            terms[(question, view_key, group, answered_item(self.specs[question]))] += 1
            terms[(question, view_key, group, "no_answer")] += 1
            for code in codes:
                terms[(parent, view_key, group, ("c", code))] -= 1
            self.problem.add_equation(terms)
        return bool(pairs)

    def link_zero(self, question: str, item: Any) -> bool:
        """``item`` is zero in every row of ``question`` (when true): e.g. nobody is "not asked"
        a question without skip logic, as anyone who reads the instrument knows."""
        keys = [(name, v, g, item) for (name, v, g) in self.rows if name == question]
        if not keys or any(self.problem.value(k) != 0 for k in keys if k in self.problem):
            return False
        for key in keys:
            if key in self.problem:
                self.problem.add_equation({key: 1})
        return True

    def link_equal(self, left: tuple[str, Any], right: tuple[str, Any]) -> bool:
        """``left`` and ``right`` items are the same count in every row (when true in the data)."""
        pairs = []
        for (name, view_key, group), _row in self.rows.items():
            if name != left[0] or (right[0], view_key, group) not in self.rows:
                continue
            a, b = (left[0], view_key, group, left[1]), (right[0], view_key, group, right[1])
            if a not in self.problem or b not in self.problem:
                return False
            if self.problem.value(a) != self.problem.value(b):
                return False
            pairs.append((a, b))
        for a, b in pairs:
            self.problem.add_sum(a, [b])
        return bool(pairs)
