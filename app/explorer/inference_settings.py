"""The settings of the Intervals and Predictions panels, validated from raw input values.

Bounds from issue 7: level in (0.5, 0.999), nsim 1..10,000, seed 0..2**32-1. Every value goes through
:mod:`explorer.inputs`, so a forged message (a list, a huge number, text) becomes an ``InputError`` whose
message names the input by its label.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import inputs

LEVEL_LABEL = "Confidence level"
NSIM_LABEL = "Simulations (nsim)"
SEED_LABEL = "Seed"
LEVEL_BOUNDS = (0.5, 0.999)
MAX_NSIM = 10_000
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class SimulationSettings:
    """A valid level, number of simulations and seed."""

    level: float
    nsim: int
    seed: int


def simulation_settings(level: object, nsim: object, seed: object) -> SimulationSettings:
    """Validate the three inputs; raises :class:`explorer.inputs.InputError` naming the first bad one."""
    low, high = LEVEL_BOUNDS
    return SimulationSettings(
        level=inputs.number(level, LEVEL_LABEL, low, high, open_low=True, open_high=True),
        nsim=inputs.number(nsim, NSIM_LABEL, 1, MAX_NSIM, integer=True),
        seed=inputs.number(seed, SEED_LABEL, 0, MAX_SEED, integer=True),
    )


def band_settings(nsim: object, seed: object) -> SimulationSettings:
    """The Predictions panel's simulations and seed (its band is always 95 %)."""
    return SimulationSettings(
        level=0.95,
        nsim=inputs.number(nsim, NSIM_LABEL, 1, MAX_NSIM, integer=True),
        seed=inputs.number(seed, SEED_LABEL, 0, MAX_SEED, integer=True),
    )
