"""Complete, no and partial pooling drawn per group, and the shrinkage of the per-group estimates.

Built from a :class:`~explorer.study_jobs.PoolingView`: the lines are its ``lines`` (coefficients with the
other predictors held at the group's mean), the shrinkage plot its ``estimates``: each group's separate
least-squares estimate (no pooling) with an arrow to its mixed-model estimate (partial pooling), which
lies between it and the population estimate (the fixed effect).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..study_jobs import adjusted
from .style import GRID, STYLE, TITLE, axis_refs, grid_layout
from .text import plain, plain_all

MAX_ALL_LEVELS = 30  # up to this many groups the grid shows them all
DEFAULT_SHOWN = 12  # beyond, this many spread over the range of the estimates
MAX_COLUMNS = 4  # panels stay readable in a 1024-px window
MAX_ARROWS = 80  # more groups: arrows become plain segments (annotations are slow to draw)
PANEL_HEIGHT = 180
COLOURS = {"complete": "#7f7f7f", "none": "#1f77b4", "partial": "#d62728"}
NAMES = {
    "complete": "complete pooling (one fit for all)",
    "none": "no pooling (a fit per group)",
    "partial": "partial pooling (mixed model)",
}
DASHES = {"complete": "dash", "none": "dot", "partial": "solid"}
# Below the plot, where a narrow window has room for it (a legend beside the panels would squeeze them).
LEGEND = {"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "bottom", "yref": "container"}


def default_levels(view) -> list[str]:
    """Every group when there are at most :data:`MAX_ALL_LEVELS`, else :data:`DEFAULT_SHOWN` of them
    spread evenly over the order of their mixed-model intercept (typical and extreme groups alike)."""
    levels = list(view.levels)
    if len(levels) <= MAX_ALL_LEVELS:
        return levels
    partial = _coefficients(view, "partial", _shrink_terms(view, None)[0])
    ordered = partial.sort_values(kind="stable").index.tolist()
    picks = np.unique(np.linspace(0, len(ordered) - 1, DEFAULT_SHOWN).round().astype(int))
    return [ordered[i] for i in picks]


def shown_levels(view, selected) -> list[str]:
    """The groups the grid draws: the selected ones that exist (in the model's order), else the default."""
    chosen = set(selected or ())
    kept = [level for level in view.levels if level in chosen]
    return kept[:MAX_ALL_LEVELS] if kept else default_levels(view)


def pooling_grid(view, x: str, levels: list[str]) -> go.Figure:
    """One small panel per group: its points (adjusted to the group's mean of the other predictors, as the
    lines are) and the three pooling lines over ``x``."""
    cols = min(MAX_COLUMNS, max(1, len(levels)))
    rows = -(-len(levels) // cols)
    layout = grid_layout(
        plain_all(levels),
        cols,
        gap=0.09,
        title={"text": f"{plain(view.response)} against {plain(x)}, by {plain(view.group)}"},
        height=120 + PANEL_HEIGHT * rows,
        legend=LEGEND,
        margin={"l": 50, "r": 20, "t": 80, "b": 60},
    )
    for key in layout:
        if key.startswith(("xaxis", "yaxis")):
            layout[key]["nticks"] = 5
    points = view.points
    grid = np.array([points[x].min(), points[x].max()], dtype=float)
    lines = view.lines[view.lines["predictor"] == x].set_index(["level", "method"])
    traces = []
    for k, level in enumerate(levels):
        mine = points[points["level"] == level]
        traces.append(_points_trace(mine[x], mine[adjusted(x)], level).update(**axis_refs(k)))
        for method in ("complete", "none", "partial"):
            line = lines.loc[(level, method)]
            traces.append(
                _line_trace(grid, line["intercept"] + line["slope"] * grid, method, first=k == 0).update(
                    **axis_refs(k)
                )
            )
    return go.Figure(traces, layout)


def _points_trace(x: pd.Series, y: pd.Series, level: str) -> go.Scatter:
    return go.Scatter(
        x=x.to_numpy(float),
        y=y.to_numpy(float),
        mode="markers",
        marker={"color": "#444", "size": 4, "opacity": 0.6},
        name=plain(level),
        showlegend=False,
        hovertemplate="%{x:.4g}, %{y:.4g}<extra>" + plain(level) + "</extra>",
    )


def _line_trace(x: np.ndarray, y: np.ndarray, method: str, first: bool) -> go.Scatter:
    return go.Scatter(
        x=x,
        y=y,
        mode="lines",
        line={"color": COLOURS[method], "dash": DASHES[method], "width": 1.8},
        name=NAMES[method],
        legendgroup=method,
        showlegend=first,
        hoverinfo="skip",
    )


# --- shrinkage --------------------------------------------------------------------------------------------
def _shrink_terms(view, x: str | None) -> tuple[str, str | None]:
    """The coefficients the shrinkage plot shows: the intercept (or the first random term) and ``x`` when
    it has a random slope in this group."""
    terms = view.random_terms
    first = "(Intercept)" if "(Intercept)" in terms else terms[0]
    second = x if x is not None and x in terms and x != first else None
    return first, second


def _coefficients(view, method: str, term: str) -> pd.Series:
    table = view.estimates
    chosen = table[(table["method"] == method) & (table["term"] == term)]
    return pd.Series(chosen["estimate"].to_numpy(float), index=chosen["level"].astype(str).to_numpy())


def shrinkage_figure(view, x: str | None) -> go.Figure:
    """No-pooling against mixed-model estimates per group, arrows toward the population estimate: intercept
    against the ``x`` slope when both vary by group, else the intercepts (or the one random term) alone."""
    first, second = _shrink_terms(view, x)
    if second is None:
        return _shrinkage_1d(view, first)
    return _shrinkage_2d(view, first, second)


def _shrinkage_2d(view, first: str, second: str) -> go.Figure:
    none_x, none_y = _coefficients(view, "none", first), _coefficients(view, "none", second)
    part_x, part_y = _coefficients(view, "partial", first), _coefficients(view, "partial", second)
    levels = part_x.index
    population = (view.population.get(first, 0.0), view.population.get(second, 0.0))
    traces = [
        _estimates_trace(none_x, none_y, "none", levels),
        _estimates_trace(part_x, part_y, "partial", levels),
        go.Scatter(
            x=[population[0]],
            y=[population[1]],
            mode="markers",
            marker={"symbol": "star", "size": 16, "color": "black"},
            name="population estimate (fixed effects)",
            hovertemplate="population<br>%{x:.4g}, %{y:.4g}<extra></extra>",
        ),
    ]
    arrows = _arrows(none_x, none_y, part_x, part_y)
    title = f"Shrinkage by {plain(view.group)}: {plain(first)} and {plain(second)} of each group"
    layout = _shrinkage_layout(title, plain(first), plain(second), 480)
    if len(levels) > MAX_ARROWS:
        traces.append(_segments(none_x, none_y, part_x, part_y))
    else:
        layout["annotations"] = arrows
    layout["shapes"] = [
        _guide("x", population[0]),
        _guide("y", population[1]),
    ]
    return go.Figure(traces, layout)


def _shrinkage_1d(view, term: str) -> go.Figure:
    none, partial = _coefficients(view, "none", term), _coefficients(view, "partial", term)
    order = none.fillna(partial).sort_values(kind="stable").index
    ranks = pd.Series(np.arange(1, len(order) + 1, dtype=float), index=order)
    y = ranks.reindex(partial.index)
    population = view.population.get(term, 0.0)
    traces = [
        _estimates_trace(none, y, "none", partial.index),
        _estimates_trace(partial, y, "partial", partial.index),
    ]
    layout = _shrinkage_layout(
        f"Shrinkage of each {plain(view.group)}'s {plain(term)} toward the population estimate",
        plain(term),
        None,
        int(min(900, max(340, 110 + 16 * len(order)))),
    )
    labelled = len(order) <= 60
    layout["yaxis"].update(
        tickvals=ranks.to_numpy() if labelled else None,
        ticktext=plain_all(order) if labelled else None,
        showticklabels=labelled,
        title={"text": None if labelled else f"{len(order)} groups, sorted"},
    )
    if len(order) > MAX_ARROWS:
        traces.append(_segments(none, y, partial, y))
    else:
        layout["annotations"] = _arrows(none, y, partial, y)
    layout["shapes"] = [_guide("x", population, dash="dash")]
    return go.Figure(traces, layout)


def _estimates_trace(x: pd.Series, y: pd.Series, method: str, levels) -> go.Scatter:
    return go.Scatter(
        x=x.reindex(levels).to_numpy(float),
        y=y.reindex(levels).to_numpy(float),
        mode="markers",
        marker={
            "color": COLOURS[method] if method == "partial" else "white",
            "line": {"color": COLOURS[method], "width": 1.5},
            "size": 8,
        },
        name=NAMES[method],
        customdata=plain_all(levels),
        hovertemplate="<b>%{customdata}</b><br>%{x:.4g}, %{y:.4g}<extra>" + method + "</extra>",
    )


def _arrows(x0: pd.Series, y0: pd.Series, x1: pd.Series, y1: pd.Series) -> list[dict]:
    """An arrow from each group's no-pooling estimate to its mixed-model one (none where a group has no
    separate fit)."""
    out = []
    for level in x1.index:
        start = (x0.get(level, np.nan), y0.get(level, np.nan))
        if not np.all(np.isfinite(start)):
            continue
        out.append(
            {
                "x": float(x1[level]),
                "y": float(y1[level]),
                "ax": float(start[0]),
                "ay": float(start[1]),
                "xref": "x",
                "yref": "y",
                "axref": "x",
                "ayref": "y",
                "showarrow": True,
                "arrowhead": 2,
                "arrowsize": 1,
                "arrowwidth": 1,
                "arrowcolor": "#999",
                "standoff": 5,  # the head stays visible beside the estimate's marker
                "text": "",
            }
        )
    return out


def _segments(x0: pd.Series, y0: pd.Series, x1: pd.Series, y1: pd.Series) -> go.Scatter:
    levels = x1.index
    xs = np.column_stack([x0.reindex(levels), x1, np.full(len(levels), np.nan)]).ravel()
    ys = np.column_stack([y0.reindex(levels), y1.reindex(levels), np.full(len(levels), np.nan)]).ravel()
    return go.Scatter(
        x=xs, y=ys, mode="lines", line={"color": "#bbb", "width": 1}, hoverinfo="skip", showlegend=False
    )


def _guide(axis: str, value: float, dash: str = "dot") -> dict:
    """A line across the plot at the population value of one axis."""
    line = {"type": "line", "line": {"color": "black", "width": 1, "dash": dash}}
    if axis == "x":
        return {**line, "xref": "x", "x0": value, "x1": value, "yref": "paper", "y0": 0, "y1": 1}
    return {**line, "yref": "y", "y0": value, "y1": value, "xref": "paper", "x0": 0, "x1": 1}


def _shrinkage_layout(title: str, xtitle: str, ytitle: str | None, height: int) -> dict:
    return {
        **STYLE,
        "title": {**TITLE, "text": title},
        "xaxis": {**GRID, "title": {"text": xtitle}},
        "yaxis": {**GRID, "title": {"text": ytitle}},
        "height": height,
        "margin": {"l": 90, "r": 20, "t": 50, "b": 80},
        "legend": LEGEND,
    }
