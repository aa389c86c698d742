"""Fitting stages: the profiled criterion, its optimizer, and the assembly of the result."""

from lmmcore.fitting.assemble import assemble_result, criterion_for
from lmmcore.fitting.solution import Solution

__all__ = ["Solution", "assemble_result", "criterion_for"]
