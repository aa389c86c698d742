"""Data sets: lme4's classic examples bundled as CSV, and the seed tutorial's biomass simulation."""

from lmmcore.datasets.bundled import DatasetInfo, describe, load, names
from lmmcore.datasets.simulate import simulate_biomass

__all__ = ["DatasetInfo", "describe", "load", "names", "simulate_biomass"]
