"""Hand-built designs of the lme4 reference fits (until lmmcore.design.build_design lands) and references."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lmmcore.design.types import Design, ReBlock

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "lmmcore" / "datasets" / "data"
REFERENCES = ROOT / "tests" / "reference" / "lme4"


def reference(name: str) -> dict:
    return json.loads((REFERENCES / f"{name}.json").read_text())


def _read(name: str) -> pd.DataFrame:
    path = DATA / (f"{name}.csv.gz" if name == "InstEval" else f"{name}.csv")
    return pd.read_csv(path, dtype=str).apply(pd.to_numeric, errors="ignore")


def _term(group: str, labels: pd.Series, z: np.ndarray, names: tuple[str, ...]) -> ReBlock:
    levels, refs = np.unique(labels.astype(str).to_numpy(), return_inverse=True)
    return ReBlock(group, tuple(levels), refs.astype(np.intp), np.asarray(z, dtype=float), names)


def _design(y, x, fixed_names, terms) -> Design:
    terms = tuple(sorted(terms, key=lambda t: -t.nlevels))
    y = np.asarray(y, dtype=float)
    return Design(None, "y", y, np.asarray(x, dtype=float), fixed_names, terms, np.arange(len(y)))


def _ones(n):
    return np.ones((n, 1))


def build(name: str) -> Design:
    """The design of reference fit ``name`` (tests/reference/lme4/<name>.json)."""
    if name.startswith("sleepstudy_slopes"):
        d = pd.read_csv(DATA / "sleepstudy.csv", dtype={"Subject": str})
        xz = np.column_stack([np.ones(len(d)), d.Days])
        return _design(
            d.Reaction,
            xz,
            ("(Intercept)", "Days"),
            [_term("Subject", d.Subject, xz, ("(Intercept)", "Days"))],
        )
    if name == "biomass_seed":
        d = pd.read_csv(DATA / "biomass.csv", dtype={"Site": str})
        x = np.column_stack([np.ones(len(d)), d.Temp, d.N])
        z = np.column_stack([np.ones(len(d)), d.Temp])
        return _design(
            d.Biomass, x, ("(Intercept)", "Temp", "N"), [_term("Site", d.Site, z, ("(Intercept)", "Temp"))]
        )
    if name == "dyestuff":
        d = pd.read_csv(DATA / "Dyestuff.csv", dtype={"Batch": str})
        n = len(d)
        return _design(
            d.Yield, _ones(n), ("(Intercept)",), [_term("Batch", d.Batch, _ones(n), ("(Intercept)",))]
        )
    if name == "penicillin_crossed":
        d = pd.read_csv(DATA / "Penicillin.csv", dtype={"plate": str, "sample": str})
        n = len(d)
        terms = [_term(g, d[g], _ones(n), ("(Intercept)",)) for g in ("plate", "sample")]
        return _design(d.diameter, _ones(n), ("(Intercept)",), terms)
    if name == "pastes_nested":
        d = pd.read_csv(DATA / "Pastes.csv", dtype=str)
        n = len(d)
        terms = [
            _term("cask:batch", d.cask + ":" + d.batch, _ones(n), ("(Intercept)",)),
            _term("batch", d.batch, _ones(n), ("(Intercept)",)),
        ]
        return _design(d.strength.astype(float), _ones(n), ("(Intercept)",), terms)
    if name == "insteval_crossed":
        d = pd.read_csv(DATA / "InstEval.csv.gz", dtype=str)
        n = len(d)
        x = np.column_stack([np.ones(n), (d.service == "1").astype(float)])
        terms = [
            _term("s", d.s, _ones(n), ("(Intercept)",)),
            _term("d", d.d, _ones(n), ("(Intercept)",)),
            _term("dept:service", d.dept + ":" + d.service, _ones(n), ("(Intercept)",)),
        ]
        return _design(d.y.astype(float), x, ("(Intercept)", "service1"), terms)
    raise KeyError(name)


FAST = [
    "sleepstudy_slopes",
    "sleepstudy_slopes_ml",
    "biomass_seed",
    "dyestuff",
    "penicillin_crossed",
    "pastes_nested",
]
ALL = FAST + [pytest.param("insteval_crossed", marks=pytest.mark.slow)]


@pytest.fixture(scope="session")
def design_of():
    cache: dict[str, Design] = {}

    def get(name: str) -> Design:
        if name not in cache:
            cache[name] = build(name)
        return cache[name]

    return get
