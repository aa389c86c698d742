"""Residual diagnostics of a fitted model as plotly figures, each with a one-line reading hint.

Inputs are plain arrays: Pearson residuals ``r_i = (y_i - fitted_i) / sigma`` (an LMM without weights),
fitted values, observed values, the grouping labels of each used row, and the conditional modes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from .large_data import (
    SVG_LIMIT,
    WEBGL_LIMIT,
    GroupSummary,
    group_summary,
    points_or_density,
    scatter_trace,
    sorted_quantiles,
    thinned_ranks,
)
from .smoother import lowess_curve
from .style import axis_refs, grid_layout, panel_layout
from .text import plain, plain_all

HINTS = {
    "resid": "Points scattered evenly around 0 with no funnel or curve: the mean and the variance are right.",
    "qq_resid": "Points on the line: residuals are close to normal; S-shapes or bent tails mean heavy tails "
    "or skew.",
    "qq_ranef": "Each panel near its line: the random effects look normal; isolated points far off are "
    "unusual groups.",
    "by_group": "Boxes centred on 0 with similar spread: no group is systematically over- or "
    "under-predicted.",
    "obs_fit": "Points along the diagonal: the model reproduces the data; a cloud shows what remains "
    "unexplained.",
}
MAX_BOXES = 40


def _point_hover(labels, body: str) -> tuple[dict, str]:
    """Hover text naming each point (its row and group levels, as plain text) above ``body``, when labels
    are given."""
    if labels is None:
        return {}, body + "<extra></extra>"
    return {"text": np.asarray(plain_all(labels), dtype=object)}, "%{text}<br>" + body + "<extra></extra>"


def _drawn_labels(labels, n: int):
    """The point labels when points are drawn one by one; None when they are binned (no per-point hover)."""
    return labels if n <= WEBGL_LIMIT else None


def residuals_vs_fitted(fitted, pearson, labels=None) -> go.Figure:
    """Pearson residuals against fitted values, with the zero line and a lowess smoother; ``labels``
    name each point in its hover (data row, group levels)."""
    x, y = np.asarray(fitted, float), np.asarray(pearson, float)
    text, hover = _point_hover(_drawn_labels(labels, len(x)), "fitted %{x:.4g}<br>residual %{y:.3f}")
    traces = [points_or_density(x, y, name="residuals", hovertemplate=hover, **text)]
    sx, sy = lowess_curve(x, y, max_points=SVG_LIMIT)
    if len(sx):
        traces.append(
            go.Scatter(x=sx, y=sy, mode="lines", name="lowess", line={"color": "#d62728", "width": 2})
        )
    # The smoother is named in a subtitle: a legend above the plot collided with the title when narrow.
    layout = panel_layout(
        "Pearson residuals vs fitted<br><sub>red line: lowess smoother</sub>",
        {"title": {"text": "fitted"}},
        {"title": {"text": "Pearson residual"}},
        zero_line=True,
        showlegend=False,
    )
    return go.Figure(traces, layout)


def _qq_points(values) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Theoretical normal quantiles (Blom positions, as R's qqnorm) and sorted values, thinned if large,
    with R's qqline (the line through the first and third quartiles) as intercept and slope; one sort
    serves both."""
    sample = np.sort(np.asarray(values, float))
    n = len(sample)
    keep = thinned_ranks(n)
    positions = (keep + 1 - 0.375) / (n + 0.25)
    q1, q3 = sorted_quantiles(sample, [0.25, 0.75]) if n else (0.0, 0.0)
    z1, z3 = stats.norm.ppf([0.25, 0.75])
    slope = (q3 - q1) / (z3 - z1)
    return stats.norm.ppf(positions), sample[keep], float(q1 - slope * z1), float(slope)


def _qq_traces(values, *, name: str) -> list[go.Scatter]:
    """QQ points and the reference line of one sample."""
    theory, sample, intercept, slope = _qq_points(values)
    hover = "normal %{x:.2f}<br>value %{y:.4g}<extra></extra>"
    ends = np.array([theory.min(), theory.max()]) if len(theory) else np.array([-2.0, 2.0])
    line = go.Scatter(
        x=ends,
        y=intercept + slope * ends,
        mode="lines",
        name=f"{name} reference",
        line={"color": "#d62728", "width": 1.5},
        hoverinfo="skip",
    )
    return [scatter_trace(theory, sample, name=name, hovertemplate=hover), line]


def qq_residuals(pearson) -> go.Figure:
    """Normal QQ plot of the Pearson residuals with the quartile reference line."""
    shown = min(len(pearson), len(thinned_ranks(len(pearson))))
    note = "" if shown == len(pearson) else f"<br><sub>{shown} of {len(pearson)} quantiles shown</sub>"
    layout = panel_layout(
        f"Normal QQ plot of residuals{note}",
        {"title": {"text": "normal quantile"}},
        {"title": {"text": "Pearson residual"}},
        showlegend=False,
    )
    return go.Figure(_qq_traces(pearson, name="residuals"), layout)


def qq_random_effects(ranef: dict[str, pd.DataFrame]) -> go.Figure:
    """One normal QQ panel per grouping factor and term of the conditional modes."""
    panels = [
        (f"{plain(term)} | {plain(group)}", modes[term].to_numpy())
        for group, modes in ranef.items()
        for term in modes.columns
    ]
    cols = min(3, max(1, len(panels)))
    rows = -(-len(panels) // cols) if panels else 1
    traces = []
    for k, (name, values) in enumerate(panels):
        for trace in _qq_traces(values, name=name):
            traces.append(trace.update(**axis_refs(k)))
    layout = grid_layout(
        [name for name, _ in panels],
        cols,
        title={"text": "Normal QQ plots of the random effects<br><sub>conditional modes</sub>"},
        showlegend=False,
        height=max(340, 300 * rows),
    )
    return go.Figure(traces, layout)


def _escaped_levels(groups) -> pd.Categorical:
    """The grouping factor as a categorical whose levels are escaped for plotly: tick labels and hovers
    show them as text. Escaped once per level (``plain`` is one-to-one, so no two levels merge)."""
    if not isinstance(groups, pd.Categorical):
        groups = pd.Categorical(np.asarray(groups).astype(str))
    return pd.Categorical.from_codes(groups.codes, categories=plain_all(groups.categories.astype(str)))


def _raw_boxes(pearson: np.ndarray, levels: pd.Categorical, labels) -> go.Box:
    """Small data: plotly draws the boxes from the values, with every point (and its hover) when few."""
    points = "all" if len(pearson) <= SVG_LIMIT // 5 else False
    text, hover = _point_hover(labels if points else None, "residual %{y:.3f}")
    return go.Box(
        **text,
        hovertemplate=hover if points else None,
        x=np.asarray(levels, dtype=object),
        y=pearson,
        boxpoints=points,
        jitter=0.4,
        pointpos=0,
    )


def _summary_boxes(summary: GroupSummary, names: np.ndarray) -> go.Box:
    """Large data: boxes from precomputed quartiles and whisker ends (a few numbers per level, not every
    value in the page)."""
    shown = summary.count > 0
    return go.Box(
        x=names[shown],
        q1=summary.q1[shown],
        median=summary.median[shown],
        q3=summary.q3[shown],
        lowerfence=summary.lower_fence[shown],
        upperfence=summary.upper_fence[shown],
        boxpoints=False,
    )


def _group_boxes(pearson: np.ndarray, levels: pd.Categorical, summary: GroupSummary, labels) -> go.Box:
    """One box trace over all levels (plotly splits it by x)."""
    if len(pearson) <= WEBGL_LIMIT:
        box = _raw_boxes(pearson, levels, labels)
    else:
        box = _summary_boxes(summary, np.asarray(levels.categories, dtype=object))
    return box.update(
        name="residuals",
        marker={"color": "#2c6fbb", "size": 4},
        line={"color": "#2c6fbb", "width": 1},
        showlegend=False,
    )


def _group_ranges(summary: GroupSummary, names: np.ndarray) -> go.Scatter:
    """Many levels: median and interquartile range per level, sorted by median (one trace, any size)."""
    order = np.argsort(summary.median, kind="stable")
    order = order[summary.count[order] > 0]
    median = summary.median[order]
    return scatter_trace(
        np.arange(1, len(order) + 1),
        median,
        name="median and IQR",
        error_y={
            "type": "data",
            "symmetric": False,
            "array": summary.q3[order] - median,
            "arrayminus": median - summary.q1[order],
            "thickness": 1,
            "width": 0,
            "color": "#9ab7dd",
        },
        customdata=names[order],
        hovertemplate="%{customdata}<br>median %{y:.3f}<extra></extra>",
    )


def residuals_by_group(pearson, groups, group_name: str, labels=None) -> go.Figure:
    """Pearson residuals per level of a grouping factor: boxes (sorted by median) for up to MAX_BOXES
    levels, median and interquartile range per level beyond. ``groups`` may be a ``pd.Categorical`` (as
    :class:`~explorer.fit_data.FitData` holds them): its codes are used without per-row strings."""
    values = np.asarray(pearson, float)
    levels = _escaped_levels(groups)
    names = np.asarray(levels.categories, dtype=object)
    summary = group_summary(values, levels.codes, len(names))
    group_name = plain(group_name)
    nlevels = int(np.count_nonzero(summary.count))
    if nlevels <= MAX_BOXES:
        traces = [_group_boxes(values, levels, summary, labels)]
        shown = summary.count > 0
        order = np.argsort(summary.median[shown], kind="stable")
        xaxis = {
            "title": {"text": group_name},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": list(names[shown][order]),
            "automargin": True,
        }
    else:
        traces = [_group_ranges(summary, names)]
        xaxis = {"title": {"text": f"{group_name} levels ranked by median residual ({nlevels} levels)"}}
    title = f"Pearson residuals by {group_name}"
    layout = panel_layout(title, xaxis, {"title": {"text": "Pearson residual"}}, zero_line=True)
    return go.Figure(traces, layout)


def observed_vs_fitted(observed, fitted, response_name: str, labels=None) -> go.Figure:
    """Observed response against fitted values (conditional on the random effects), with the diagonal."""
    x, y = np.asarray(fitted, float), np.asarray(observed, float)
    text, hover = _point_hover(_drawn_labels(labels, len(x)), "fitted %{x:.4g}<br>observed %{y:.4g}")
    points = points_or_density(x, y, name="observations", hovertemplate=hover, **text)
    low, high = float(np.nanmin([x.min(), y.min()])), float(np.nanmax([x.max(), y.max()]))
    diagonal = go.Scatter(
        x=[low, high],
        y=[low, high],
        mode="lines",
        name="y = x",
        line={"color": "#d62728", "dash": "dash", "width": 1.5},
        hoverinfo="skip",
    )
    layout = panel_layout(
        "Observed vs fitted",
        {"title": {"text": "fitted"}},
        {"title": {"text": f"observed {plain(response_name)}"}},
        showlegend=False,
    )
    return go.Figure([points, diagonal], layout)
