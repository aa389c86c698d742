"""Model quality: R², ICC, group-deletion influence and collinearity (performance / lme4's influence)."""

from lmmcore.quality.icc import icc
from lmmcore.quality.influence import Influence, influence
from lmmcore.quality.r2 import r2
from lmmcore.quality.variances import VarianceParts, variance_parts
from lmmcore.quality.vif import vif

__all__ = ["Influence", "VarianceParts", "icc", "influence", "r2", "variance_parts", "vif"]
