"""What the criterion stage knows at one theta: estimates, factors' log-determinants, variances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Solution:
    """The penalized least-squares solution and the profiled criterion at one theta.

    Attributes
    ----------
    theta : ndarray
        Relative covariance parameters (lme4's ``getME(m, "theta")`` order).
    reml : bool
        Whether ``objective`` is the REML criterion (else the deviance, -2 log-likelihood).
    objective : float
        The profiled criterion, as lme4 prints it: REML criterion or deviance.
    beta : ndarray, shape (p,)
        Fixed effects.
    b : tuple of ndarray, each (nlevels, k)
        Conditional modes of each term's random effects, on the data scale (``Lambda u``).
    sigma : float
        Residual SD: ``sqrt(pwrss / (n - p))`` for REML, ``sqrt(pwrss / n)`` for ML.
    pwrss : float
        Penalized weighted residual sum of squares ``||y - X beta - Z b||^2 + ||u||^2``.
    ldL2 : float
        ``log det(Lambda' Z' Z Lambda + I)``.
    ldRX2 : float
        ``log det(RX' RX)``, the fixed-effects part of the Cholesky factor (REML's extra term).
    unscaled_vcov : ndarray, shape (p, p)
        ``(RX' RX)^{-1}``; ``vcov(beta) = sigma^2 * unscaled_vcov``.
    cond_var : tuple of ndarray, each (nlevels, k, k)
        lme4's conditional variances of the random effects (``postVar``), sigma^2 included.
    fitted : ndarray, shape (n,)
        ``X beta + Z b``.
    """

    theta: np.ndarray
    reml: bool
    objective: float
    beta: np.ndarray
    b: tuple[np.ndarray, ...]
    sigma: float
    pwrss: float
    ldL2: float
    ldRX2: float
    unscaled_vcov: np.ndarray
    cond_var: tuple[np.ndarray, ...]
    fitted: np.ndarray
