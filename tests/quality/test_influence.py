"""Group-deletion influence against lme4's ``influence(m, groups = )`` and ``cooks.distance()``.

lme4's own refits stop at nloptwrap's default tolerance, which leaves some refitted fixed effects ~2e-5
relative from the optimum and moves Cook's distances (differences of nearby fits) by up to 3e-4; the
references also hold the same deletions with lme4's fits run to convergence (bobyqa, rhoend 1e-12):
those are compared at the issue's 1e-4, lme4's printed ones at 1e-3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lmmcore
from lmmcore.errors import InferenceError
from lmmcore.inference.executors import Cancelled
from lmmcore.quality.deletion import refit_deletions
from lmmcore.quality.influence import influence
from tests.quality.conftest import quality_fit, quality_names

RTOL_CONVERGED = 1e-4
RTOL_LME4_DEFAULT = 1e-3


@pytest.fixture(scope="module", params=quality_names("i"))
def case(request):
    ref, m = quality_fit(request.param)
    return ref, influence(m, ref["group"])


def test_levels_in_lme4s_order(case):
    ref, result = case
    assert list(result.cooks.index) == ref["levels"]
    assert list(result.fixef_deleted.columns) == list(np.atleast_1d(ref["fixef_names"]))
    assert result.converged.all() and result.messages == ()


def test_cooks_distances_match_converged_lme4_refits(case):
    ref, result = case
    np.testing.assert_allclose(result.cooks.to_numpy(), ref["cooks_converged"], rtol=RTOL_CONVERGED)
    np.testing.assert_allclose(result.fixef_deleted.to_numpy(), ref["fixef_deleted_converged"], rtol=1e-5)


def test_cooks_distances_match_lme4s_influence(case):
    ref, result = case
    np.testing.assert_allclose(result.cooks.to_numpy(), ref["cooks"], rtol=RTOL_LME4_DEFAULT)


def test_dfbeta_is_the_change_of_the_fixed_effects(case):
    _, result = case
    expected = result.fixef_deleted.to_numpy() - result.fixef.to_numpy()
    np.testing.assert_array_equal(result.dfbeta.to_numpy(), expected)


def test_result_method_and_unknown_group():
    _, m = quality_fit("i_sleep")
    via_method = m.influence("Subject")
    np.testing.assert_array_equal(via_method.cooks.to_numpy(), influence(m, "Subject").cooks.to_numpy())
    with pytest.raises(InferenceError, match="'Days' is not a grouping factor.*'Subject'"):
        m.influence("Days")


def test_a_deletion_that_leaves_a_fixed_effect_inestimable_is_reported_not_fatal():
    """Level 'c' of the fixed factor F occurs only in group g1: without g1 its column is all zero."""
    rng = np.random.default_rng(3)
    groups = np.repeat([f"g{i}" for i in range(6)], 8)
    factor = np.where(groups == "g0", "c", np.tile(["a", "b"], 24))
    y = rng.normal(size=48) + np.repeat(rng.normal(size=6), 8) + (factor == "b")
    m = lmmcore.fit("y ~ F + (1 | g)", pd.DataFrame({"y": y, "F": factor, "g": groups}))
    result = m.influence("g")
    assert np.isnan(result.cooks["g0"]) and np.isnan(result.fixef_deleted.loc["g0"]).all()
    assert np.isfinite(result.cooks.drop("g0")).all()
    assert len(result.messages) == 1 and result.messages[0].startswith("g g0: ")


def test_progress_reports_refits_as_they_finish_and_stops_when_told():
    """A crossed model refits one deletion at a time; a balanced one-term model in one batch."""
    _, crossed = quality_fit("i_penicillin")
    seen = []
    influence(crossed, "sample", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 6) for i in range(1, 7)]
    with pytest.raises(Cancelled):
        influence(crossed, "sample", progress=lambda done, total: done < 3)
    _, balanced = quality_fit("i_sleep")
    seen.clear()
    influence(balanced, "Subject", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(18, 18)]


def test_batched_and_one_by_one_refits_agree():
    """sleepstudy's deletions are fitted together (one shape); refitting each alone gives the same."""
    _, m = quality_fit("i_sleep")
    term = m.design.reterms[0]
    keeps = [term.refs != code for code in range(term.nlevels)]
    batched = refit_deletions(m, keeps)
    alone = [refit_deletions(m, [keep])[0] for keep in keeps]
    np.testing.assert_allclose([r.beta for r in batched], [r.beta for r in alone], rtol=1e-7)


def test_each_deletion_equals_a_fit_to_the_data_without_that_group():
    """Crossed factors of 6 and 6 levels: deleting a level of g1 leaves it 5 and puts g2 first (lme4 sorts
    terms by levels), so theta's order changes; every refit still equals fitting the remaining rows."""
    rng = np.random.default_rng(11)
    g1, g2 = np.meshgrid(np.arange(6), np.arange(6), indexing="ij")
    g1, g2 = np.repeat(g1.ravel(), 3), np.repeat(g2.ravel(), 3)
    x = rng.normal(size=len(g1))
    y = 1 + 0.5 * x + rng.normal(size=6)[g1] + 0.7 * rng.normal(size=6)[g2] + rng.normal(size=len(g1))
    data = pd.DataFrame({"y": y, "x": x, "g1": [f"a{i}" for i in g1], "g2": [f"b{i}" for i in g2]})
    formula = "y ~ x + (1 | g1) + (1 | g2)"
    m = lmmcore.fit(formula, data)
    assert [t.group for t in m.design.reterms] == ["g1", "g2"]
    result = m.influence("g1")
    for level in ("a0", "a3"):
        alone = lmmcore.fit(formula, data[data["g1"] != level])
        assert [t.group for t in alone.design.reterms] == ["g2", "g1"]
        np.testing.assert_allclose(result.fixef_deleted.loc[level], alone.fixef, rtol=1e-6)


def test_deleting_a_level_of_a_two_level_factor_is_refused_as_lme4_would():
    """Without one of h's two levels, (1 | h) has one level: lme4 refuses that model; each row says so."""
    rng = np.random.default_rng(4)
    data = pd.DataFrame(
        {
            "y": rng.normal(size=40),
            "g": np.repeat([f"g{i}" for i in range(8)], 5),
            "h": np.tile(["h0", "h1"], 20),
        }
    )
    result = lmmcore.fit("y ~ 1 + (1 | g) + (1 | h)", data).influence("h")
    assert result.cooks.isna().all() and not result.converged.any()
    assert [m.split(":")[0] for m in result.messages] == ["h h0", "h h1"]
    assert all("grouping factor 'h' has 1 level(s) in 20 rows" in m for m in result.messages)
