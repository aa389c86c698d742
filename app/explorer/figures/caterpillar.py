"""Caterpillar plot of one grouping factor's random effects: conditional modes with 95 % intervals.

Interval of level j and term t: mode_jt +/- 1.96 * sd_jt, where sd_jt is the conditional standard deviation
(lme4's ``postVar``). Levels whose interval excludes 0 are drawn in a highlight colour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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
    fig = make_subplots(rows=1, cols=max(1, len(terms)), subplot_titles=terms, horizontal_spacing=0.12)
    for k, term in enumerate(terms, start=1):
        table = interval_table(modes[term], condsd[term])
        ranks = np.arange(1, nlevels + 1)
        for excludes in (False, True):
            fig.add_trace(_trace(table, ranks, excludes=excludes, term=term), row=1, col=k)
        fig.add_vline(x=0, line={"color": "black", "width": 1, "dash": "dot"}, row=1, col=k)
        labelled = nlevels <= MAX_LABELLED_LEVELS
        fig.update_yaxes(
            tickvals=ranks if labelled else None,
            ticktext=list(table.index) if labelled else None,
            showticklabels=labelled,
            title=None if labelled else f"{nlevels} levels, sorted",
            range=[0.3, nlevels + 0.7],
            row=1,
            col=k,
        )
        fig.update_xaxes(title="conditional mode (95% interval)", row=1, col=k)
    fig.update_layout(
        title=f"Random effects of {group}: red intervals exclude 0",
        template="plotly_white",
        height=int(min(900, max(340, 110 + 18 * nlevels))),
        margin={"l": 90, "r": 20, "t": 70, "b": 50},
    )
    return fig
