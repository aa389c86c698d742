"""LmmResult: accessors agree with each other, rows keep their labels, predict/simulate, pickling, API."""

from __future__ import annotations

import dataclasses
import pickle
import sys
import types

import numpy as np
import pandas as pd
import pytest

from lmmcore import DataError, FitError, InferenceError, LmmResult, datasets, fit
from lmmcore.fitting import criterion_for
from lmmcore.varcomp import term_covariances

FORMULA = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def sleepstudy():
    return datasets.load("sleepstudy")


@pytest.fixture(scope="module")
def m(sleepstudy):
    return fit(FORMULA, sleepstudy)


def test_fixed_effect_accessors_agree(m):
    assert list(m.fixef.index) == ["(Intercept)", "Days"]
    vcov = m.vcov.to_numpy()
    np.testing.assert_allclose(vcov, vcov.T)
    np.testing.assert_allclose(m.se.to_numpy(), np.sqrt(np.diag(vcov)))
    np.testing.assert_allclose(vcov, m.sigma**2 * m.solution.unscaled_vcov)
    t = m.tables()["fixed_effects"]
    np.testing.assert_allclose(t["t value"], m.fixef / m.se)


def test_likelihood_accessors_follow_lme4s_definitions(m):
    assert m.npar == 2 + 3 + 1
    assert m.loglik == -m.criterion / 2
    assert m.aic == pytest.approx(m.criterion + 2 * 6)
    assert m.bic == pytest.approx(m.criterion + np.log(180) * 6)


def test_fitted_plus_residuals_is_the_response(m, sleepstudy):
    np.testing.assert_allclose(m.fitted + m.resid, sleepstudy["Reaction"])
    assert m.fitted.index.equals(sleepstudy.index)


def test_rows_keep_their_labels_when_na_rows_are_dropped(sleepstudy):
    data = sleepstudy.copy()
    data.index = [f"row{i}" for i in range(len(data))]
    data.loc[["row2", "row50"], "Reaction"] = np.nan
    m = fit(FORMULA, data)
    assert m.nobs == 178
    expected = data.index.drop(["row2", "row50"])
    assert m.fitted.index.equals(expected) and m.resid.index.equals(expected)
    assert m.simulate(2, seed=1).index.equals(expected)
    np.testing.assert_allclose(m.fitted + m.resid, data["Reaction"].dropna())
    assert m.messages[: len(m.design.messages)] == list(m.design.messages)


def test_random_effect_accessors_have_lme4s_shape(m):
    modes, sds = m.ranef["Subject"], m.ranef_sd["Subject"]
    assert list(modes.columns) == ["(Intercept)", "Days"] and modes.shape == (18, 2)
    assert modes.index.equals(sds.index) and list(modes.index[:2]) == ["308", "309"]
    assert (sds.to_numpy() > 0).all()
    np.testing.assert_allclose(sds.to_numpy() ** 2, np.diagonal(m.solution.cond_var[0], axis1=1, axis2=2))


def test_variance_tables_agree(m):
    re_table = m.tables()["random_effects"]
    vc = m.varcorr
    np.testing.assert_allclose(re_table["Variance"], vc.loc[vc["var2"].isna(), "vcov"])
    assert re_table["Corr"].iloc[1] == pytest.approx(vc["sdcor"].iloc[2])
    assert re_table["Corr"].iloc[0] is None and re_table["Corr"].iloc[2] is None


def test_tables_hold_the_summary_content(m):
    t = m.tables()
    assert set(t) == {
        "model",
        "groups",
        "scaled_residuals",
        "random_effects",
        "fixed_effects",
        "fixed_correlation",
        "messages",
    }
    assert t["model"].loc["REML criterion at convergence", "value"] == m.criterion
    assert t["groups"].loc["Subject", "Levels"] == 18
    assert list(t["scaled_residuals"].columns) == ["Min", "1Q", "Median", "3Q", "Max"]
    np.testing.assert_allclose(np.diag(t["fixed_correlation"].to_numpy()), 1.0)
    assert list(t["messages"].columns) == ["source", "message"]


def test_ml_model_table_has_information_criteria(sleepstudy):
    model = fit(FORMULA, sleepstudy, reml=False).tables()["model"]["value"]
    assert "REML criterion at convergence" not in model.index
    assert model["deviance"] == pytest.approx(-2 * model["logLik"])
    assert model["df.resid"] == 180 - 6


# --- predict -------------------------------------------------------------------------------------------
def test_predict_without_newdata_is_population_or_fitted(m):
    np.testing.assert_allclose(m.predict(), m.design.X @ m.solution.beta)
    np.testing.assert_allclose(m.predict(re=True), m.fitted)


def test_predict_with_random_effects_adds_the_levels_modes(m):
    newdata = pd.DataFrame({"Days": [0.0, 5.0], "Subject": ["309", "372"]}, index=["a", "b"])
    b = m.ranef["Subject"]
    expected = m.fixef["(Intercept)"] + m.fixef["Days"] * newdata["Days"].to_numpy()
    expected = expected + b.loc[newdata["Subject"], "(Intercept)"].to_numpy()
    expected = expected + b.loc[newdata["Subject"], "Days"].to_numpy() * newdata["Days"].to_numpy()
    predicted = m.predict(newdata, re=True)
    np.testing.assert_allclose(predicted, expected)
    assert list(predicted.index) == ["a", "b"]


def test_unseen_level_is_predicted_at_the_population_level(m):
    newdata = pd.DataFrame({"Days": [3.0], "Subject": ["999"]})
    np.testing.assert_allclose(m.predict(newdata, re=True), m.predict(newdata, re=False))


# --- simulate ------------------------------------------------------------------------------------------
def test_simulate_is_reproducible_and_labelled(m):
    a, b = m.simulate(3, seed=42), m.simulate(3, seed=42)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["sim_1", "sim_2", "sim_3"] and a.index.equals(m.fitted.index)
    assert not np.allclose(a.to_numpy(), m.simulate(3, seed=43).to_numpy())


@pytest.mark.parametrize("nsim", [0, -1, 2.5, True])
def test_simulate_rejects_a_bad_count(m, nsim):
    with pytest.raises(InferenceError, match="nsim"):
        m.simulate(nsim)


def test_simulated_moments_are_the_models(m):
    """Mean X beta and covariance sigma^2 (Z Lambda Lambda' Z' + I), within Monte Carlo error."""
    nsim = 4000
    sims = m.simulate(nsim, seed=2024).to_numpy()
    term = m.design.reterms[0]
    sigma_b = term_covariances(m.solution.theta, m.sigma, m.design.reterms)[0]
    same = term.refs[:, None] == term.refs[None, :]
    cov = same * (term.z @ sigma_b @ term.z.T) + m.sigma**2 * np.eye(m.nobs)
    mean = m.design.X @ m.solution.beta
    var = np.diag(cov)

    z_mean = (sims.mean(axis=1) - mean) / np.sqrt(var / nsim)
    assert np.abs(z_mean).max() < 4.5  # 180 standard normals: |z| > 4.5 has probability ~1e-3
    z_var = (sims.var(axis=1, ddof=1) - var) / (var * np.sqrt(2 / (nsim - 1)))
    assert np.abs(z_var).max() < 4.5
    centred = sims - mean[:, None]
    for i, j in [(0, 9), (0, 10), (25, 27)]:  # same subject, different subjects, same subject
        se = np.sqrt((var[i] * var[j] + cov[i, j] ** 2) / nsim)
        assert abs((centred[i] * centred[j]).mean() - cov[i, j]) < 4.5 * se


# --- pickling, immutability, criterion_for -------------------------------------------------------------
def test_pickle_round_trip(m):
    back = pickle.loads(pickle.dumps(m))
    assert isinstance(back, LmmResult)
    assert back.summary() == m.summary()
    pd.testing.assert_series_equal(back.fixef, m.fixef)
    pd.testing.assert_frame_equal(back.ranef["Subject"], m.ranef["Subject"])
    newdata = pd.DataFrame({"Days": [1.0, 2.0], "Subject": ["308", "new"]})
    pd.testing.assert_series_equal(back.predict(newdata, re=True), m.predict(newdata, re=True))
    assert criterion_for(back)(back.solution.theta) == pytest.approx(m.criterion, rel=1e-12)


def test_result_is_frozen(m):
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.reml = False


def test_criterion_for_rebuilds_the_models_criterion(m):
    criterion = criterion_for(m)
    assert criterion is criterion_for(m)
    assert criterion(m.solution.theta) == pytest.approx(m.criterion, rel=1e-12)
    assert criterion.reml is True


def test_repr_is_short(m):
    assert repr(m) == (f"<LmmResult REML fit of '{FORMULA}': n = 180, criterion = {m.criterion:.4f}>")


# --- fit's own argument checks -------------------------------------------------------------------------
def test_fit_rejects_data_that_is_not_a_frame():
    with pytest.raises(DataError, match="DataFrame"):
        fit(FORMULA, {"Reaction": [1.0]})


def test_fit_rejects_a_non_boolean_reml(sleepstudy):
    with pytest.raises(FitError, match="reml"):
        fit(FORMULA, sleepstudy, reml="yes")


# --- inference methods delegate to lmmcore.inference ---------------------------------------------------
@pytest.mark.parametrize(
    ("module", "function", "call", "expected_args", "expected_kwargs"),
    [
        (
            "intervals",
            "confint",
            lambda m: m.confint("profile", level=0.9, nsim=5, seed=1, executor=None),
            (),
            {"method": "profile", "level": 0.9, "nsim": 5, "seed": 1, "executor": None},
        ),
        ("profile", "profile", lambda m: m.profile(alphamax=0.01), (), {"alphamax": 0.01}),
        ("satterthwaite", "satterthwaite_table", lambda m: m.satterthwaite(), (), {}),
        ("satterthwaite", "anova_table", lambda m: m.anova(), (), {}),
        (
            "bands",
            "predict_band",
            lambda m: m.predict_band("nd", level=0.8, nsim=10, seed=3, re=True),
            ("nd",),
            {"level": 0.8, "nsim": 10, "seed": 3, "re": True},
        ),
    ],
)
def test_inference_methods_delegate(m, monkeypatch, module, function, call, expected_args, expected_kwargs):
    calls = []
    fake = types.ModuleType(f"lmmcore.inference.{module}")
    setattr(fake, function, lambda *args, **kwargs: calls.append((args, kwargs)) or "done")
    monkeypatch.setitem(sys.modules, f"lmmcore.inference.{module}", fake)
    assert call(m) == "done"
    ((args, kwargs),) = calls
    assert args[0] is m and args[1:] == expected_args and kwargs == expected_kwargs


@pytest.mark.parametrize(
    ("formula", "dataset"),
    [
        ("strength ~ 1 + (1 | batch/cask)", "Pastes"),
        ("diameter ~ 1 + (1 | plate) + (1 | sample)", "Penicillin"),
        ("Reaction ~ Days + (Days || Subject)", "sleepstudy"),
    ],
)
def test_predicting_the_fitted_rows_with_modes_gives_the_fitted_values(formula, dataset):
    data = datasets.load(dataset)
    m = fit(formula, data)
    np.testing.assert_allclose(m.predict(data, re=True), m.fitted, rtol=1e-12)
    np.testing.assert_allclose(m.predict(data), m.design.X @ m.solution.beta, rtol=1e-12)
