"""The data sets shipped with lmmcore: lme4's classic examples and the seed tutorial's biomass draw.

The CSV files under ``data/`` are byte for byte the files lme4's reference fits read
(``tests/reference/lme4``). Grouping factors are read as text, even when they look numeric
(sleepstudy's ``Subject`` is "308"), because a grouping variable is always categorical.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

from lmmcore.errors import DataError


@dataclass(frozen=True)
class DatasetInfo:
    """What the example picker shows for one bundled data set.

    Attributes
    ----------
    name : str
        The name :func:`load` accepts (lme4's spelling).
    description : str
        One line: what was measured, on what units, and the grouping structure.
    formula : str
        The model the data set is known for, in lme4's syntax.
    """

    name: str
    description: str
    formula: str


@dataclass(frozen=True)
class _Bundled:
    info: DatasetInfo
    filename: str
    text_columns: tuple[str, ...]


_CATALOG = {
    entry.info.name: entry
    for entry in (
        _Bundled(
            DatasetInfo(
                "sleepstudy",
                "Reaction time (ms) of 18 subjects over 10 days of sleep deprivation (Belenky et al. 2003).",
                "Reaction ~ Days + (Days | Subject)",
            ),
            "sleepstudy.csv",
            ("Subject",),
        ),
        _Bundled(
            DatasetInfo(
                "Dyestuff",
                "Yield of dyestuff (g of standard colour) of 5 preparations from each of 6 batches.",
                "Yield ~ 1 + (1 | Batch)",
            ),
            "Dyestuff.csv",
            ("Batch",),
        ),
        _Bundled(
            DatasetInfo(
                "Penicillin",
                "Inhibition-zone diameter (mm) of 6 penicillin samples on each of 24 plates (crossed).",
                "diameter ~ 1 + (1 | plate) + (1 | sample)",
            ),
            "Penicillin.csv",
            ("plate", "sample"),
        ),
        _Bundled(
            DatasetInfo(
                "Pastes",
                "Paste strength: 2 assays of 3 casks from each of 10 batches (casks nested in batches).",
                "strength ~ 1 + (1 | batch/cask)",
            ),
            "Pastes.csv",
            ("batch", "cask", "sample"),
        ),
        _Bundled(
            DatasetInfo(
                "InstEval",
                "73,421 lecture ratings (1-5) by 2,972 students of 1,128 lecturers at ETH Zurich (crossed).",
                "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)",
            ),
            "InstEval.csv.gz",
            # studage and lectage are ordered factors in R; here they are plain categories.
            ("s", "d", "studage", "lectage", "service", "dept"),
        ),
        _Bundled(
            DatasetInfo(
                "biomass",
                "Simulated plant biomass, 20 sites x 5 samples, site intercepts and Temp slopes "
                "(the seed tutorial's draw).",
                "Biomass ~ Temp + N + (1 + Temp | Site)",
            ),
            "biomass.csv",
            ("Site",),
        ),
    )
}


def names() -> list[str]:
    """Names of the bundled data sets, in the order the example picker lists them."""
    return list(_CATALOG)


def describe(name: str) -> DatasetInfo:
    """Description and suggested formula of a bundled data set (name matched case-insensitively)."""
    return _lookup(name).info


def load(name: str) -> pd.DataFrame:
    """Read a bundled data set (name matched case-insensitively).

    Grouping and other categorical columns come back as text, numeric columns as numbers, rows in the
    file's order.

    Raises
    ------
    DataError
        For a name that is not bundled; the message lists the names that are.
    """
    entry = _lookup(name)
    source = resources.files(__package__).joinpath("data", entry.filename)
    with resources.as_file(source) as path:
        return pd.read_csv(path, dtype=dict.fromkeys(entry.text_columns, str))


def _lookup(name: str) -> _Bundled:
    by_folded_name = {key.casefold(): entry for key, entry in _CATALOG.items()}
    entry = by_folded_name.get(str(name).strip().casefold())
    if entry is None:
        raise DataError(f"No bundled data set named {name!r}; choose one of: {', '.join(_CATALOG)}.")
    return entry
