"""The long inference tasks of the Intervals and Predictions panels, as picklable module-level functions
run in a worker process by the compute layer.

Each job takes the fitted model (an ``LmmResult`` pickles) and plain settings, accepts the compute layer's
``progress(done, total) -> bool`` callback, and returns a frozen outcome; ``None`` means the job was
cancelled (the compute layer reports that, the value is never shown). Anything the engine cannot compute
for this model comes back as a ``note`` next to what it could compute, never as a crash.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

import lmmcore

from .compute import replicate_executor

Progress = Callable[[int, int], object]

#: Above this share of failed bootstrap refits the bootstrap's intervals and band are not shown.
MAX_FAILED_SHARE = 0.10

# What a job catches from the engine: its own errors and the numerical failures of an unusual model.
_ENGINE_FAILURES = (lmmcore.LmmError, ArithmeticError, ValueError, IndexError, np.linalg.LinAlgError)


def _keep_going(progress: Progress | None, done: int, total: int) -> bool:
    return progress is None or progress(done, total) is not False


def _failure(what: str, err: Exception) -> str:
    detail = str(err) if isinstance(err, lmmcore.LmmError) else f"{type(err).__name__}: {err}"
    return f"{what} could not be computed for this model ({detail})."


@dataclass(frozen=True)
class ProfileOutcome:
    """Profile-likelihood intervals (``confint(m, method = "profile")``) or the sampled profiles behind
    lme4's zeta plots (``profile(m)``); None with ``note`` saying why when the engine could not."""

    intervals: pd.DataFrame | None = None
    profile: lmmcore.Profile | None = None
    note: str | None = None


def _singular_note(model) -> str:
    if not model.singular:
        return ""
    return (
        "The fit is singular (a variance parameter is on its boundary): profile-likelihood intervals of "
        "the boundary parameters end at the bound. "
    )


def profile_job(model, level: float, progress: Progress | None = None) -> ProfileOutcome | None:
    """Profile intervals at ``level``: each end where the profile's zeta crosses -+z (a secant search)."""
    if not _keep_going(progress, 0, 1):
        return None
    try:
        intervals = model.confint("profile", level=level)
    except _ENGINE_FAILURES as err:
        return ProfileOutcome(note=_singular_note(model) + _failure("The likelihood profile", err))
    _keep_going(progress, 1, 1)
    return ProfileOutcome(intervals=intervals, note=_singular_note(model).strip() or None)


def zeta_job(model, progress: Progress | None = None) -> ProfileOutcome | None:
    """The whole profiles of every parameter (lme4's ``profile(m)``), for the zeta plots; they do not
    depend on the level, so a level change never recomputes them."""
    if not _keep_going(progress, 0, 1):
        return None
    try:
        traces = model.profile()
    except _ENGINE_FAILURES as err:
        return ProfileOutcome(note=_singular_note(model) + _failure("The zeta plots' profile", err))
    _keep_going(progress, 1, 1)
    return ProfileOutcome(profile=traces)


@dataclass(frozen=True)
class SimulationOutcome:
    """Parametric-bootstrap draws and posterior-simulation (``arm::sim``) draws, without the random
    effects' draws (not shown, and large); intervals at any level come from them without recomputing."""

    boot: lmmcore.BootstrapResult | None
    sim: lmmcore.PosteriorDraws | None
    nsim: int
    failed: int
    note: str | None = None

    def intervals(self, level: float) -> dict[str, pd.DataFrame]:
        """``{"boot": ..., "sim": ...}``: percentile intervals in ``confint``'s layout, for those computed."""
        out = {}
        if self.boot is not None:
            out["boot"] = self.boot.intervals(level)
        if self.sim is not None:
            out["sim"] = self.sim.intervals(level)
        return out


def failed_refits_note(failed: int, completed: int) -> str | None:
    """The message of a bootstrap whose failed-refit share is above :data:`MAX_FAILED_SHARE`."""
    if completed == 0 or failed / completed <= MAX_FAILED_SHARE:
        return None
    return (
        f"{failed} of {completed} bootstrap refits failed ({failed / completed:.0%}, more than "
        f"{MAX_FAILED_SHARE:.0%}): the bootstrap results would describe only the data sets the model could "
        "refit, so they are not shown. Simplify the random effects."
    )


def simulation_job(model, nsim: int, seed: int, progress: Progress | None = None) -> SimulationOutcome | None:
    """``nsim`` bootstrap refits (progress counts them), then ``nsim`` draws of ``arm::sim``."""
    notes = []
    boot, failed = None, 0
    try:
        draws = lmmcore.bootstrap(
            model, nsim=nsim, seed=seed, executor=replicate_executor(), progress=progress
        )
    except _ENGINE_FAILURES as err:
        notes.append(_failure("The parametric bootstrap", err))
    else:
        if draws.completed < nsim:
            return None
        failed = draws.failed
        too_many = failed_refits_note(failed, draws.completed)
        if too_many:
            notes.append(too_many)
        else:
            boot = dataclasses.replace(draws, ranef=np.empty((len(draws.draws), 0)))
    try:
        sim = dataclasses.replace(lmmcore.sim(model, nsim, seed), ranef=None)
    except _ENGINE_FAILURES as err:
        sim = None
        notes.append(_failure("The posterior simulation", err))
    return SimulationOutcome(boot, sim, nsim, failed, " ".join(notes) or None)


@dataclass(frozen=True)
class BandOutcome:
    """The population curve(s) with a bootstrap band, and the groups' conditional curves.

    ``band``: the grid's rows plus ``fit``, ``lower``, ``upper`` (``m.predict_band``); ``group_curves``: the
    group grid's rows plus ``fit`` (``m.predict(re=True)``), or None.
    """

    band: pd.DataFrame | None
    group_curves: pd.DataFrame | None
    failed: int
    note: str | None = None


def band_job(
    model,
    grid: pd.DataFrame,
    group_grid: pd.DataFrame | None,
    nsim: int,
    seed: int,
    progress: Progress | None = None,
) -> BandOutcome | None:
    """The bootstrap once with progress (``nsim`` refits), then ``predict_band``, which finds those draws in
    the engine's cache (same model object, nsim and seed) and costs one matrix product."""
    try:
        curves = None if group_grid is None else _with_fit(group_grid, model.predict(group_grid, re=True))
        draws = lmmcore.bootstrap(
            model, nsim=nsim, seed=seed, executor=replicate_executor(), progress=progress
        )
        if draws.completed < nsim:
            return None
        too_many = failed_refits_note(draws.failed, draws.completed)
        if too_many:
            population = _with_fit(grid, model.predict(grid))
            return BandOutcome(population.assign(lower=np.nan, upper=np.nan), curves, draws.failed, too_many)
        band = model.predict_band(grid, level=0.95, nsim=nsim, seed=seed)
    except _ENGINE_FAILURES as err:
        return BandOutcome(None, None, 0, _failure("The prediction band", err))
    return BandOutcome(band, curves, draws.failed)


def _with_fit(grid: pd.DataFrame, fit: pd.Series) -> pd.DataFrame:
    out = grid.reset_index(drop=True).copy()
    out["fit"] = np.asarray(fit, dtype=float)
    return out
