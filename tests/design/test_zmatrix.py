"""The random-effects matrix Z: lme4's layout, checked against getME(m, "Z")'s defining property."""

from __future__ import annotations

import numpy as np

import lmmcore
from lmmcore.design.zmatrix import level_cross, random_effects_z, term_z


def _dense_z(design) -> np.ndarray:
    """Z entry by entry: observation i in level l of a k-column term fills columns l k .. l k + k - 1."""
    blocks = []
    for term in design.reterms:
        block = np.zeros((design.nobs, term.nlevels * term.k))
        for i, (level, row) in enumerate(zip(term.refs, term.z)):
            block[i, level * term.k : (level + 1) * term.k] = row
        blocks.append(block)
    return np.hstack(blocks)


def test_z_is_lme4s_layout_for_crossed_and_slope_terms():
    pastes = lmmcore.build_design("strength ~ 1 + (1 | batch/cask)", lmmcore.datasets.load("Pastes"))
    sleep = lmmcore.build_design("Reaction ~ Days + (Days | Subject)", lmmcore.datasets.load("sleepstudy"))
    for design in (pastes, sleep):
        z = random_effects_z(design)
        assert z.shape == (design.nobs, sum(t.nlevels * t.k for t in design.reterms))
        np.testing.assert_array_equal(z.toarray(), _dense_z(design))


def test_z_times_modes_gives_the_random_part_of_the_fit():
    """``X beta + Z b`` is lme4's fitted value, with b stacked level by level (lme4's ``getME(m, "b")``)."""
    m = lmmcore.fit("Reaction ~ Days + (Days | Subject)", lmmcore.datasets.load("sleepstudy"))
    b = np.concatenate([modes.ravel() for modes in m.solution.b])
    fitted = m.design.X @ m.solution.beta + random_effects_z(m.design) @ b
    np.testing.assert_allclose(fitted, m.fitted.to_numpy(), rtol=1e-12)


def test_level_cross_is_each_levels_block_of_z_prime_c():
    design = lmmcore.build_design("Reaction ~ Days + (Days | Subject)", lmmcore.datasets.load("sleepstudy"))
    term = design.reterms[0]
    gram = level_cross(term, term.z)
    full = (term_z(term).T @ term_z(term)).toarray()
    for level in range(term.nlevels):
        cols = slice(level * term.k, (level + 1) * term.k)
        np.testing.assert_allclose(gram[level], full[cols, cols], rtol=1e-14)
    assert level_cross(term, design.y).shape == (term.nlevels, term.k, 1)
