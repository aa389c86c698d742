"""The Python (lmmcore) and R (lme4 + lmerTest) code that reproduces the current view: the data, the fit
and its intervals.

Only a model the app fitted gets code, so its formula passed lmmcore's grammar and design (variables,
numbers and the calls ``factor log exp sqrt scale I``): written into R it evaluates nothing else. Texts
(file names, formula) are written as string literals (``repr`` in Python, JSON's escapes in R).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd

SIMULATED_CSV = "biomass_simulated_seed{seed}.csv"
BUNDLED_ONLY = "biomass"  # the seed tutorial's draw ships with lmmcore, not with lme4
R_EXAMPLES = ("sleepstudy", "Dyestuff", "Penicillin", "Pastes", "InstEval")
READ_CSV_PY = 'pd.read_csv({path}, keep_default_na=False, na_values=["NA"])'


@dataclass(frozen=True)
class DataProvenance:
    """Where the fitted data came from, in the terms the code needs.

    ``kind``: "simulate", "example" or "upload"; ``name``: the example's or the file's name; ``params``: the
    simulation's parameters (seed included); ``sha256``: the uploaded file's; ``factors``: numeric columns
    the app treats as factors (read back from CSV they must be made factors again).
    """

    kind: str
    name: str = ""
    params: tuple[tuple[str, float | int], ...] = ()
    sha256: str = ""
    factors: tuple[str, ...] = ()

    @property
    def seed(self):
        return dict(self.params).get("seed")

    @property
    def csv_name(self) -> str:
        """The CSV the R code reads (and the upload's Python code): written by the Python side for a
        simulation or the bundled biomass, the Code view's "data as fitted" download for an upload."""
        if self.kind == "simulate":
            return SIMULATED_CSV.format(seed=self.seed)
        if self.kind == "upload":
            stem = re.sub(r"[^A-Za-z0-9._-]+", "_", self.name.rsplit(".", 1)[0]).strip("._") or "data"
            return f"{stem[:80]}_as-fitted.csv"
        return f"{self.name}.csv"

    def describe(self) -> list[tuple[str, str]]:
        """(what, value) lines for a report's provenance section."""
        if self.kind == "simulate":
            return [("Source", "simulation (lmmcore.datasets.simulate_biomass)")] + [
                (name, f"{value:g}" if isinstance(value, float) else str(value))
                for name, value in self.params
            ]
        if self.kind == "example":
            return [("Source", f"bundled example data set {self.name}")]
        return [("Source", "uploaded file"), ("File name", self.name), ("sha256", self.sha256 or "unknown")]


def factor_columns(frame: pd.DataFrame) -> tuple[str, ...]:
    """Categorical columns whose levels are numbers: a CSV gives them back as numbers."""
    out = []
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype) and pd.api.types.is_numeric_dtype(
            column.cat.categories
        ):
            out.append(str(name))
    return tuple(out)


def provenance_of(key: tuple, frame: pd.DataFrame, sha256: str = "") -> DataProvenance:
    """The provenance of a data set from its key (``("simulate", *params)``, ``("example", name)`` or
    ``("upload", filename, digest, ...)``) and the frame as fitted."""
    kind = key[0] if key else ""
    if kind == "simulate":
        return DataProvenance("simulate", "biomass", tuple((str(k), v) for k, v in key[1:]))
    if kind == "example":
        return DataProvenance("example", str(key[1]))
    if kind == "upload":
        return DataProvenance("upload", str(key[1]), sha256=sha256, factors=factor_columns(frame))
    raise ValueError(f"Unknown data source {kind!r}")


@dataclass(frozen=True)
class ReproSpec:
    """What the code reproduces: data, model, and the Intervals panel's settings."""

    data: DataProvenance
    formula: str
    reml: bool
    level: float = 0.95
    nsim: int = 500
    seed: int = 1


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) as one space: safe inside a comment."""
    return " ".join(str(text).split())


def _r_string(text: str) -> str:
    return json.dumps(text)  # a valid R string literal: quotes, backslashes and controls escaped


def _file_note(data: DataProvenance) -> str:
    """The uploaded file named in a comment: quoted and escaped, so no name can end the comment."""
    return f"{_r_string(one_line(data.name))} (sha256 {data.sha256 or 'unknown'})"


def _python_data(data: DataProvenance) -> list[str]:
    if data.kind == "simulate":
        args = ", ".join(f"{name}={value!r}" for name, value in data.params)
        return [
            "from lmmcore.datasets import simulate_biomass",
            "",
            f"data = simulate_biomass({args})",
            f"data.to_csv({data.csv_name!r}, index=False)  # the same rows for the R code",
        ]
    if data.kind == "example":
        lines = ["from lmmcore.datasets import load", "", f"data = load({data.name!r})"]
        if data.name not in R_EXAMPLES:
            lines.append(f"data.to_csv({data.csv_name!r}, index=False)  # the same rows for the R code")
        return lines
    lines = [
        "import pandas as pd",
        "",
        f"# {_file_note(data)} as the app fitted it: the Code view's 'data as fitted' download",
        "# (column types applied, dates as days since the first).",
        f"data = {READ_CSV_PY.format(path=repr(data.csv_name))}",
    ]
    lines += [
        f"data[{name!r}] = pd.Categorical(data[{name!r}])  # a factor, as in the app" for name in data.factors
    ]
    return lines


def _method(spec: ReproSpec) -> str:
    return "REML" if spec.reml else "ML"


def python_code(spec: ReproSpec) -> str:
    """A script that fits the view's model with lmmcore and prints the summary and every interval."""
    header = f'"""LMM Explorer: {one_line(spec.formula)} by {_method(spec)}, reproduced with lmmcore."""'
    body = [
        "import lmmcore",
        *_python_data(spec.data),
        "",
        f"m = lmmcore.fit({spec.formula!r}, data, reml={spec.reml})",
        "print(m.summary())",
        "print(m.satterthwaite())  # lmerTest's Satterthwaite df and p",
        "",
        f"level = {spec.level!r}",
        'print(m.confint("wald", level=level))',
        'print(m.confint("profile", level=level))',
        f"boot = lmmcore.bootstrap(m, nsim={spec.nsim}, seed={spec.seed})  # parametric bootstrap",
        "print(boot.intervals(level))",
        f"print(lmmcore.sim(m, {spec.nsim}, {spec.seed}).intervals(level))  # arm::sim's posterior draws",
    ]
    return "\n".join([header, *body]) + "\n"


def _r_data(data: DataProvenance) -> list[str]:
    if data.kind == "example" and data.name in R_EXAMPLES:
        return [f'data("{data.name}", package = "lme4")', f"data <- {data.name}"]
    origin = {
        "simulate": "# Written by the Python code (simulate_biomass with the same seed).",
        "example": "# Written by the Python code (lmmcore's bundled copy).",
        "upload": f"# {_file_note(data)} as the app fitted it (the Code view's 'data as fitted').",
    }[data.kind]
    lines = [origin, f'data <- read.csv({_r_string(data.csv_name)}, check.names = FALSE, na.strings = "NA")']
    lines += [f"data[[{_r_string(name)}]] <- factor(data[[{_r_string(name)}]])" for name in data.factors]
    return lines


def r_code(spec: ReproSpec) -> str:
    """The same fit and intervals with lme4 and lmerTest (bootstrap and arm::sim draw R's own random
    numbers: their intervals agree within Monte Carlo error, not digit for digit)."""
    lines = [
        f"# LMM Explorer: {one_line(spec.formula)} by {_method(spec)}, reproduced with lme4 + lmerTest.",
        "library(lme4)",
        "library(lmerTest)  # lmer with Satterthwaite df and p in summary()",
        "",
        *_r_data(spec.data),
        "",
        f"m <- lmer({one_line(spec.formula)}, data = data, REML = {'TRUE' if spec.reml else 'FALSE'})",
        "summary(m)",
        "",
        f"level <- {spec.level!r}",
        'confint(m, method = "Wald", level = level, oldNames = FALSE)',
        'confint(m, method = "profile", level = level, oldNames = FALSE)',
        "# R's random numbers differ from numpy's: same method, different draws.",
        f'confint(m, method = "boot", level = level, nsim = {spec.nsim}, seed = {spec.seed},',
        "        oldNames = FALSE)",
        'if (requireNamespace("arm", quietly = TRUE)) {',
        f"  set.seed({spec.seed})",
        f"  draws <- arm::sim(m, n.sims = {spec.nsim})",
        "  print(t(apply(draws@fixef, 2, quantile, c((1 - level) / 2, (1 + level) / 2))))",
        "}",
    ]
    return "\n".join(lines) + "\n"
