"""Designs of the lme4 reference fits (built by lmmcore.design.build_design) and the references."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lmmcore import datasets
from lmmcore.design import Design, build_design

REFERENCES = Path(__file__).resolve().parents[1] / "reference" / "lme4"

FAST = [
    "sleepstudy_slopes",
    "sleepstudy_slopes_ml",
    "biomass_seed",
    "dyestuff",
    "penicillin_crossed",
    "pastes_nested",
]
ALL = FAST + [pytest.param("insteval_crossed", marks=pytest.mark.slow)]


def reference(name: str) -> dict:
    return json.loads((REFERENCES / f"{name}.json").read_text())


@pytest.fixture(scope="session")
def design_of():
    """``design_of(name)``: the design of reference fit ``name`` (its formula on its bundled data)."""
    cache: dict[str, Design] = {}

    def get(name: str) -> Design:
        if name not in cache:
            ref = reference(name)
            cache[name] = build_design(ref["formula"], datasets.load(ref["data"]))
        return cache[name]

    return get
