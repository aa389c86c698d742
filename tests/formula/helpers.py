"""Compact views of a FormulaSpec for table-driven tests."""

from __future__ import annotations

from lmmcore.formula import FormulaSpec, group_label, term_label


def fixed_labels(spec: FormulaSpec) -> list[str]:
    """R's term labels, with "1"/"0" first for the intercept (as in ``attr(terms(f), "intercept")``)."""
    return ["1" if spec.intercept else "0"] + [term_label(t) for t in spec.fixed]


def bar_labels(spec: FormulaSpec) -> list[str]:
    """Each random term as ``lhs | group`` with an explicit intercept: ``1 + Days | Subject``."""
    return [
        " + ".join(["1" if rt.intercept else "0"] + [term_label(t) for t in rt.terms])
        + " | "
        + group_label(rt)
        for rt in spec.random
    ]
