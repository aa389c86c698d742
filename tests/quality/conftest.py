"""Quality references (``tests/reference/quality``, fields in its README section) and our fits of them."""

from __future__ import annotations

from functools import cache

import pandas as pd

import lmmcore
from tests.refs import REFERENCE_DIR, load_reference, reference_names


def quality_names(prefix: str) -> list[str]:
    """``"q"``: R² / ICC / VIF references; ``"i"``: influence references."""
    return [name for name in reference_names("quality") if name.startswith(f"{prefix}_")]


def reference_data(name: str) -> pd.DataFrame:
    """A reference's data: a bundled data set, or a CSV under ``tests/reference/data``."""
    if name.endswith(".csv"):
        return pd.read_csv(REFERENCE_DIR / "data" / name)
    return lmmcore.datasets.load(name)


@cache
def quality_fit(name: str):
    """The quality reference ``name`` and our fit of its model, once per session."""
    ref = load_reference(f"quality/{name}")
    m = lmmcore.fit(ref["formula"], reference_data(ref["data"]), reml=ref.get("REML", True))
    return ref, m
