"""A recovery study's estimates against the truth: one small histogram per parameter, with the true value
(red line) and the mean of the estimates (dashed line), so bias shows as the gap between the two."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import axis_refs, grid_layout
from .text import plain, plain_all

MAX_COLUMNS = 3  # long parameter names stay whole in a 1024-px window
PANEL_HEIGHT = 210
TRUTH_COLOUR = "#d62728"
MEAN_COLOUR = "#1f77b4"


def parameters(result) -> list[str]:
    """The parameters the study estimated, in its table's order (fixed effects, then variance ones)."""
    return [str(name) for name in result.table.index]


def recovery_histograms(result) -> go.Figure:
    """Histograms of every parameter's estimates over the successful replicates of ``result`` (an
    ``lmmcore.RecoveryResult``), with vertical lines at the truth and at the mean."""
    names = parameters(result)
    cols = min(MAX_COLUMNS, max(1, len(names)))
    rows = -(-len(names) // cols)
    fitted = len(result.estimates)
    layout = grid_layout(
        plain_all(names),
        cols,
        gap=0.12,  # room for a panel's title above the tick labels of the one over it
        title={"text": f"Estimates from {fitted} simulated data sets: red line the truth, dashed the mean"},
        height=110 + PANEL_HEIGHT * rows,
        margin={"l": 40, "r": 20, "t": 80, "b": 30},
        shapes=[],
        showlegend=False,
    )
    for key in layout:
        if key.startswith("xaxis"):
            layout[key].update(nticks=5, tickangle=0)
    traces = []
    for k, name in enumerate(names):
        values = result.estimates[name].to_numpy(dtype=float)
        refs = axis_refs(k)
        traces.append(
            go.Histogram(
                x=values,
                nbinsx=30,
                marker={"color": "#9ecae1", "line": {"color": "white", "width": 0.5}},
                name=plain(name),
                hovertemplate="%{x}<br>%{y} replicates<extra>" + plain(name) + "</extra>",
                **refs,
            )
        )
        truth, mean = result.table.loc[name, "truth"], result.table.loc[name, "mean"]
        layout["shapes"] += [
            _vertical(refs, truth, TRUTH_COLOUR, "solid"),
            _vertical(refs, mean, MEAN_COLOUR, "dash"),
        ]
    layout["shapes"] = [s for s in layout["shapes"] if s is not None]
    return go.Figure(traces, layout)


def _vertical(refs: dict, value: float, colour: str, dash: str) -> dict | None:
    if not np.isfinite(value):
        return None
    return {
        "type": "line",
        "xref": refs["xaxis"],
        "x0": float(value),
        "x1": float(value),
        "yref": f"{refs['yaxis']} domain",
        "y0": 0,
        "y1": 1,
        "line": {"color": colour, "width": 2, "dash": dash},
    }
