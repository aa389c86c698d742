"""Regression curves with bootstrapped 95 % bands (the seed tutorial's end point).

A continuous predictor: per curve (a combination of held factor levels) the population prediction
(``re.form = NA``) as a line inside its band, the groups' conditional curves as light lines, the data
behind. A factor predictor (or none at all): the population prediction per level as a dot with the band
as whiskers, the groups' predictions as light dots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .fast_figure import unvalidated_figure
from .style import panel_layout
from .text import plain

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
MAX_POINTS = 5000
_GL_POINTS = 1500


@dataclass(frozen=True)
class PredictionPlot:
    """What the figure shows, every value already computed (``nsim``: the bootstrap refits behind the band).

    ``band``: rows of the population grid with ``curve``, ``fit``, ``lower``, ``upper``; ``levels``: for a
    factor x, its data values and labels in axis order (None for a continuous x); ``points``: the data as
    columns ``x`` and ``y``; ``group_curves``: rows of the groups' grid with ``fit``.
    """

    band: pd.DataFrame
    x: str | None
    response: str
    curve_labels: tuple[str, ...]
    levels: tuple[tuple, tuple[str, ...]] | None = None
    points: pd.DataFrame | None = None
    group_curves: pd.DataFrame | None = None
    group: str | None = None
    nsim: int | None = None


def _colour(curve: int) -> str:
    return PALETTE[curve % len(PALETTE)]


def _positions(plot: PredictionPlot, values: pd.Series) -> np.ndarray:
    """Axis positions of x values: the values themselves, or a factor level's index."""
    if plot.levels is None:
        return values.to_numpy(float)
    lookup = {value: k for k, value in enumerate(plot.levels[0])}
    return values.map(lookup).to_numpy(float)


def _points_trace(plot: PredictionPlot) -> list:
    points = plot.points
    if points is None or points.empty:
        return []
    if len(points) > MAX_POINTS:
        points = points.iloc[:: -(-len(points) // MAX_POINTS)]
    x = _positions(plot, points["x"]) if plot.x is not None else np.zeros(len(points))
    if plot.levels is not None or plot.x is None:
        # Spread a level's points sideways (a fixed pattern: the same data always looks the same).
        x = x + 0.25 * (np.linspace(-1, 1, len(points)) * 7.3 % 2 - 1)
    kind = "scattergl" if len(points) > _GL_POINTS else "scatter"
    return [
        dict(
            type=kind,
            x=x, y=points["y"].to_numpy(float), mode="markers", name="data",
            marker={"color": "rgba(120,120,120,0.35)", "size": 5}, hoverinfo="skip",
        )
    ]  # fmt: skip


def _group_traces(plot: PredictionPlot) -> list:
    curves = plot.group_curves
    if curves is None or curves.empty:
        return []
    # One trace for every group: each group's rows in a block, a NaN (a gap in the line) between blocks.
    curves = curves.sort_values(plot.group, kind="stable")
    groups = curves[plot.group].to_numpy()
    breaks = np.flatnonzero(groups[1:] != groups[:-1]) + 1
    x = _positions(plot, curves[plot.x]) if plot.x is not None else np.zeros(len(curves))
    xs = np.insert(x, breaks, np.nan)
    ys = np.insert(curves["fit"].to_numpy(float), breaks, np.nan)
    continuous = plot.levels is None
    return [
        dict(type="scatter",
            x=xs, y=ys, mode="lines" if continuous else "markers",
            name=f"{plain(plot.group)} curves (conditional)",
            line={"color": "rgba(255,127,14,0.35)", "width": 1},
            marker={"color": "rgba(255,127,14,0.45)", "size": 6, "symbol": "line-ew-open"},
            hoverinfo="skip",
        )
    ]  # fmt: skip


def _curve_traces(plot: PredictionPlot, curve: int, rows: pd.DataFrame, offset: float) -> list:
    colour, label = _colour(curve), plain(plot.curve_labels[curve]) or "population"
    x = _positions(plot, rows[plot.x]) + offset if plot.x is not None else np.array([offset])
    fit, lower, upper = (rows[c].to_numpy(float) for c in ("fit", "lower", "upper"))
    if plot.levels is not None or plot.x is None:
        return [
            dict(type="scatter",
                x=x, y=fit, mode="markers", name=label, marker={"color": colour, "size": 10},
                error_y={"type": "data", "symmetric": False, "array": upper - fit, "arrayminus": fit - lower,
                         "color": colour, "thickness": 2, "width": 6},
                customdata=np.column_stack([lower, upper]),
                hovertemplate="prediction %{y:.4g}<br>95% band [%{customdata[0]:.4g}, %{customdata[1]:.4g}]"
                + f"<extra>{label}</extra>",
            )
        ]  # fmt: skip
    fill = colour.replace("#", "")
    rgba = f"rgba({int(fill[:2], 16)},{int(fill[2:4], 16)},{int(fill[4:], 16)},0.18)"
    group = {"legendgroup": str(curve), "type": "scatter", "x": x, "mode": "lines"}
    return [
        dict(group, y=upper, line={"width": 0}, showlegend=False, name=f"{label}: upper", hoverinfo="skip"),
        dict(group, y=lower, line={"width": 0}, fill="tonexty", fillcolor=rgba, showlegend=False,
             name=f"{label}: lower", hoverinfo="skip"),
        dict(group, y=fit, line={"color": colour, "width": 2.5}, name=label,
             customdata=np.column_stack([lower, upper]),
             hovertemplate="%{x:.4g}: %{y:.4g}<br>95% band [%{customdata[0]:.4g}, %{customdata[1]:.4g}]"
             + f"<extra>{label}</extra>"),
    ]  # fmt: skip


def predictions_figure(plot: PredictionPlot) -> go.Figure:
    """Data, the groups' curves, then each population curve with its band, one colour per curve."""
    traces = _points_trace(plot) + _group_traces(plot)
    ncurves = int(plot.band["curve"].max()) + 1 if len(plot.band) else 0
    dodge = 0.3 / max(1, ncurves)
    for curve, rows in plot.band.groupby("curve", sort=True):
        offset = 0.0 if plot.levels is None else (curve - (ncurves - 1) / 2) * dodge
        traces += _curve_traces(plot, int(curve), rows, offset)
    x_title = plain(plot.x) if plot.x is not None else "population (no predictor in the fixed part)"
    xaxis = {"title": {"text": x_title}}
    if plot.levels is not None:
        xaxis.update(tickvals=list(range(len(plot.levels[1]))), ticktext=[plain(v) for v in plot.levels[1]])
    elif plot.x is None:
        xaxis.update(tickvals=[0], ticktext=["(Intercept)"], range=[-1, 1])
    refits = f" ({plot.nsim} refits)" if plot.nsim else ""
    title = f"Population prediction of {plain(plot.response)} with its bootstrapped 95% band{refits}"
    layout = panel_layout(
        title, xaxis, {"title": {"text": plain(plot.response)}}, height=460,
        legend={"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0},
        margin={"l": 60, "r": 20, "t": 50, "b": 90},
    )  # fmt: skip
    return unvalidated_figure(traces, layout)
