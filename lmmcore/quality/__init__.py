"""Model quality: R², ICC, group-deletion influence and collinearity (performance / lme4's influence)."""

from lmmcore.quality.icc import icc
from lmmcore.quality.r2 import r2
from lmmcore.quality.variances import VarianceParts, variance_parts

__all__ = ["VarianceParts", "icc", "r2", "variance_parts"]
