"""The data a model is fitted to, whichever of the three sources it came from, with a key that identifies
it (the key tags every fit, so a result can be matched to the data it was computed from)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from . import engine, inputs
from .upload.column_types import FACTOR, NUMERIC, ColumnInfo, describe_columns

SIMULATION_LABELS = {
    "n_sites": "Number of sites",
    "n_per_site": "Samples per site",
    "intercept": "Intercept",
    "temp_effect": "Temp effect",
    "n_effect": "N effect",
    "sd_intercept": "SD of random intercept",
    "sd_slope": "SD of random Temp slope",
    "cor": "Correlation intercept-slope",
    "sigma": "Residual SD",
    "seed": "Seed",
}
SIMULATION_LIMITS = {
    "n_sites": (2, 2000),
    "n_per_site": (1, 1000),
    "sd_intercept": (0.0, None),
    "sd_slope": (0.0, None),
    "cor": (-1.0, 1.0),
    "sigma": (1e-9, None),
    "seed": (0, 2**32 - 1),
}
INTEGER_PARAMETERS = ("n_sites", "n_per_site", "seed")


@dataclass(frozen=True)
class Dataset:
    """A data frame in use (typed as the model sees it), where it came from, and the model suggested for
    it.

    ``key`` identifies the data including their column types (a type change refits). ``columns`` describes
    each column as read, ``overrides`` the types the user set.
    """

    frame: pd.DataFrame
    key: tuple
    label: str
    suggested_formula: str
    columns: tuple[ColumnInfo, ...] = ()
    overrides: tuple[tuple[str, str], ...] = ()
    suggestion_reason: str = ""

    @property
    def kinds(self) -> dict[str, str]:
        """The type of each column in the model: numeric, factor or date."""
        set_by_user = dict(self.overrides)
        return {c.name: set_by_user.get(c.name, c.read_as) for c in self.columns}


def check_simulation(params: dict) -> dict:
    """The simulation's parameters as numbers in range; raises :class:`~explorer.inputs.InputError` (a
    ValueError) naming the wrong one by the label users see."""
    clean = {}
    for name, value in params.items():
        low, high = SIMULATION_LIMITS.get(name, (None, None))
        integer = name in INTEGER_PARAMETERS
        clean[name] = inputs.number(value, SIMULATION_LABELS.get(name, name), low, high, integer=integer)
    return clean


def simulation_columns(frame: pd.DataFrame, n_sites: int) -> tuple[ColumnInfo, ...]:
    """The simulated design's columns, known without a pass over a possibly million-row frame."""
    n = len(frame)
    first = {name: ", ".join(str(v) for v in frame[name].head(3)) for name in frame.columns}
    return tuple(
        ColumnInfo(
            name,
            FACTOR if name == "Site" else NUMERIC,
            n_sites if name == "Site" else n,
            0,
            False,
            first[name],
        )
        for name in map(str, frame.columns)
    )


def simulation_key(clean: dict) -> tuple:
    """What identifies a draw: its checked parameters."""
    return ("simulate", *sorted(clean.items()))


def simulated(params: dict) -> Dataset:
    """A draw of the seed's biomass design; the key is the parameters themselves."""
    clean = check_simulation(params)
    frame = engine.simulate(**clean)
    design = f"{clean['n_sites']} sites x {clean['n_per_site']} samples"
    label = f"Simulated biomass: {design}, seed {clean['seed']}"
    key = simulation_key(clean)
    columns = simulation_columns(frame, clean["n_sites"])
    return Dataset(frame, key, label, engine.DEFAULT_FORMULA, columns)


@lru_cache(maxsize=8)
def example(name: str) -> Dataset:
    """A bundled lme4 example with its suggested formula (the curated one of lmmcore's datasets)."""
    info = engine.describe_example(name)
    frame = engine.load_example(name)
    key = ("example", name)
    return Dataset(frame, key, f"{name}: {info.description}", info.formula, describe_columns(frame))
