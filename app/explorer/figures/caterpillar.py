"""Caterpillar plot of one grouping factor's random effects: conditional modes with 95 % intervals.

Interval of level j and term t: mode_jt +/- 1.96 * sd_jt, where sd_jt is the conditional standard deviation
(lme4's ``postVar``). Levels whose interval excludes 0 are drawn in a highlight colour.

Order of the levels: as lme4's ``dotplot(ranef(m, condVar = TRUE))``, every panel is sorted by the FIRST
term's modes, so a row is one level across panels (``order="first"``); ``order="each"`` sorts each panel
by its own term instead.

The figure is built without plotly.py's validation (:mod:`.fast_figure`): validating converts the per-level
hover labels to Python objects, which serialising then deep-copies one by one (a quarter of a second per
redraw at 10,000 levels, on the event loop); unvalidated they stay one numpy string array.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .fast_figure import unvalidated_figure
from .style import axis_refs, grid_layout
from .text import plain, plain_all

Z95 = 1.959963984540054
MAX_LABELLED_LEVELS = 60
_EXCLUDES = "#d62728"
_INCLUDES = "#7f7f7f"
#: The orders the Random effects panel offers: value -> what its select shows.
ORDERS = {
    "first": "every panel by the first term (lme4's dotplot)",
    "each": "each panel by its own term",
}


def interval_table(modes: pd.Series, condsd: pd.Series, order: pd.Index | None = None) -> pd.DataFrame:
    """Per level: estimate, conditional SD, 95 % bounds, whether 0 is excluded; sorted by estimate, or in
    ``order`` (level labels) when given."""
    table = pd.DataFrame({"estimate": modes.astype(float), "sd": condsd.reindex(modes.index).astype(float)})
    table["lower"] = table["estimate"] - Z95 * table["sd"]
    table["upper"] = table["estimate"] + Z95 * table["sd"]
    table["excludes_zero"] = (table["lower"] > 0) | (table["upper"] < 0)
    table.index = table.index.astype(str)
    if order is not None:
        return table.loc[order]
    return table.sort_values("estimate", kind="stable")


def _trace(table: pd.DataFrame, ranks: np.ndarray, *, excludes: bool, term: str) -> dict:
    chosen = table["excludes_zero"].to_numpy() == excludes
    part = table[chosen]
    colour = _EXCLUDES if excludes else _INCLUDES
    return {
        "type": "scattergl" if len(table) > 500 else "scatter",
        "x": part["estimate"].to_numpy(),
        "y": ranks[chosen],
        "mode": "markers",
        "name": f"{plain(term)}: interval {'excludes' if excludes else 'includes'} 0",
        "marker": {"color": colour, "size": 7 if len(table) <= 200 else 4},
        "error_x": {
            "type": "data",
            "symmetric": True,
            "array": (Z95 * part["sd"]).to_numpy(),
            "color": colour,
            "thickness": 1.2,
            "width": 0,
        },
        # Labels in ``text``, numbers in ``customdata``: a 2-D array of mixed types would be serialised cell
        # by cell (Python objects), a numeric one is one typed array.
        "text": plain_all(part.index.tolist()),
        "customdata": part[["sd", "lower", "upper"]].to_numpy(),
        "hovertemplate": (
            "<b>%{text}</b><br>estimate %{x:.4g}<br>cond. SD %{customdata[0]:.4g}"
            "<br>95% interval [%{customdata[1]:.4g}, %{customdata[2]:.4g}]<extra>" + plain(term) + "</extra>"
        ),
        "legendgroup": "excludes" if excludes else "includes",
        "showlegend": False,
    }


def caterpillar(modes: pd.DataFrame, condsd: pd.DataFrame, group: str, order: str = "first") -> go.Figure:
    """One panel per term of ``group``: levels in the chosen order (:data:`ORDERS`), intervals, zero line.

    With ``order="first"`` the panels share the rows (one level per row, labelled on the first panel).
    """
    terms = list(modes.columns)
    nlevels = len(modes)
    ranks = np.arange(1, nlevels + 1)
    labelled = nlevels <= MAX_LABELLED_LEVELS
    shared = order == "first" and len(terms) > 1
    rows = interval_table(modes[terms[0]], condsd[terms[0]]).index if order == "first" else None
    sorted_by = f"rows sorted by {plain(terms[0])}" if order == "first" else "each panel sorted by its term"
    title = f"Random effects of {plain(group)}: red intervals exclude 0<br><sub>{sorted_by}</sub>"
    layout = grid_layout(
        plain_all(terms),
        max(1, len(terms)),
        gap=0.04 if shared else 0.12,
        title={"text": title},
        height=int(min(900, max(340, 110 + 18 * nlevels))),
        margin={"l": 90, "r": 20, "t": 80, "b": 50},
        shapes=[],
    )
    traces = []
    for k, term in enumerate(terms):
        table = interval_table(modes[term], condsd[term], rows)
        traces += [_trace(table, ranks, excludes=e, term=term) | axis_refs(k) for e in (False, True)]
        layout["shapes"].append(_zero_line(k))
        tick_labels = labelled and (k == 0 or not shared)
        layout["yaxis" if k == 0 else f"yaxis{k + 1}"].update(
            tickvals=ranks if tick_labels else None,
            ticktext=plain_all(table.index) if tick_labels else None,
            showticklabels=tick_labels,
            title={"text": None if labelled or k > 0 else f"{nlevels} levels, {sorted_by}"},
            range=[0.3, nlevels + 0.7],
            **({"matches": "y"} if shared and k > 0 else {}),
        )
        layout["xaxis" if k == 0 else f"xaxis{k + 1}"]["title"] = {"text": "conditional mode (95% interval)"}
    return unvalidated_figure(traces, layout)


def _zero_line(k: int) -> dict:
    refs = axis_refs(k)
    return {
        "type": "line",
        "xref": refs["xaxis"],
        "x0": 0,
        "x1": 0,
        "yref": f"{refs['yaxis']} domain",
        "y0": 0,
        "y1": 1,
        "line": {"color": "black", "width": 1, "dash": "dot"},
    }
