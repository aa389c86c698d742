"""Keeping plots responsive for large fits (InstEval: 73,421 rows): WebGL beyond a few thousand points,
binned counts beyond tens of thousands, thinned quantiles for QQ plots."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

SVG_LIMIT = 5_000
WEBGL_LIMIT = 20_000
QQ_POINTS = 2_000
BINS = 80


def scatter_trace(x, y, *, name: str, hovertemplate: str, color: str = "#2c6fbb", **kwargs) -> go.Scatter:
    """SVG scatter for a few thousand points (crisp, per-point hover), WebGL scatter beyond."""
    trace = go.Scatter if len(x) <= SVG_LIMIT else go.Scattergl
    size = 6 if len(x) <= SVG_LIMIT else 3
    return trace(
        x=np.asarray(x),
        y=np.asarray(y),
        mode="markers",
        name=name,
        marker={"color": color, "size": size, "opacity": 0.7 if len(x) <= SVG_LIMIT else 0.35},
        hovertemplate=hovertemplate,
        **kwargs,
    )


def density_trace(x, y, *, name: str) -> go.Heatmap:
    """Counts of points in a BINS x BINS grid (log colour scale): what a scatter of 10^5 points shows,
    at a few kilobytes."""
    counts, x_edges, y_edges = np.histogram2d(np.asarray(x), np.asarray(y), bins=BINS)
    z = np.where(counts > 0, counts, np.nan).T
    # The count of each cell as hover text: plotly.js does not index a heatmap's 2-D customdata by cell
    # (the hover read 'NaN points'), its 2-D text it does.
    return go.Heatmap(
        x=(x_edges[:-1] + x_edges[1:]) / 2,
        y=(y_edges[:-1] + y_edges[1:]) / 2,
        z=np.log10(z),
        text=counts.T.astype(int).astype(str),
        colorscale="Blues",
        showscale=False,
        name=name,
        hovertemplate="x %{x:.3g}, y %{y:.3g}: %{text} points<extra></extra>",
    )


def points_or_density(x, y, *, name: str, hovertemplate: str, **kwargs) -> go.Scatter | go.Heatmap:
    """A scatter up to WEBGL_LIMIT points, binned counts beyond."""
    if len(x) > WEBGL_LIMIT:
        return density_trace(x, y, name=name)
    return scatter_trace(x, y, name=name, hovertemplate=hovertemplate, **kwargs)


def thinned_ranks(n: int, keep: int = QQ_POINTS) -> np.ndarray:
    """Indices of evenly spaced order statistics (both extremes included); all of them when n <= keep."""
    if n <= keep:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, keep)).astype(int))
