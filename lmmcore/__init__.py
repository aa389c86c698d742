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
from lmmcore.inference.bands import predict_band
from lmmcore.inference.bootstrap import BootstrapResult, bootstrap
from lmmcore.inference.executors import Cancelled, map_replicates
from lmmcore.inference.lrt import anova
from lmmcore.inference.pooling import pooling
from lmmcore.inference.posterior import PosteriorDraws, sim
from lmmcore.inference.profile import Profile
from lmmcore.inference.recovery import RecoveryResult, recovery
from lmmcore.inference.singularity import SingularTerm, singular_terms
from lmmcore.quality import Influence, VarianceParts
from lmmcore.result import LmmResult

__all__ = [
    "BootstrapResult",
    "Cancelled",
    "PosteriorDraws",
    "Profile",
    "RecoveryResult",
    "anova",
    "bootstrap",
    "map_replicates",
    "pooling",
    "predict_band",
    "recovery",
    "sim",
    "SingularTerm",
    "singular_terms",
    "Influence",
    "VarianceParts",
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
