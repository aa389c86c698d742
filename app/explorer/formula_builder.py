"""The model builder's state and its two translations: state -> lme4 formula text, parsed formula -> state.

The formula text is the single source of truth of the model: the builder controls only write it. Reading a
formula back into the controls succeeds only when writing that state gives the same parsed model, so an
expert's formula that the controls cannot express (``log(x)``, ``(1 | a:b)``) is never silently rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import engine

STRUCTURES = {
    "intercept": "intercept only  (1 | g)",
    "correlated": "intercept + slopes, correlated  (1 + x | g)",
    "uncorrelated": "intercept + slopes, uncorrelated  (1 + x || g)",
    "nested": "nested: inner factor within g  (1 | g/inner)",
}
MAX_RANDOM_SLOTS = 3
_PLAIN_NAME = re.compile(r"[A-Za-z_.][A-Za-z0-9_.]*\Z")


@dataclass(frozen=True)
class RandomSlot:
    """The random effects of one grouping factor (crossed factors are several slots)."""

    group: str
    structure: str = "intercept"
    slopes: tuple[str, ...] = ()
    inner: str = ""


@dataclass(frozen=True)
class BuilderState:
    """Everything the builder controls express: response, fixed effects, pairwise interactions, slots."""

    response: str
    fixed: tuple[str, ...] = ()
    interactions: tuple[str, ...] = ()
    random: tuple[RandomSlot, ...] = ()


def quote(name: str) -> str:
    """A column name as the formula grammar accepts it (backquoted unless it is a plain R name)."""
    return name if _PLAIN_NAME.match(name) else f"`{name}`"


def interaction_label(a: str, b: str) -> str:
    return f"{a}:{b}"


def _random_text(slot: RandomSlot) -> str:
    group = quote(slot.group)
    slopes = " + ".join(quote(s) for s in slot.slopes)
    if slot.structure == "nested" and slot.inner:
        return f"(1 | {group}/{quote(slot.inner)})"
    if slot.structure in ("correlated", "uncorrelated") and slopes:
        bar = "||" if slot.structure == "uncorrelated" else "|"
        return f"(1 + {slopes} {bar} {group})"
    return f"(1 | {group})"


def compose(state: BuilderState) -> str:
    """lme4 formula text of a builder state (``Biomass ~ Temp + N + (1 + Temp | Site)``)."""
    fixed = [quote(f) for f in state.fixed]
    fixed += [":".join(quote(v) for v in i.split(":")) for i in state.interactions]
    random = [_random_text(slot) for slot in state.random if slot.group]
    rhs = " + ".join(fixed + random) if fixed else " + ".join(["1", *random])
    return f"{quote(state.response)} ~ {rhs}"


def _variable_name(expr) -> str | None:
    return expr.name if type(expr).__name__ == "Variable" else None


def _term_names(term) -> list[str] | None:
    names = [_variable_name(f) for f in term.factors]
    return None if None in names else names


def _fixed_part(spec) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    fixed, interactions = [], []
    for term in spec.fixed:
        names = _term_names(term)
        if names is None or len(names) > 2:
            return None
        (fixed if len(names) == 1 else interactions).append(":".join(names))
    return tuple(fixed), tuple(interactions)


def _slot_for(group: str, bars: list, nested: list) -> RandomSlot | None:
    """The one slot whose text expands to ``bars`` (group ``(g,)``) and ``nested`` (group ``(h, g)``)."""
    if nested:
        if len(nested) != 1 or len(bars) != 1:
            return None
        return RandomSlot(group, "nested", (), nested[0].group[0])
    slopes = [_term_names(t) for bar in bars for t in bar.terms]
    if any(s is None or len(s) != 1 for s in slopes):
        return None
    names = tuple(s[0] for s in slopes)
    if len(bars) == 1:
        return RandomSlot(group, "correlated" if names else "intercept", names)
    return RandomSlot(group, "uncorrelated", names)


def _random_part(spec) -> tuple[RandomSlot, ...] | None:
    outer_order: list[str] = []
    for bar in spec.random:
        outer = bar.group[-1]
        if outer not in outer_order:
            outer_order.append(outer)
    slots = []
    for group in outer_order:
        bars = [b for b in spec.random if tuple(b.group) == (group,)]
        nested = [b for b in spec.random if len(b.group) == 2 and b.group[1] == group]
        slot = _slot_for(group, bars, nested)
        if slot is None:
            return None
        slots.append(slot)
    return tuple(slots)


def _same_model(a, b) -> bool:
    return (a.response, a.intercept, a.fixed, a.random) == (b.response, b.intercept, b.fixed, b.random)


def state_from_formula(text: str) -> BuilderState | None:
    """The builder state that writes this formula, or None (unparsable, or beyond the controls)."""
    try:
        spec = engine.parse_formula(text)
    except engine.LmmError:
        return None
    response = _variable_name(spec.response)
    fixed = _fixed_part(spec)
    random = _random_part(spec)
    if response is None or not spec.intercept or fixed is None or random is None:
        return None
    if len(random) > MAX_RANDOM_SLOTS:
        return None
    state = BuilderState(response, fixed[0], fixed[1], random)
    try:
        same = _same_model(engine.parse_formula(compose(state)), spec)
    except engine.LmmError:
        return None
    return state if same else None


def canonical(state: BuilderState | None):
    """What makes two builder states the same model: order-free terms; a slot asking for slopes (or an
    inner factor) before any is chosen is still an intercept-only slot."""
    if state is None:
        return None
    slots = []
    for slot in state.random:
        if slot.structure in ("correlated", "uncorrelated") and slot.slopes:
            slots.append((slot.group, slot.structure, frozenset(slot.slopes), ""))
        elif slot.structure == "nested" and slot.inner:
            slots.append((slot.group, "nested", frozenset(), slot.inner))
        else:
            slots.append((slot.group, "intercept", frozenset(), ""))
    interactions = frozenset(frozenset(i.split(":")) for i in state.interactions)
    return (state.response, frozenset(state.fixed), interactions, frozenset(slots))


def variables(state: BuilderState) -> set[str]:
    """Every column a builder state refers to."""
    names = {state.response, *state.fixed, *(v for i in state.interactions for v in i.split(":"))}
    for slot in state.random:
        names |= {slot.group, *slot.slopes} | ({slot.inner} if slot.inner else set())
    return names


def _expr_columns(expr) -> set[str]:
    kind = type(expr).__name__
    if kind == "Variable":
        return {expr.name}
    if kind == "Call":
        return set().union(*(_expr_columns(a) for a in expr.args))
    if kind == "BinaryOp":
        return _expr_columns(expr.left) | _expr_columns(expr.right)
    if kind == "UnaryOp":
        return _expr_columns(expr.operand)
    return set()


def formula_columns(text: str) -> set[str] | None:
    """Every data column a formula reads (response, terms, slopes, grouping factors), or None when it
    does not parse."""
    try:
        spec = engine.parse_formula(text)
    except engine.LmmError:
        return None
    names = _expr_columns(spec.response)
    for term in [*spec.fixed, *(t for bar in spec.random for t in bar.terms)]:
        for factor in term.factors:
            names |= _expr_columns(factor)
    return names | {g for bar in spec.random for g in bar.group}


def factor_uses(text: str) -> tuple[dict[str, bool], set[str]]:
    """Where a formula puts columns' levels: the fixed-part columns (name -> written as ``factor(name)``)
    and the grouping factors; empty when it does not parse."""
    try:
        spec = engine.parse_formula(text)
    except engine.LmmError:
        return {}, set()
    fixed: dict[str, bool] = {}
    for term in spec.fixed:
        for factor in term.factors:
            wrapped = type(factor).__name__ == "Call" and factor.func == "factor"
            inner = factor.args[0] if wrapped else factor
            if type(inner).__name__ == "Variable":
                fixed[inner.name] = fixed.get(inner.name, False) or wrapped
    return fixed, {g for bar in spec.random for g in bar.group}


def same_model(a: str, b: str) -> bool:
    """Whether two formula texts parse to the same model (spacing and spelling aside)."""
    try:
        return engine.parse_formula(a) == engine.parse_formula(b)
    except engine.LmmError:
        return False
