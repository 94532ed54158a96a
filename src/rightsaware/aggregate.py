"""Aggregation: what people answered, by group, with disclosure control always applied.

::

    results = aggregate_results(runtime, "rights-wales", by=["local_authority", "channel"])

For every question: counts and proportions of the base with 95% Wilson intervals (single
choice: one answer each; multiple choice: respondents choosing each option, and shares of
all mentions; numbers and dates: median and quartiles); "don't know" and "prefer not to
say" are shown apart from the base. Breakdowns by language, channel, nation, local
authority, age band, rural/urban or any single-choice question; an awareness score per
respondent (rights known out of rights asked); answers by channel with a chi-square test;
and the "influence" item beside the national surveys. Counting happens in the database
(:mod:`rightsaware.aggregate_sql`); every published figure then goes through
:mod:`rightsaware.disclosure` in one linked problem (:mod:`rightsaware.aggregate_tables`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import aggregate_publish as publish
from . import tally
from .aggregate_model import ALL, OTHER, Dimension, Group, Results
from .aggregate_sql import UNKNOWN, DimensionSource, Scope, snapshot
from .aggregate_stats import DEFAULT_AGREE, DEFAULT_APART
from .aggregate_tables import AWARENESS, BANDS, RunTables, Spec, View, answered_item
from .disclosure import DEFAULT_THRESHOLD, check_threshold
from .errors import RightsawareError
from .i18n import _
from .instrument import Instrument

RESPONSE_COLUMNS = ("channel", "language")
NAMED_DIMENSIONS = ("nation", "local_authority", "age_band", "rural_urban")
SMALL_AREAS = frozenset({"local_authority"})
STEPS = ("tally", "responses", "answers", "disclosure", "statistics")  # what on_step reports
ATTEMPTS = 3  # reports started again when answers arrive that the tally's layout does not fit yet
_ATOM = re.compile(r"^\s*(?:\$\{(\w+)\}\s*=\s*'([^']*)'|selected\(\s*\$\{(\w+)\}\s*,\s*'([^']*)'\s*\))\s*$")


class BreakdownError(RightsawareError):
    """A breakdown that this instrument cannot give."""


def _meta_codes(question: Any, key: str) -> tuple[str, ...]:
    return tuple(c for c in re.split(r"[\s,]+", str(question.meta.get(key, ""))) if c)


def resolve_dimensions(instrument: Instrument, by: Iterable[str]) -> list[DimensionSource]:
    """The breakdowns named in ``by``; a BreakdownError names the ones this instrument offers."""
    found: list[DimensionSource] = []
    for raw in by:
        name = raw.strip()
        if not name or any(d.name == name for d in found):
            continue
        found.append(_dimension(instrument, name))
    return found


def available_dimensions(instrument: Instrument) -> list[str]:
    names = list(RESPONSE_COLUMNS)
    names += [q.name for q in instrument.questions if q.kind == "select_one"]
    if _age_question(instrument) is not None and "age_band" not in names:
        names.append("age_band")
    return names


def _age_question(instrument: Instrument) -> Any:
    for q in instrument.questions:
        if q.kind == "integer" and (q.name == "age" or q.meta.get("dimension") == "age"):
            return q
    return None


def _dimension(instrument: Instrument, name: str) -> DimensionSource:
    if name in RESPONSE_COLUMNS:
        return DimensionSource(name=name, column=name)
    by_meta = [q for q in instrument.questions if q.meta.get("dimension") == name]
    question = by_meta[0] if by_meta else next((q for q in instrument.questions if q.name == name), None)
    if question is None and name == "age_band":
        age = _age_question(instrument)
        if age is not None:
            return DimensionSource(name=name, question=age.name, age=True)
    if question is None:
        raise BreakdownError(_("This survey cannot be broken down by '{name}'. Choose from: {choices}.",
                               name=name, choices=", ".join(available_dimensions(instrument))))
    if question.kind != "select_one":
        raise BreakdownError(_("'{name}' cannot be a breakdown: only questions with one answer from a list can "
                               "(choose from: {choices}).", name=name,
                               choices=", ".join(available_dimensions(instrument))))
    return DimensionSource(name=name, question=question.name)


def question_spec(instrument: Instrument, question: Any) -> Spec:
    kind = tally.KINDS[question.kind]
    codes = tuple(c.name for c in instrument.choices_for(question))
    apart_set = set(DEFAULT_APART) | set(_meta_codes(question, "not_in_base"))
    apart = tuple(c for c in codes if c in apart_set)
    substantive = tuple(c for c in codes if c not in apart_set)
    agree: tuple[str, ...] = ()
    if kind == "single":
        agree = _meta_codes(question, "agree_codes") or tuple(
            c for c in DEFAULT_AGREE if c in codes and any("disagree" in other for other in codes))
    return Spec(name=question.name, kind=kind, codes=substantive, apart=apart, agree=agree)


def _atoms(expression: str | None) -> list[tuple[str, str]] | None:
    if not expression:
        return None
    atoms = []
    for part in re.split(r"\s+and\s+", expression.strip()):
        match = _ATOM.match(part)
        if match is None:
            return None
        atoms.append((match.group(1) or match.group(3), match.group(2) or match.group(4)))
    return atoms


def asked_when(instrument: Instrument) -> dict[str, tuple[str, str]]:
    """Questions asked exactly when another question has one answer: ``name -> (parent, code)``.

    ``${a} = 'x' and ${b} = 'y'`` reduces to ``b = y`` when ``b`` is itself asked only when
    ``a = x`` (so the first condition adds nothing): an attacker who knows the skip logic
    knows how many were asked.
    """
    by_name = {q.name: q for q in instrument.questions}
    closure: dict[str, set[tuple[str, str]]] = {}

    def implied(name: str, depth: int = 0) -> set[tuple[str, str]]:
        if name in closure or depth > 50:
            return closure.get(name, set())
        atoms = _atoms(getattr(by_name.get(name), "relevant", None)) or []
        found = set(atoms)
        for parent, _code in atoms:
            found |= implied(parent, depth + 1)
        closure[name] = found
        return found

    reduced: dict[str, tuple[str, str]] = {}
    for question in instrument.questions:
        atoms = _atoms(question.relevant)
        if not atoms:
            continue
        for parent, code in atoms:
            if parent in by_name and set(atoms) <= {(parent, code)} | implied(parent):
                reduced[question.name] = (parent, code)
                break
    return reduced


def combine_small(sizes: dict[str, int], threshold: int, parent_of: dict[str, str] | None = None) -> dict[str, str]:
    """Published group of each group: groups under the threshold are merged (within a parent).

    The merged group reaches the threshold and has two members or more where the
    parent has enough groups; "not known" is never merged.
    """
    mapping = {g: g for g in sizes}
    buckets: dict[str | None, list[str]] = {}
    for group in sizes:
        if group != UNKNOWN and sizes[group] > 0:
            buckets.setdefault((parent_of or {}).get(group), []).append(group)
    for parent, groups in buckets.items():
        small = sorted((g for g in groups if sizes[g] < threshold), key=lambda g: (sizes[g], g))
        if not small:
            continue
        big = sorted((g for g in groups if sizes[g] >= threshold), key=lambda g: (sizes[g], g))
        while (sum(sizes[g] for g in small) < threshold or len(small) < 2) and big:
            small.append(big.pop(0))
        key = OTHER if parent is None else f"{OTHER}:{parent}"
        for group in small:
            mapping[group] = key
    return mapping


def aggregate_results(runtime: Any, instrument_id: str, **options: Any) -> Results:
    """:func:`aggregate` with the runtime's store, instrument and threshold setting."""
    instrument = runtime.instrument(instrument_id)
    if options.get("threshold") is None:
        options["threshold"] = runtime.settings.suppression_threshold
    return aggregate(runtime.store, instrument, **options)


def aggregate(
    store: Any,
    instrument: Instrument,
    *,
    by: Sequence[str] = (),
    threshold: int = DEFAULT_THRESHOLD,
    include_synthetic: bool = False,
    include_free_text: bool = False,
    version: str | None = None,
    now: dt.datetime | None = None,
    on_step: Callable[[str], None] | None = None,
    on_coding: Callable[[int, int], None] | None = None,
) -> Results:
    """Count, protect and summarise the completed responses to ``instrument``.

    ``on_step`` (for progress bars) is called with each of :data:`STEPS` as it starts, and
    ``on_coding(done, total)`` as the responses that changed since the last run are coded
    (which takes a while only after a large import: see :mod:`rightsaware.tally`).
    """
    threshold = check_threshold(threshold)
    step = on_step or (lambda _name: None)
    requested = resolve_dimensions(instrument, by)
    if include_free_text:
        small = [d.name for d in requested if d.name in SMALL_AREAS
                 or (d.question and instrument.question(d.question).meta.get("small_area"))]
        if small:
            raise BreakdownError(_("Free-text answers are never shown with a breakdown by a small area "
                                   "({names}): leave out --include-free-text or the breakdown.",
                                   names=", ".join(small)))
    dims = list(requested)
    if not any(d.name == "channel" for d in dims):
        dims.append(DimensionSource(name="channel", column="channel"))
    plan = tally.plan_for(instrument)  # the questions counted, their kinds and the rights
    specs = [question_spec(instrument, instrument.question(name)) for name in plan.kinds]
    rights = plan.rights
    if rights:
        specs.append(Spec(name=AWARENESS, kind="awareness", codes=BANDS))
    scope = Scope(instrument.id, include_synthetic=include_synthetic, version=version)
    base = dict(instrument_id=instrument.id, instrument_version=version or instrument.version,
                generated_at=now or dt.datetime.now(dt.timezone.utc), threshold=threshold,
                include_synthetic=include_synthetic)
    for _attempt in range(ATTEMPTS):
        step("tally")
        tally.refresh(store.engine, instrument.id, plan, on_progress=on_coding)
        step("responses")
        try:
            with snapshot(store.engine, scope, dims, plan) as snap:
                return _aggregate_in(snap, scope, step, instrument, dims, requested, specs, rights, threshold,
                                     include_free_text, base)
        except tally.TallyChanged:
            continue
    raise RightsawareError(_("New answers kept arriving while the results were being worked out. "
                             "Try again in a minute."))


def _aggregate_in(snap: Any, scope: Scope, step: Callable[[str], None], instrument: Instrument,
                  dims: list[DimensionSource], requested: list[DimensionSource], specs: list[Spec],
                  rights: tuple[str, ...], threshold: int, include_free_text: bool, base: dict) -> Results:
    """The part of :func:`aggregate` inside one snapshot."""
    sizes = snap.sizes()
    total = sum(sizes.values())
    left_out = snap.synthetic_left_out(scope)
    if total < threshold:
        return Results(responses=None, synthetic_left_out=left_out, **base)
    views, dimensions, nested = _views(dims, requested, sizes, threshold)
    step("answers")
    multiple = [s for s in specs if s.kind == "multiple"]
    counts = snap.counts(classes=[s.name for s in specs if s.name != AWARENESS],
                         mentions=[s.name for s in multiple],
                         apart={s.name: s.apart for s in multiple if s.apart}, awareness=bool(rights))
    specs = _with_seen_codes(specs, counts.classes)
    tables = RunTables(specs, views, sizes, threshold)
    tables.add_classes(counts.classes)
    tables.add_classes(counts.apart_only)
    tables.add_mentions(counts.mentions)
    if rights:
        tables.add_awareness(counts.awareness)
    step("disclosure")
    tables.ensure_rows()
    problem = tables.build_problem()
    _link(tables, instrument, dims, dimensions, nested, rights)
    suppression = problem.solve()
    step("statistics")
    return publish.results(
        tables, suppression, snap, instrument=instrument, dimensions=dimensions, rights=rights,
        include_free_text=include_free_text, responses=total, synthetic_left_out=left_out, **base,
    )


def _with_seen_codes(specs: list[Spec], classes: dict) -> list[Spec]:
    """Codes found in the answers but no longer in the instrument are kept (as substantive)."""
    seen: dict[str, list[str]] = {}
    for (question, _joint, cls) in classes:
        seen.setdefault(question, []).append(cls)
    updated = []
    for spec in specs:
        if spec.kind == "single":
            extra = sorted({c for c in seen.get(spec.name, []) if not c.startswith("_")} - set(spec.codes + spec.apart))
            if extra:
                spec = Spec(name=spec.name, kind=spec.kind, codes=spec.codes + tuple(extra), apart=spec.apart,
                            agree=spec.agree)
        updated.append(spec)
    return updated


def _marginal(sizes: dict[tuple, int], index: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for joint, n in sizes.items():
        found[joint[index]] = found.get(joint[index], 0) + n
    return found


def _views(dims: list[DimensionSource], requested: list[DimensionSource], sizes: dict, threshold: int):
    """Views (everyone, each breakdown, hidden nested remainders) and the published dimensions."""
    views = [View(None, lambda joint: ALL)]
    dimensions: list[Dimension] = []
    mappings: dict[int, dict[str, str]] = {}
    nested: list[tuple[int, int, dict[str, str]]] = []
    order = sorted(range(len(dims)), key=lambda i: len(_marginal(sizes, i)))
    for i in order:
        raw = _marginal(sizes, i)
        parent_index, parent_of = _parent(sizes, i, raw, mappings)
        mapping = combine_small(raw, threshold, parent_of)
        groups = sorted(set(mapping.values()))
        known = [g for g in groups if g != UNKNOWN]
        dropped = len(known) < 2 and dims[i].column is None
        members = {g: tuple(sorted(r for r, m in mapping.items() if m == g)) for g in groups}
        dimensions.append(Dimension(
            name=dims[i].name, question=dims[i].question, requested=dims[i] in requested, dropped=dropped,
            groups=tuple(Group(g, members[g] if g.startswith(OTHER) else ()) for g in groups),
        ))
        if dropped:
            continue
        mappings[i] = mapping
        views.append(View(dims[i].name, lambda joint, i=i, m=mapping: m[joint[i]], dimension=dims[i].question,
                          index=i, mapping=mapping))
        if parent_index is not None:
            kid_parent = {mapping[g]: p for g, p in parent_of.items()}
            nested.append((i, parent_index, kid_parent))
            views.append(View(f"{dims[i].name}|{dims[parent_index].name}", published=False,
                              group=lambda joint, i=i, j=parent_index, kp=kid_parent:
                              None if kp.get(mappings[i][joint[i]]) == mappings[j][joint[j]]
                              else mappings[j][joint[j]]))
    dimensions.sort(key=lambda d: [x.name for x in dims].index(d.name))
    return views, dimensions, nested


def _parent(sizes: dict, index: int, raw: dict[str, int], mappings: dict[int, dict[str, str]]):
    """A coarser breakdown already placed in which every group of this one lies, if any.

    Returns its index and each group's published parent group.
    """
    best: tuple[int | None, dict[str, str]] = (None, {})
    for j, mapping in mappings.items():
        parents: dict[str, set[str]] = {}
        for joint, n in sizes.items():
            if n > 0 and joint[index] != UNKNOWN:
                parents.setdefault(joint[index], set()).add(mapping[joint[j]])
        if parents and all(len(p) == 1 for p in parents.values()):
            parent_of = {g: next(iter(p)) for g, p in parents.items()}
            if len(set(mapping.values())) > len(set(best[1].values())):
                best = (j, parent_of)
    return best


def _link(tables: RunTables, instrument: Instrument, dims: list[DimensionSource], dimensions: list[Dimension],
          nested: list, rights: tuple[str, ...]) -> None:
    """Relations an attacker who knows the instrument could use, added where they hold."""
    p = tables.problem
    views = {v.key: v for v in tables.views}
    for child, parent, kid_parent in nested:
        child_view, parent_view = views[dims[child].name], views[dims[parent].name]
        slack = views[f"{dims[child].name}|{dims[parent].name}"]
        tables.link_nested(child_view, parent_view, slack, kid_parent)
    for dim, dimension in zip(dims, dimensions):
        if dimension.dropped or dim.question is None or dim.name not in views:
            continue
        q = dim.question
        overall = tables.rows.get((q, None, ALL))
        if overall is None:
            continue
        groups = tables.groups(dim.name)
        if dim.age:
            known = [("_size", dim.name, g) for g in groups if g != UNKNOWN]
            p.add_sum((q, None, ALL, answered_item(tables.specs[q])), known)
        else:
            for group in groups:
                if group == UNKNOWN:
                    continue
                members = next(g.members for g in dimension.groups if g.key == group) or (group,)
                p.add_sum(("_size", dim.name, group), [(q, None, ALL, ("c", m)) for m in members])
        if UNKNOWN in groups:
            p.add_sum(("_size", dim.name, UNKNOWN), [(q, None, ALL, "no_answer"), (q, None, ALL, "not_asked")])
    for name in tables.specs:
        if name != AWARENESS and not instrument.question(name).relevant:
            tables.link_zero(name, "not_asked")
    for question, (parent, code) in asked_when(instrument).items():
        if question in tables.specs and parent in tables.specs:
            tables.link_asked(question, parent, [code])
    for right in rights:
        tables.link_equal((AWARENESS, "base"), (right, answered_item(tables.specs[right])))
    if len(rights) == 1:
        tables.link_equal((AWARENESS, ("c", "all")), (rights[0], ("c", "yes")))
