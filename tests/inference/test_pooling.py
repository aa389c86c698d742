"""Complete, no and partial pooling of the seed model, per site."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lmmcore
from lmmcore.datasets import load
from lmmcore.errors import InferenceError
from lmmcore.inference.pooling import pooling

FORMULA = "Biomass ~ Temp + N + (1 + Temp | Site)"
TERMS = ["(Intercept)", "Temp", "N"]


@pytest.fixture(scope="module")
def biomass():
    return load("biomass")


@pytest.fixture(scope="module")
def table(biomass):
    return pooling(FORMULA, biomass)


def estimates(table, method, terms=TERMS):
    wide = table[table["method"] == method].pivot(index="level", columns="term", values="estimate")
    return wide[terms]


def least_squares(frame):
    X = np.column_stack([np.ones(len(frame)), frame["Temp"], frame["N"]])
    return np.linalg.lstsq(X, frame["Biomass"].to_numpy(), rcond=None)[0]


def test_layout(table):
    assert list(table.columns) == ["group", "level", "term", "estimate", "method", "n", "note"]
    assert len(table) == 20 * 3 * 3
    assert set(table["method"]) == {"complete", "none", "partial"}
    assert (table["group"] == "Site").all() and (table["n"] == 5).all()
    assert table["estimate"].notna().all() and (table["note"] == "").all()


def test_complete_and_no_pooling_are_least_squares(table, biomass):
    complete = estimates(table, "complete")
    np.testing.assert_allclose(complete.to_numpy(), np.tile(least_squares(biomass), (20, 1)), rtol=1e-10)
    none = estimates(table, "none")
    for level, rows in biomass.groupby("Site"):
        np.testing.assert_allclose(none.loc[level].to_numpy(), least_squares(rows), rtol=1e-10)


def test_partial_pooling_is_lme4s_coef(table, reference):
    """coef(m) = fixef + conditional modes, to lme4's optimizer tolerance (1e-4 absolute)."""
    ref = reference("biomass_seed")
    ranef = ref["ranef"][0]
    partial = estimates(table, "partial").loc[ranef["levels"]]
    fixef = np.array([ref["fixef"][t] for t in TERMS])
    expected = np.tile(fixef, (20, 1))
    expected[:, :2] += np.array(ranef["modes"])
    np.testing.assert_allclose(partial.to_numpy(), expected, rtol=0, atol=1e-4)


def test_partial_pooling_shrinks_towards_the_population(table, reference):
    """Averaged over sites, partial-pooling estimates lie closer to the fixed effect than separate fits."""
    fixef = reference("biomass_seed")["fixef"]
    none, partial = estimates(table, "none"), estimates(table, "partial")
    for term in ("(Intercept)", "Temp"):
        distance_none = np.mean(np.abs(none[term] - fixef[term]))
        distance_partial = np.mean(np.abs(partial[term] - fixef[term]))
        assert distance_partial < 0.8 * distance_none, term
    # N has no random effect: every site gets the fixed effect
    np.testing.assert_allclose(partial["N"], fixef["N"], atol=1e-5)


def test_a_site_with_too_few_rows_gets_nan_and_a_note(biomass):
    thinned = biomass.drop(biomass.index[(biomass["Site"] == "Site4").to_numpy()][2:])
    table = pooling(FORMULA, thinned)
    site4 = table[(table["level"] == "Site4") & (table["method"] == "none")]
    assert site4["estimate"].isna().all() and (site4["n"] == 2).all()
    assert site4["note"].str.contains("2 rows for 3 coefficients").all()
    others = table[(table["level"] != "Site4") | (table["method"] != "none")]
    assert others["estimate"].notna().all()


def test_several_grouping_factors_need_group():
    penicillin = load("Penicillin")
    formula = "diameter ~ 1 + (1 | plate) + (1 | sample)"
    with pytest.raises(InferenceError, match="group="):
        pooling(formula, penicillin)
    table = pooling(formula, penicillin, group="sample")
    assert len(table) == 6 * 1 * 3 and (table["group"] == "sample").all() and (table["n"] == 24).all()
    with pytest.raises(InferenceError, match="plate"):
        pooling(formula, penicillin, group="Plate")


def test_no_random_effects_says_what_to_add(biomass):
    with pytest.raises(InferenceError, match=r"\(1 \| group\)"):
        pooling("Biomass ~ Temp + N", biomass)


def test_partial_pooling_of_the_ml_fit(biomass):
    """reml=False: the ML fit's coef(m) (its fixed effects plus its conditional modes)."""
    m = lmmcore.fit(FORMULA, biomass, reml=False)
    partial = estimates(pooling(FORMULA, biomass, reml=False), "partial")
    expected = m.fixef.to_numpy() + np.zeros((20, 3))
    modes = m.ranef["Site"].loc[partial.index]
    expected[:, :2] += modes[["(Intercept)", "Temp"]].to_numpy()
    np.testing.assert_allclose(partial.to_numpy(), expected, rtol=1e-12)
    reml = estimates(pooling(FORMULA, biomass), "partial")
    assert np.abs(partial.to_numpy() - reml.to_numpy()).max() > 1e-4  # the criterion matters


def test_uncorrelated_terms_of_one_group_add_up():
    """(Days || Subject) is two terms of Subject: coef(m) adds both conditional modes to the fixed effects."""
    sleepstudy = load("sleepstudy")
    formula = "Reaction ~ Days + (Days || Subject)"
    m = lmmcore.fit(formula, sleepstudy)
    partial = estimates(pooling(formula, sleepstudy), "partial", ["(Intercept)", "Days"])
    modes = m.ranef["Subject"].loc[partial.index, ["(Intercept)", "Days"]].to_numpy()
    np.testing.assert_allclose(partial.to_numpy(), m.fixef.to_numpy() + modes, rtol=1e-12)
    assert np.abs(modes).min(axis=0).all()  # both terms contribute


def test_a_fitted_model_is_used_as_it_is(biomass, table):
    """No refit: the same table as from the formula (REML), and the ML fit's own coef(m) for an ML fit."""
    pd.testing.assert_frame_equal(pooling(lmmcore.fit(FORMULA, biomass)), table)
    ml = lmmcore.fit(FORMULA, biomass, reml=False)
    pd.testing.assert_frame_equal(pooling(ml), pooling(FORMULA, biomass, reml=False))
    with pytest.raises(InferenceError, match="data="):
        pooling(FORMULA)
