"""The profiled criterion and the solution at lme4's theta against lme4 1.1-31's reference fits."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ALL, reference

from lmmcore.design.types import Design, ReBlock
from lmmcore.fitting import criterion as criterion_module
from lmmcore.fitting.criterion import make_criterion


def _theta(ref) -> np.ndarray:
    return np.atleast_1d(np.asarray(ref["theta"], dtype=float))


@pytest.mark.parametrize("name", ALL)
def test_criterion_at_lme4_theta_equals_lme4(name, design_of):
    ref = reference(name)
    crit = make_criterion(design_of(name), reml=ref["REML"])
    # lme4 prints the criterion at its theta; only rounding separates the two computations
    assert crit(_theta(ref)) == pytest.approx(ref["criterion"], rel=1e-8)


@pytest.mark.parametrize("name", ALL)
def test_solution_at_lme4_theta_matches_lme4(name, design_of):
    ref = reference(name)
    design = design_of(name)
    sol = make_criterion(design, reml=ref["REML"]).solve(_theta(ref))
    names = list(design.fixed_names)
    # same theta, so only floating-point rounding (and lme4's printed 15 digits) separates the numbers
    rtol = 1e-6
    np.testing.assert_allclose(sol.beta, [ref["fixef"][k] for k in names], rtol=rtol)
    assert sol.sigma == pytest.approx(ref["sigma"], rel=rtol)
    vcov = sol.sigma**2 * sol.unscaled_vcov
    np.testing.assert_allclose(np.sqrt(np.diag(vcov)), [ref["se"][k] for k in names], rtol=rtol)
    ref_vcov = np.atleast_2d(np.asarray(ref["vcov"]["values"], dtype=float))
    np.testing.assert_allclose(vcov, ref_vcov, rtol=rtol, atol=1e-12 * np.abs(ref_vcov).max())
    assert sol.objective == pytest.approx(ref["criterion"], rel=1e-8)
    scale = np.abs(np.asarray(ref["fitted"])).max()
    np.testing.assert_allclose(sol.fitted, ref["fitted"], rtol=0, atol=1e-7 * scale)
    np.testing.assert_allclose(design.y - sol.fitted, ref["resid"], rtol=0, atol=1e-7 * scale)
    for term, modes, cond_var in zip(design.reterms, sol.b, sol.cond_var):
        _check_ranef(term, modes, cond_var, ref)


def _check_ranef(term: ReBlock, modes, cond_var, ref):
    entry = next(r for r in ref["ranef"] if r["group"] == term.group)
    position = {level: i for i, level in enumerate(term.levels)}
    order = [position[level] for level in entry["levels"]]
    ref_modes = np.asarray(entry["modes"], dtype=float).reshape(len(order), -1)
    ref_sd = np.asarray(entry["condsd"], dtype=float).reshape(len(order), -1)
    atol = 1e-7 * max(np.abs(ref_modes).max(), 1e-3)
    np.testing.assert_allclose(modes[order], ref_modes, rtol=1e-6, atol=atol)
    sd = np.sqrt(np.diagonal(cond_var, axis1=1, axis2=2))
    np.testing.assert_allclose(sd[order], ref_sd, rtol=1e-6)


@pytest.mark.parametrize("name", ["sleepstudy_slopes", "penicillin_crossed", "pastes_nested"])
def test_with_response_equals_fresh_criterion(name, design_of):
    design = design_of(name)
    crit = make_criterion(design)
    rng = np.random.default_rng(20261126)
    y = design.y + rng.normal(scale=design.y.std(), size=design.nobs)
    reused = crit.with_response(y)
    fresh = make_criterion(design.with_response(y))
    theta = crit.theta0 * 0.7 + 0.05
    assert reused(theta) == pytest.approx(fresh(theta), rel=1e-12)
    np.testing.assert_allclose(
        reused.value_and_gradient(theta)[1], fresh.value_and_gradient(theta)[1], rtol=1e-6
    )
    a, b = reused.solve(theta), fresh.solve(theta)
    np.testing.assert_allclose(a.beta, b.beta, rtol=1e-10)
    for ba, bb in zip(a.b, b.b):
        np.testing.assert_allclose(ba, bb, rtol=1e-9, atol=1e-12)
    # the original criterion is untouched
    assert crit(theta) == pytest.approx(make_criterion(design)(theta), rel=1e-12)


@pytest.mark.parametrize("name", ["penicillin_crossed", "pastes_nested"])
def test_sparse_schur_kernel_equals_dense(name, design_of, monkeypatch):
    ref = reference(name)
    design = design_of(name)
    dense = make_criterion(design)
    monkeypatch.setattr(criterion_module, "_DENSE_CROSS_LIMIT", 0)
    sparse = make_criterion(design)
    assert type(sparse._cross).__name__ == "SparseCross"
    theta = _theta(ref)
    assert sparse(theta) == pytest.approx(dense(theta), rel=1e-12)
    a, b = sparse.solve(theta), dense.solve(theta)
    for ca, cb in zip(a.cond_var, b.cond_var):
        np.testing.assert_allclose(ca, cb, rtol=1e-10)
    sparse_y = sparse.with_response(design.y[::-1])
    assert sparse_y(theta) == pytest.approx(make_criterion(design.with_response(design.y[::-1]))(theta))


def _brute_force(design: Design, theta: np.ndarray, reml: bool):
    """The criterion and the modes from dense matrices (Bates et al. 2015, eqs. 10-34); small n only."""
    n = design.nobs
    zs, lams, start = [], [], 0
    for term in design.reterms:
        z = np.zeros((n, term.nlevels * term.k))
        for s in range(term.k):
            z[np.arange(n), term.refs * term.k + s] = term.z[:, s]
        t = np.zeros((term.k, term.k))
        cols, rows = np.triu_indices(term.k)
        t[rows, cols] = theta[start : start + term.ntheta]
        start += term.ntheta
        zs.append(z)
        lams.append(np.kron(np.eye(term.nlevels), t))
    z = np.hstack(zs)
    lam = np.zeros((z.shape[1], z.shape[1]))
    offset = 0
    for block in lams:
        lam[offset : offset + len(block), offset : offset + len(block)] = block
        offset += len(block)
    x, y, p = design.X, design.y, design.p
    zl = z @ lam
    big = np.block([[zl.T @ zl + np.eye(len(lam)), zl.T @ x], [x.T @ zl, x.T @ x]])
    sol = np.linalg.solve(big, np.concatenate([zl.T @ y, x.T @ y]))
    u, beta = sol[: len(lam)], sol[len(lam) :]
    pwrss = np.sum((y - zl @ u - x @ beta) ** 2) + u @ u
    ldl2 = np.linalg.slogdet(zl.T @ zl + np.eye(len(lam)))[1]
    ldrx2 = np.linalg.slogdet(big)[1] - ldl2
    if reml:
        value = ldl2 + ldrx2 + (n - p) * (1 + np.log(2 * np.pi * pwrss / (n - p)))
    else:
        value = ldl2 + n * (1 + np.log(2 * np.pi * pwrss / n))
    cond = np.linalg.inv(zl.T @ zl + np.eye(len(lam)))
    return value, beta, lam @ u, lam @ cond @ lam.T * pwrss / (n - p if reml else n)


def _random_design(seed: int, k_first: int, k_second: int) -> Design:
    """Crossed terms with slopes in both, so every kernel (closed forms, general k, vector rest) is used."""
    rng = np.random.default_rng(seed)
    n = 160
    covariates = rng.normal(size=(n, 3))
    x = np.column_stack([np.ones(n), covariates[:, 0]])
    y = x @ [1.0, 0.5] + rng.normal(size=n)
    first = ReBlock(
        "g",
        tuple(f"g{i}" for i in range(12)),
        rng.integers(0, 12, n),
        np.column_stack([np.ones(n), covariates[:, : k_first - 1]]),
        tuple(f"c{i}" for i in range(k_first)),
    )
    second = ReBlock(
        "h",
        tuple(f"h{i}" for i in range(5)),
        rng.integers(0, 5, n),
        np.column_stack([np.ones(n), covariates[:, 1:k_second]]),
        tuple(f"d{i}" for i in range(k_second)),
    )
    return Design(None, "y", y, x, ("(Intercept)", "x"), (first, second), np.arange(n))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize(
    ("k_first", "k_second", "reml"), [(1, 2, True), (2, 2, False), (3, 1, True), (3, 2, True)]
)
def test_criterion_and_solution_equal_dense_brute_force(k_first, k_second, reml, sparse, monkeypatch):
    if sparse:
        monkeypatch.setattr(criterion_module, "_DENSE_CROSS_LIMIT", 0)
        monkeypatch.setattr(criterion_module, "_CHUNK_ENTRIES", 40)  # several chunks of levels
    design = _random_design(7 + k_first + 10 * k_second, k_first, k_second)
    rng = np.random.default_rng(3)
    theta = np.where(
        np.isinf(design.theta_lower),
        rng.normal(scale=0.3, size=design.ntheta),
        0.4 + rng.random(design.ntheta),
    )
    value, beta, b, cond = _brute_force(design, theta, reml)
    crit = make_criterion(design, reml=reml)
    assert crit(theta) == pytest.approx(value, rel=1e-10)
    sol = crit.solve(theta)
    np.testing.assert_allclose(sol.beta, beta, rtol=1e-9)
    np.testing.assert_allclose(np.concatenate([m.ravel() for m in sol.b]), b, rtol=1e-8, atol=1e-12)
    diag_blocks = []
    offset = 0
    for term in design.reterms:
        for level in range(term.nlevels):
            i = offset + level * term.k
            diag_blocks.append(cond[i : i + term.k, i : i + term.k].ravel())
        offset += term.nlevels * term.k
    np.testing.assert_allclose(
        np.concatenate([c.ravel() for c in sol.cond_var]),
        np.concatenate(diag_blocks),
        rtol=1e-8,
        atol=1e-14,
    )


@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize("name", ["sleepstudy_slopes", "dyestuff", "penicillin_crossed", "pastes_nested"])
def test_gradient_matches_central_differences(name, reml, design_of):
    """Analytic entries (one term; scalar terms after the first) and forward differences (the first term's
    entries when there are several terms) against central differences."""
    design = design_of(name)
    crit = make_criterion(design, reml=reml)
    theta = crit.theta0 * 0.6 + 0.1
    value, grad = crit.value_and_gradient(theta)
    assert value == pytest.approx(crit(theta), rel=1e-12)
    h = 1e-5
    central = np.array([(crit(theta + h * e) - crit(theta - h * e)) / (2 * h) for e in np.eye(len(theta))])
    first = 0 if len(design.reterms) == 1 else design.reterms[0].ntheta
    # central differences are accurate to ~h^2 f''' (about 1e-8 relative here)
    np.testing.assert_allclose(grad[first:], central[first:], rtol=1e-6, atol=1e-6)
    # forward differences with a 1e-7 relative step carry an error of about step * f'' / 2
    np.testing.assert_allclose(grad[:first], central[:first], rtol=1e-4)
