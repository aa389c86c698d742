"""Fitting stages: the profiled criterion, its optimizer, and the assembly of the result."""

from lmmcore.fitting.assemble import assemble_result, criterion_for
from lmmcore.fitting.criterion import Criterion, make_criterion
from lmmcore.fitting.optimize import OptimizerReport, optimize_theta
from lmmcore.fitting.solution import Solution

__all__ = [
    "Criterion",
    "OptimizerReport",
    "Solution",
    "assemble_result",
    "criterion_for",
    "make_criterion",
    "optimize_theta",
]
