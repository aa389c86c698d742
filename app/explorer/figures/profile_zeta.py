"""Profile zeta plots, lme4's ``xyplot(profile(m))``: one small panel per parameter.

``zeta(x) = sign(x - x_hat) sqrt(deviance(x) - deviance_min)`` (ML deviance) against the parameter's
value. A straight line means a quadratic log-likelihood, where Wald intervals are accurate. The dashed
horizontal lines are ``zeta = -+ qnorm((1 + level) / 2)``; where the profile crosses them (dotted vertical
lines) are the ends of the profile interval.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from .fast_figure import unvalidated_figure
from .style import axis_refs, grid_layout
from .text import plain

_LINE = "#1f77b4"
_LEVEL = "#d62728"
_PANEL_PX = 210


def _level_shapes(k: int, z: float, ends) -> list[dict]:
    refs = axis_refs(k)
    shapes = [
        {
            "type": "line", "xref": f"{refs['xaxis']} domain", "x0": 0, "x1": 1, "yref": refs["yaxis"],
            "y0": sign * z, "y1": sign * z, "line": {"color": _LEVEL, "width": 1, "dash": "dash"},
        }
        for sign in (-1, 1)
    ]  # fmt: skip
    for end, sign in zip(ends, (-1, 1)):
        if math.isfinite(end):
            shapes.append(
                {
                    "type": "line", "xref": refs["xaxis"], "x0": end, "x1": end, "yref": refs["yaxis"],
                    "y0": 0, "y1": sign * z, "line": {"color": _LEVEL, "width": 1, "dash": "dot"},
                }
            )  # fmt: skip
    return shapes


def zeta_figure(profile, intervals: pd.DataFrame | None, level: float) -> go.Figure:
    """Zeta against each parameter's value (lme4's ``profile`` traces, every sampled point), with the
    ``level`` lines and the interval ends of ``intervals`` (``confint`` rows; None: no end lines)."""
    names = list(profile.parameters)
    cols = min(3, max(1, len(names)))
    nrows = -(-len(names) // cols)
    z = float(stats.norm.ppf((1 + level) / 2))
    layout = grid_layout(
        [plain(n) for n in names],
        cols,
        gap=0.1,
        title={"text": f"Profile zeta plots: dashed lines at zeta = ±{z:.3g} ({level:.3g} level)"},
        height=110 + _PANEL_PX * nrows,
        margin={"l": 50, "r": 20, "t": 80, "b": 40},
        shapes=[],
        showlegend=False,
    )
    for note in layout["annotations"]:
        note["font"] = {"size": 11}  # a long name (cor_Temp.(Intercept)|Site) fits a third of 560 px
    traces = []
    points = dict(tuple(profile.traces.groupby("parameter", sort=False)))
    for k, name in enumerate(names):
        trace = points[name].sort_values(name)
        traces.append(
            dict(
                type="scatter",
                x=trace[name].to_numpy(float),
                y=trace["zeta"].to_numpy(float),
                mode="lines+markers",
                line={"color": _LINE, "width": 1.5},
                marker={"size": 4, "color": _LINE},
                name=plain(name),
                hovertemplate=f"{plain(name)} = %{{x:.4g}}<br>zeta %{{y:.3f}}<extra></extra>",
                **axis_refs(k),
            )
        )
        ends = (
            intervals.loc[name].iloc[:2].astype(float)
            if intervals is not None and name in intervals.index
            else ()
        )
        layout["shapes"] += _level_shapes(k, z, list(ends))
        layout["yaxis" if k == 0 else f"yaxis{k + 1}"]["title"] = {"text": "zeta" if k % cols == 0 else None}
        layout["xaxis" if k == 0 else f"xaxis{k + 1}"].update(nticks=5, tickangle=0)
    return unvalidated_figure(traces, layout)
