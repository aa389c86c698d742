"""Caterpillar plot of one grouping factor's random effects: conditional modes with 95 % intervals.

Interval of level j and term t: mode_jt +/- 1.96 * sd_jt, where sd_jt is the conditional standard deviation
(lme4's ``postVar``). Levels whose interval excludes 0 are drawn in a highlight colour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .style import axis_refs, grid_layout

Z95 = 1.959963984540054
MAX_LABELLED_LEVELS = 60
_EXCLUDES = "#d62728"
_INCLUDES = "#7f7f7f"


def interval_table(modes: pd.Series, condsd: pd.Series) -> pd.DataFrame:
    """Per level: estimate, conditional SD, 95 % bounds, whether 0 is excluded; sorted by estimate."""
    table = pd.DataFrame({"estimate": modes.astype(float), "sd": condsd.reindex(modes.index).astype(float)})
    table["lower"] = table["estimate"] - Z95 * table["sd"]
    table["upper"] = table["estimate"] + Z95 * table["sd"]
    table["excludes_zero"] = (table["lower"] > 0) | (table["upper"] < 0)
    table.index = table.index.astype(str)
    return table.sort_values("estimate", kind="stable")


def _trace(table: pd.DataFrame, ranks: np.ndarray, *, excludes: bool, term: str) -> go.Scatter:
    chosen = table["excludes_zero"].to_numpy() == excludes
    part = table[chosen]
    kind = go.Scattergl if len(table) > 500 else go.Scatter
    return kind(
        x=part["estimate"].to_numpy(),
        y=ranks[chosen],
        mode="markers",
        name=f"{term}: interval {'excludes' if excludes else 'includes'} 0",
        marker={"color": _EXCLUDES if excludes else _INCLUDES, "size": 7 if len(table) <= 200 else 4},
        error_x={
            "type": "data",
            "symmetric": True,
            "array": (Z95 * part["sd"]).to_numpy(),
            "color": _EXCLUDES if excludes else _INCLUDES,
            "thickness": 1.2,
            "width": 0,
        },
        customdata=np.column_stack([part.index.to_numpy(), part["sd"], part["lower"], part["upper"]]),
        hovertemplate=(
            "<b>%{customdata[0]}</b><br>estimate %{x:.4g}<br>cond. SD %{customdata[1]:.4g}"
            "<br>95% interval [%{customdata[2]:.4g}, %{customdata[3]:.4g}]<extra>" + term + "</extra>"
        ),
        legendgroup="excludes" if excludes else "includes",
        showlegend=False,
    )


def caterpillar(modes: pd.DataFrame, condsd: pd.DataFrame, group: str) -> go.Figure:
    """One panel per term of ``group``: levels sorted by their estimate, intervals, zero line."""
    terms = list(modes.columns)
    nlevels = len(modes)
    ranks = np.arange(1, nlevels + 1)
    labelled = nlevels <= MAX_LABELLED_LEVELS
    layout = grid_layout(
        terms,
        max(1, len(terms)),
        gap=0.12,
        title={"text": f"Random effects of {group}: red intervals exclude 0"},
        height=int(min(900, max(340, 110 + 18 * nlevels))),
        margin={"l": 90, "r": 20, "t": 70, "b": 50},
        shapes=[],
    )
    traces = []
    for k, term in enumerate(terms):
        table = interval_table(modes[term], condsd[term])
        traces += [_trace(table, ranks, excludes=e, term=term).update(**axis_refs(k)) for e in (False, True)]
        refs = axis_refs(k)
        layout["shapes"].append(
            {
                "type": "line",
                "xref": refs["xaxis"],
                "x0": 0,
                "x1": 0,
                "yref": f"{refs['yaxis']} domain",
                "y0": 0,
                "y1": 1,
                "line": {"color": "black", "width": 1, "dash": "dot"},
            }
        )
        yaxis = "yaxis" if k == 0 else f"yaxis{k + 1}"
        xaxis = "xaxis" if k == 0 else f"xaxis{k + 1}"
        layout[yaxis].update(
            tickvals=ranks if labelled else None,
            ticktext=list(table.index) if labelled else None,
            showticklabels=labelled,
            title={"text": None if labelled else f"{nlevels} levels, sorted"},
            range=[0.3, nlevels + 0.7],
        )
        layout[xaxis]["title"] = {"text": "conditional mode (95% interval)"}
    return go.Figure(traces, layout)
