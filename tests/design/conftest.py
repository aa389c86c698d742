"""Small data frames for the design tests (the bundled data sets come from lmmcore.datasets)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def toy() -> pd.DataFrame:
    """60 rows: numeric y, x, z > 0; text recipe (A-C); numeric temp; bool flag; groups g (10), h (2)."""
    rng = np.random.default_rng(1)
    n = 60
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "z": rng.uniform(1, 2, size=n),
            "recipe": np.tile(["B", "A", "C"], 20),
            "temp": np.tile([185.0, 175.0, 2.5, 205.0, 195.0], 12),
            "flag": np.tile([True, False], 30),
            "g": np.repeat(np.arange(10, 0, -1), 6),
            "h": np.tile(["u", "v"], 30),
        }
    )
