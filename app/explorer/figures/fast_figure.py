"""A figure built without plotly.py's property validation.

Building ``go.Figure`` from traces and a layout validates every property (30-60 ms for a dozen traces,
several times that on a loaded machine, on the event loop at every redraw); the inference figures are
built from plain dicts with ``_validate=False`` instead, a few milliseconds. Their tests rebuild each
figure with validation (``validated``), so a misspelt property still fails there.
"""

from __future__ import annotations

import plotly.graph_objects as go


def unvalidated_figure(traces: list[dict], layout: dict) -> go.Figure:
    """``go.Figure(traces, layout)`` without validating the properties (plotly's own ``_validate`` switch)."""
    return go.Figure(traces, layout, _validate=False)


def validated(figure: go.Figure) -> go.Figure:
    """The same figure with every property validated: raises ValueError on an unknown or invalid one."""
    return go.Figure(figure.to_dict())
