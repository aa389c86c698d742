"""A fitted linear mixed model: the frozen result of ``fit`` and lme4's accessors over it.

The result keeps only plain data (the :class:`~lmmcore.design.types.Design`, the
:class:`~lmmcore.fitting.solution.Solution` at the optimum and the optimizer's report), so it pickles and
crosses process boundaries.  Every other quantity is a property derived on access: ``fit`` stays cheap, and
nothing can go stale because nothing is cached on a frozen object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lmmcore import simulate as simulation
from lmmcore import summary as presentation
from lmmcore import tables as tabulation
from lmmcore.design import encode_newdata
from lmmcore.design.types import Design
from lmmcore.fitting.optimize import OptimizerReport
from lmmcore.fitting.singular import SINGULAR_MESSAGE
from lmmcore.fitting.solution import Solution
from lmmcore.varcomp import varcorr_frame


@dataclass(frozen=True, eq=False)
class LmmResult:
    """A fitted model (lme4's ``merMod``).

    Attributes
    ----------
    design : Design
        The numeric design the model was fitted to.
    reml : bool
        True for a REML fit, False for maximum likelihood.
    solution : Solution
        Estimates and factor summaries at the optimal theta.
    optimizer : OptimizerReport
        The optimizer's report (theta, objective, evaluations, convergence, messages, singularity).
    data_index : pandas.Index, optional
        Row labels of the data frame the model was fitted to; ``fitted``, ``resid`` and ``simulate`` are
        labelled with the entries of the used rows.  Without it they are labelled by row position.
    """

    design: Design
    reml: bool
    solution: Solution
    optimizer: OptimizerReport
    data_index: pd.Index | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        kind = "REML" if self.reml else "ML"
        return (
            f"<LmmResult {kind} fit of {self.formula!r}: n = {self.nobs}, criterion = {self.criterion:.4f}>"
        )

    # --- fixed effects -------------------------------------------------------------------------------
    @property
    def fixef(self) -> pd.Series:
        """Fixed-effects estimates, lme4's names and order."""
        return pd.Series(self.solution.beta, index=list(self.design.fixed_names), name="fixef")

    @property
    def vcov(self) -> pd.DataFrame:
        """Covariance of the fixed effects, ``sigma^2 (RX' RX)^{-1}``."""
        names = list(self.design.fixed_names)
        return pd.DataFrame(self.sigma**2 * self.solution.unscaled_vcov, index=names, columns=names)

    @property
    def se(self) -> pd.Series:
        """Standard errors of the fixed effects."""
        variances = self.sigma**2 * np.diag(self.solution.unscaled_vcov)
        return pd.Series(np.sqrt(variances), index=list(self.design.fixed_names), name="se")

    # --- variance components -------------------------------------------------------------------------
    @property
    def theta(self) -> pd.Series:
        """Relative covariance parameters, named as lme4 names them (``Subject.Days.(Intercept)``)."""
        return pd.Series(self.solution.theta, index=list(self.design.theta_names), name="theta")

    @property
    def sigma(self) -> float:
        """Residual standard deviation."""
        return float(self.solution.sigma)

    @property
    def varcorr(self) -> pd.DataFrame:
        """``as.data.frame(VarCorr(m))``: variances, covariances, SDs and correlations.

        As in lme4, a grouping factor's second term is named ``Subject.1`` (``(Days || Subject)``).
        """
        return varcorr_frame(self.solution.theta, self.sigma, self.design.reterms)

    # --- criterion and information criteria ----------------------------------------------------------
    @property
    def criterion(self) -> float:
        """The REML criterion at convergence (REML fits) or the deviance (ML fits), as lme4 prints it."""
        return float(self.solution.objective)

    @property
    def npar(self) -> int:
        """Number of estimated parameters: fixed effects, theta and sigma (lme4's ``df`` of logLik)."""
        return self.design.p + self.design.ntheta + 1

    @property
    def loglik(self) -> float:
        """Log-likelihood (REML fits: the REML log-likelihood, ``-criterion / 2``, as lme4)."""
        return -0.5 * self.criterion

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.npar

    @property
    def bic(self) -> float:
        return -2.0 * self.loglik + np.log(self.nobs) * self.npar

    # --- sizes and status ----------------------------------------------------------------------------
    @property
    def nobs(self) -> int:
        return self.design.nobs

    @property
    def ngroups(self) -> dict[str, int]:
        """Number of levels of each grouping factor, in lme4's order (a factor in several terms once)."""
        out: dict[str, int] = {}
        for term in self.design.reterms:
            out.setdefault(term.group, term.nlevels)
        return out

    @property
    def singular(self) -> bool:
        return bool(self.optimizer.singular)

    @property
    def converged(self) -> bool:
        return bool(self.optimizer.converged)

    @property
    def optimizer_messages(self) -> list[str]:
        """The optimizer's messages, with lme4's singular-fit note when the fit is on the boundary."""
        msgs = list(self.optimizer.messages)
        if self.singular and not any("singular" in m for m in msgs):
            msgs.append(SINGULAR_MESSAGE)
        return msgs

    @property
    def messages(self) -> list[str]:
        """Everything the user should know about this fit: design notes first, then the optimizer's."""
        return list(self.design.messages) + self.optimizer_messages

    @property
    def formula(self) -> str:
        return self.design.formula.text

    # --- random effects ------------------------------------------------------------------------------
    @property
    def ranef(self) -> dict[str, pd.DataFrame]:
        """Conditional modes per grouping factor (levels x terms); terms sharing a factor are merged."""
        return self._per_group([b for b in self.solution.b])

    @property
    def ranef_sd(self) -> dict[str, pd.DataFrame]:
        """Conditional standard deviations, the shape of :attr:`ranef`."""
        sds = [np.sqrt(np.diagonal(cv, axis1=1, axis2=2)) for cv in self.solution.cond_var]
        return self._per_group(sds)

    def _per_group(self, per_term: list[np.ndarray]) -> dict[str, pd.DataFrame]:
        columns: dict[str, list[tuple[str, np.ndarray]]] = {}
        levels: dict[str, tuple[str, ...]] = {}
        for term, values in zip(self.design.reterms, per_term):
            levels.setdefault(term.group, term.levels)
            cols = columns.setdefault(term.group, [])
            cols.extend((name, values[:, j]) for j, name in enumerate(term.names))
        # columns from a list, not a dict: a term repeated on one factor keeps both columns, as in lme4
        return {
            group: pd.DataFrame(
                np.column_stack([values for _, values in cols]),
                index=pd.Index(list(levels[group]), name=group),
                columns=[name for name, _ in cols],
            )
            for group, cols in columns.items()
        }

    # --- observations --------------------------------------------------------------------------------
    @property
    def row_index(self) -> pd.Index:
        """Labels of the data rows the model used (NA rows dropped)."""
        if self.data_index is None:
            return pd.Index(self.design.rows)
        return self.data_index[self.design.rows]

    @property
    def fitted(self) -> pd.Series:
        """Fitted values ``X beta + Z b`` of the used rows."""
        return pd.Series(self.solution.fitted, index=self.row_index, name="fitted")

    @property
    def resid(self) -> pd.Series:
        """Response residuals ``y - fitted`` of the used rows."""
        return pd.Series(self.design.y - self.solution.fitted, index=self.row_index, name="resid")

    # --- prediction and simulation -------------------------------------------------------------------
    def predict(self, newdata: pd.DataFrame | None = None, re: bool = False) -> pd.Series:
        """Predictions for new data.

        Parameters
        ----------
        newdata : DataFrame, optional
            Rows to predict; without it, the used data rows.
        re : bool
            False: population level ``X beta`` (lme4's ``re.form = NA``).  True: add the conditional
            modes of the levels seen in the fit; an unseen level contributes 0.

        Returns
        -------
        Series
            Predictions labelled by ``newdata``'s index (or the used rows' labels).
        """
        index = self.row_index if newdata is None else newdata.index
        return pd.Series(_linear_predictor(self, newdata, re), index=index, name="predict")

    def simulate(self, nsim: int = 1, seed: Any = None) -> pd.DataFrame:
        """Responses simulated from the fitted model (lme4's ``simulate``); see :func:`lmmcore.simulate`."""
        return simulation.simulate(self, nsim=nsim, seed=seed)

    # --- presentation --------------------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        """The content of the summary as data frames; see :func:`lmmcore.tables.tables`."""
        return tabulation.tables(self)

    def summary(self) -> str:
        """lme4's ``print(summary(m))`` as text."""
        return presentation.summary(self)

    # --- inference (lmmcore.inference) ---------------------------------------------------------------
    def confint(
        self,
        method: str = "wald",
        level: float = 0.95,
        nsim: int | None = None,
        seed: Any = None,
        executor: Any = None,
    ) -> pd.DataFrame:
        """Confidence intervals ("wald", "profile", "boot"); see ``lmmcore.inference.intervals``."""
        from lmmcore.inference.intervals import confint

        return confint(self, method=method, level=level, nsim=nsim, seed=seed, executor=executor)

    def profile(self, **kwargs: Any) -> Any:
        """Likelihood profile; see ``lmmcore.inference.profile``."""
        from lmmcore.inference.profile import profile

        return profile(self, **kwargs)

    def satterthwaite(self) -> pd.DataFrame:
        """Fixed-effects t tests with Satterthwaite's degrees of freedom (lmerTest)."""
        from lmmcore.inference.satterthwaite import satterthwaite_table

        return satterthwaite_table(self)

    def anova(self) -> pd.DataFrame:
        """Type III F tests of the fixed-effect terms with Satterthwaite's denominator df (lmerTest)."""
        from lmmcore.inference.satterthwaite import anova_table

        return anova_table(self)

    def predict_band(
        self,
        newdata: pd.DataFrame,
        level: float = 0.95,
        nsim: int = 1000,
        seed: Any = None,
        re: bool = False,
    ) -> pd.DataFrame:
        """Prediction with a simulation band; see ``lmmcore.inference.bands``."""
        from lmmcore.inference.bands import predict_band

        return predict_band(self, newdata, level=level, nsim=nsim, seed=seed, re=re)

    # --- model quality (lmmcore.quality) -----------------------------------------------------------
    def r2(self) -> pd.Series:
        """Nakagawa's marginal and conditional R² (performance's ``r2_nakagawa``); see ``lmmcore.quality``."""
        from lmmcore.quality.r2 import r2

        return r2(self)

    def icc(self) -> pd.Series:
        """Adjusted and unadjusted intraclass correlation (performance's ``icc``); see ``lmmcore.quality``."""
        from lmmcore.quality.icc import icc

        return icc(self)

    def influence(self, group: str, progress: Any = None) -> Any:
        """Fixed effects refitted without each level of ``group`` and Cook's distances (lme4's
        ``influence(m, groups = )``); see ``lmmcore.quality.influence``."""
        from lmmcore.quality.influence import influence

        return influence(self, group, progress=progress)

    def vif(self) -> pd.DataFrame:
        """Variance inflation factors of the fixed terms (performance's ``check_collinearity``; GVIF for
        terms of several columns); empty with fewer than two terms.  See ``lmmcore.quality.vif``."""
        from lmmcore.quality.vif import vif

        return vif(self)


def _linear_predictor(m: LmmResult, newdata: pd.DataFrame | None, re: bool) -> np.ndarray:
    """``X beta`` (and ``+ Z b`` when ``re``) for new data, via the design stage's encoder."""
    beta = m.solution.beta
    if newdata is None:
        return m.solution.fitted.copy() if re else m.design.X @ beta
    if not re:
        return np.asarray(encode_newdata(m.design, newdata)) @ beta
    X_new, per_term = encode_newdata(m.design, newdata, re=True)
    eta = np.asarray(X_new) @ beta
    for b, (refs, z) in zip(m.solution.b, per_term):
        # Index -1 (a level unseen in the fit) picks the appended zero row: its effect is 0, as lme4's
        # allow.new.levels.
        b_ext = np.vstack([b, np.zeros((1, b.shape[1]))])
        eta += np.einsum("ij,ij->i", np.asarray(z, dtype=float), b_ext[np.asarray(refs)])
    return eta
