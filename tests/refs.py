"""lme4's reference fits (``tests/reference/lme4/*.json``, fields in ``tests/reference/README.md``), and
our fits of the same models.

Our optimizer often stops at a slightly lower criterion than lme4 (whose optimizer stops at a
tolerance), so estimates differ from lme4's by ~1e-5 relative in the flattest directions.
:func:`at_reference_theta` evaluates a fit at lme4's theta, which isolates a method's arithmetic from
that difference.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

import lmmcore
from lmmcore.fitting import criterion_for

REFERENCE_DIR = Path(__file__).parent / "reference"

#: The classic models whose references carry lme4's profile and Wald intervals and lmerTest's tests.
CLASSIC_FITS = (
    "sleepstudy_slopes",
    "sleepstudy_slopes_ml",
    "biomass_seed",
    "dyestuff",
    "penicillin_crossed",
    "pastes_nested",
)


@cache
def _read(relative: str) -> str:
    return (REFERENCE_DIR / relative).read_text(encoding="utf-8")


def load_reference(name: str) -> dict:
    """One reference fit as a fresh dict.

    ``name`` is the file name without ``.json`` under ``lme4/`` (``"sleepstudy_slopes"``), or a path
    relative to ``tests/reference`` for the other folders (``"quality/q_biomass"``).
    """
    relative = name if "/" in name else f"lme4/{name}"
    path = REFERENCE_DIR / f"{relative}.json"
    if not path.is_file():
        available = sorted(p.stem for p in (REFERENCE_DIR / "lme4").glob("*.json"))
        raise FileNotFoundError(f"No reference {path}; lme4/ has: {', '.join(available)}")
    return json.loads(_read(f"{relative}.json"))


def reference_names(folder: str = "lme4") -> list[str]:
    """Names of the reference files of a folder, for parametrizing tests."""
    return sorted(p.stem for p in (REFERENCE_DIR / folder).glob("*.json"))


def listify(value) -> list:
    """The references unbox vectors of length one (R's toJSON): make every vector a list again."""
    return value if isinstance(value, list) else [value]


def as_frame(matrix: dict) -> pd.DataFrame:
    """A ``{rownames, colnames, values}`` matrix as a float DataFrame (R's NA as NaN; 1 x 1 included)."""
    rows, cols = listify(matrix["rownames"]), listify(matrix["colnames"])
    values = np.array(matrix["values"], dtype=float).reshape(len(rows), len(cols))
    return pd.DataFrame(values, index=rows, columns=cols)


@cache
def fitted(name: str):
    """Our fit of the reference model ``name`` (a file of ``tests/reference/lme4``), once per session."""
    ref = load_reference(name)
    return lmmcore.fit(ref["formula"], lmmcore.datasets.load(ref["data"]), reml=ref["REML"])


def at_theta(m, theta):
    """``m`` with its solution at ``theta`` (beta, sigma, vcov as they are there)."""
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    return dataclasses.replace(m, solution=criterion_for(m).solve(theta))


@cache
def at_reference_theta(name: str):
    """Our fit of ``name`` with its solution at lme4's theta (beta, sigma, vcov as lme4 reports them)."""
    return at_theta(fitted(name), load_reference(name)["theta"])
