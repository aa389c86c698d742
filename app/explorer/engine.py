"""The only place the dashboard touches ``lmmcore``: a thin adapter over its public API.

Everything here is a plain function of its arguments, so the figure and table builders, the panels and the
process-pool worker share one vocabulary and one import site.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

import lmmcore
import lmmcore.datasets
import lmmcore.errors
import lmmcore.formula

LmmError = lmmcore.errors.LmmError
FormulaError = lmmcore.errors.FormulaError

DEFAULT_FORMULA = "Biomass ~ Temp + N + (1 + Temp | Site)"
DEFAULT_EXAMPLE = "biomass"
EXAMPLES = ("biomass", "sleepstudy", "Dyestuff", "Penicillin", "Pastes", "InstEval")
EXAMPLE_LABELS = {"biomass": "biomass (seed tutorial)"}


@dataclass(frozen=True)
class ExampleInfo:
    """What the Examples source shows for one bundled data set."""

    name: str
    description: str
    formula: str


def parse_formula(text: str):
    """Parse ``text`` with lmmcore's grammar (never ``eval``); raises :class:`FormulaError`."""
    return lmmcore.formula.parse_formula(text)


def deparse_formula(spec) -> str:
    """lme4's text of a parsed formula."""
    return lmmcore.formula.deparse_formula(spec)


def fit(formula: str, data: pd.DataFrame, reml: bool):
    """Fit a linear mixed model; raises an :class:`LmmError` subclass for bad input."""
    return lmmcore.fit(formula, data, reml=reml)


def simulation_defaults() -> dict[str, float | int]:
    """The seed design's parameters as ``simulate_biomass`` declares them (one source of truth)."""
    signature = inspect.signature(lmmcore.datasets.simulate_biomass)
    return {
        name: p.default
        for name, p in signature.parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def simulate(**params) -> pd.DataFrame:
    """A draw of the seed's biomass design (sites x samples, Temp and N effects, random slopes)."""
    return lmmcore.datasets.simulate_biomass(**params)


@lru_cache(maxsize=8)
def load_example(name: str) -> pd.DataFrame:
    """One of lmmcore's bundled data sets (read once per process; callers never mutate it)."""
    return lmmcore.datasets.load(name)


def describe_example(name: str) -> ExampleInfo:
    """Description and suggested formula of a bundled data set."""
    info = lmmcore.datasets.describe(name)
    return ExampleInfo(name, info.description, info.formula)


def example_choices() -> dict[str, str]:
    """The Examples select's choices: data set name -> what the list shows."""
    return {name: EXAMPLE_LABELS.get(name, name) for name in example_names()}


def example_names() -> tuple[str, ...]:
    """The bundled data sets the Examples source offers, in the issue's order."""
    available = set(lmmcore.datasets.names())
    return tuple(name for name in EXAMPLES if name in available)
