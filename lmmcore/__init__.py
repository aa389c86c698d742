"""lmmcore: linear mixed models with lme4's numbers.

>>> from lmmcore import fit, datasets
>>> m = fit("Reaction ~ Days + (Days | Subject)", datasets.load("sleepstudy"))
>>> print(m.summary())

The stages are public too (lme4's lFormula -> mkLmerDevfun -> optimizeLmer -> mkMerMod):
``parse_formula`` -> ``build_design`` -> ``make_criterion`` -> ``optimize_theta`` -> ``assemble_result``.
"""

from lmmcore import datasets, errors
from lmmcore.design import build_design
from lmmcore.design.types import Design
from lmmcore.errors import DataError, FitError, FormulaError, InferenceError, LmmError
from lmmcore.fit import fit
from lmmcore.fitting.assemble import assemble_result
from lmmcore.fitting.criterion import make_criterion
from lmmcore.fitting.optimize import optimize_theta
from lmmcore.formula import parse_formula
from lmmcore.formula.spec import FormulaSpec
from lmmcore.result import LmmResult

# --- inference exports (bootstrap, sim, anova, pooling, recovery): added by the lead -------------------

__all__ = [
    "DataError",
    "Design",
    "FitError",
    "FormulaError",
    "FormulaSpec",
    "InferenceError",
    "LmmError",
    "LmmResult",
    "assemble_result",
    "build_design",
    "datasets",
    "errors",
    "fit",
    "make_criterion",
    "optimize_theta",
    "parse_formula",
]
