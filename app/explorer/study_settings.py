"""The settings of the Recovery panel, validated from raw input values (bounds of issue 7: K 1..1,000, level
in (0.5, 0.999), seed 0..2**32-1), and which truth a study can start from.

Every value goes through :mod:`explorer.inputs`, so a forged message becomes an ``InputError`` whose message
names the input by its label.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import inputs
from .inference_settings import LEVEL_BOUNDS, LEVEL_LABEL, MAX_SEED, SEED_LABEL

NREP_LABEL = "Replicates (K)"
TRUTH_LABEL = "Truth"
MAX_NREP = 1_000
TRUTHS = {
    "fitted": "The fitted model (any data)",
    "simulation": "The simulation parameters (Simulate data)",
}


@dataclass(frozen=True)
class RecoverySettings:
    """Where the truth comes from, replicates, seed and interval level."""

    truth: str
    nrep: int
    seed: int
    level: float


def recovery_settings(truth: object, nrep: object, seed: object, level: object) -> RecoverySettings:
    """Validate the four inputs; raises :class:`explorer.inputs.InputError` naming the first bad one."""
    low, high = LEVEL_BOUNDS
    return RecoverySettings(
        truth=inputs.choice(truth, TRUTH_LABEL, TRUTHS),
        nrep=inputs.number(nrep, NREP_LABEL, 1, MAX_NREP, integer=True),
        seed=inputs.number(seed, SEED_LABEL, 0, MAX_SEED, integer=True),
        level=inputs.number(level, LEVEL_LABEL, low, high, open_low=True, open_high=True),
    )


def simulation_parameters(data_key: tuple) -> tuple[tuple[str, object], ...] | None:
    """The seed design's parameters behind simulated data (the data's key lists them), without the data's
    own seed (each replicate draws its own); None for data that were not simulated."""
    if not data_key or data_key[0] != "simulate":
        return None
    return tuple((name, value) for name, value in data_key[1:] if name != "seed")


NOT_SIMULATED = (
    "The data in use were not simulated, so there are no simulation parameters to start from: choose "
    "Simulate in the Data panel, or take the fitted model as the truth."
)
