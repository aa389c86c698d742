"""Designs of the lme4 reference fits (built by lmmcore.design.build_design) and the references."""

from __future__ import annotations

import pytest

from lmmcore import datasets
from lmmcore.design import Design, build_design
from tests.refs import CLASSIC_FITS, load_reference

FAST = list(CLASSIC_FITS)
ALL = FAST + [pytest.param("insteval_crossed", marks=pytest.mark.slow)]
reference = load_reference


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
