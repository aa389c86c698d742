"""lme4's reference fits (``tests/reference/lme4/*.json``, fields in ``tests/reference/README.md``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

REFERENCE_DIR = Path(__file__).parent / "reference"


@cache
def _read(relative: str) -> str:
    return (REFERENCE_DIR / relative).read_text(encoding="utf-8")


def load_reference(name: str) -> dict:
    """One reference fit as a fresh dict.

    ``name`` is the file name without ``.json`` under ``lme4/`` (``"sleepstudy_slopes"``), or a path
    relative to ``tests/reference`` for the other folders (``"quality/q_biomass"``).
    """
    relative = name if "/" in name else f"lme4/{name}"
    path = REFERENCE_DIR / f"{relative}.json"
    if not path.is_file():
        available = sorted(p.stem for p in (REFERENCE_DIR / "lme4").glob("*.json"))
        raise FileNotFoundError(f"No reference {path}; lme4/ has: {', '.join(available)}")
    return json.loads(_read(f"{relative}.json"))


def reference_names(folder: str = "lme4") -> list[str]:
    """Names of the reference files of a folder, for parametrizing tests."""
    return sorted(p.stem for p in (REFERENCE_DIR / folder).glob("*.json"))


def as_frame(matrix: dict) -> pd.DataFrame:
    """A ``{rownames, colnames, values}`` matrix as a float DataFrame (R's NA as NaN)."""
    values = np.array([[np.nan if v is None else v for v in row] for row in matrix["values"]], dtype=float)
    return pd.DataFrame(values, index=matrix["rownames"], columns=matrix["colnames"])
