"""The designs of lme4's reference fits: nobs, groups, fixed names, theta order, level sets (exact)."""

from __future__ import annotations

import numpy as np
import pytest

from lmmcore.datasets import load
from lmmcore.design import build_design
from tests.refs import load_reference, reference_names

SINGLE_FITS = [n for n in reference_names() if "formula" in load_reference(n)]


def _as_list(value):
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("name", SINGLE_FITS)
def test_design_matches_lme4(name):
    ref = load_reference(name)
    design = build_design(ref["formula"], load(ref["data"]))
    assert design.nobs == ref["nobs"]
    assert design.fixed_names == tuple(ref["fixef"])
    assert design.X.shape == (ref["nobs"], len(ref["fixef"]))
    assert list(design.theta_names) == _as_list(ref["theta_names"])
    groups = {}
    for block in design.reterms:
        groups[block.group] = block.nlevels
        assert block.refs.shape == (design.nobs,)
        assert block.refs.min() == 0 and block.refs.max() == block.nlevels - 1
    assert groups == ref["ngroups"]
    for entry in ref["ranef"]:
        # ranef() merges the terms of one grouping factor ((Days || Subject) gives two blocks)
        blocks = [b for b in design.reterms if b.group == entry["group"]]
        assert all(set(b.levels) == set(entry["levels"]) for b in blocks)
        assert [name for b in blocks for name in b.names] == _as_list(entry["terms"])


@pytest.mark.parametrize("name", [n for n in reference_names() if "formulas" in load_reference(n)])
def test_lrt_designs_build(name):
    ref = load_reference(name)
    data = load(ref["data"])
    nobs = {build_design(f, data).nobs for f in ref["formulas"]}
    assert nobs == {len(data)}


def test_level_order_follows_lme4_where_the_data_keep_it():
    # Pastes: cask:batch levels in lme4's order (cask slowest); sleepstudy: Subject ids in order.
    pastes = build_design("strength ~ 1 + (1 | batch/cask)", load("Pastes"))
    assert pastes.reterms[0].levels == tuple(load_reference("pastes_nested")["ranef"][0]["levels"])
    sleep = build_design("Reaction ~ Days + (Days | Subject)", load("sleepstudy"))
    assert sleep.reterms[0].levels == tuple(load_reference("sleepstudy_slopes")["ranef"][0]["levels"])


def test_response_and_fixed_values_are_the_data():
    data = load("sleepstudy")
    design = build_design("log(Reaction) ~ Days + I(Days^2) + (Days || Subject)", data)
    days = data["Days"].to_numpy(dtype=float)
    assert design.response_name == "log(Reaction)"
    np.testing.assert_array_equal(design.y, np.log(data["Reaction"].to_numpy()))
    assert (design.X[:, 2] == days**2).all()
    assert [b.names for b in design.reterms] == [("(Intercept)",), ("Days",)]
    assert (design.reterms[1].z[:, 0] == days).all()
