"""The design stage: formula + data -> numeric :class:`Design` (lme4's ``lFormula``); new-data encoding."""

from lmmcore.design.build import build_design
from lmmcore.design.encode import encode_newdata
from lmmcore.design.types import Design, ReBlock

__all__ = ["Design", "ReBlock", "build_design", "encode_newdata"]
