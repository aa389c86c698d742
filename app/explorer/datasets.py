"""The data a model is fitted to, whichever of the three sources it came from, with a key that identifies
it (the key tags every fit, so a result can be matched to the data it was computed from)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd

from . import engine, formula_builder
from .csv_upload import ParsedCsv

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
    """A data frame in use, where it came from, and the model suggested for it."""

    frame: pd.DataFrame
    key: tuple
    label: str
    suggested_formula: str


def check_simulation(params: dict) -> dict:
    """The simulation's parameters as numbers in range; raises ValueError naming the wrong one by the label
    users see."""
    clean = {}
    for name, value in params.items():
        label = SIMULATION_LABELS.get(name, name)
        if value is None or value == "":
            raise ValueError(f"Enter a value for {label}.")
        number = float(value)
        low, high = SIMULATION_LIMITS.get(name, (None, None))
        if (low is not None and number < low) or (high is not None and number > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"{label} must be {bounds} (got {value}).")
        clean[name] = int(number) if name in INTEGER_PARAMETERS else number
    return clean


def simulated(params: dict) -> Dataset:
    """A draw of the seed's biomass design; the key is the parameters themselves."""
    clean = check_simulation(params)
    frame = engine.simulate(**clean)
    design = f"{clean['n_sites']} sites x {clean['n_per_site']} samples"
    label = f"Simulated biomass: {design}, seed {clean['seed']}"
    return Dataset(frame, ("simulate", *sorted(clean.items())), label, engine.DEFAULT_FORMULA)


def example(name: str) -> Dataset:
    """A bundled lme4 example with its suggested formula."""
    info = engine.describe_example(name)
    frame = engine.load_example(name)
    return Dataset(frame, ("example", name), f"{name}: {info.description}", info.formula)


def uploaded(parsed: ParsedCsv, filename: str, raw: bytes) -> Dataset:
    """An uploaded table; keyed by the file's content so the same bytes are the same data."""
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return Dataset(
        parsed.frame,
        ("upload", filename, digest),
        f"Uploaded {filename}: {parsed.how}",
        formula_builder.suggest_formula(parsed.frame),
    )
