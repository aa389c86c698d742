"""The look shared by every figure: plotly_white's colours written out as plain layout properties, and a
whole single-panel layout built as one dict.

Setting ``template="plotly_white"`` costs 30-60 ms per figure (the template is copied and validated each
time), and each ``update_layout`` / ``add_hline`` / ``make_subplots`` call is validated again; one layout
dict passed to ``go.Figure`` costs a few milliseconds and keeps a refit-to-redraw fast.
"""

from __future__ import annotations

GRID = {"gridcolor": "#ebebeb", "zerolinecolor": "#ebebeb", "linecolor": "#ebebeb"}

STYLE = {
    "plot_bgcolor": "white",
    "paper_bgcolor": "white",
    "font": {"family": "system-ui, sans-serif", "size": 12, "color": "#2a3f5f"},
}
MARGIN = {"l": 60, "r": 20, "t": 50, "b": 50}
# Titles left-aligned at 14 px: a half-width panel at 1024 px (about 280 px wide) still shows them whole.
TITLE_FONT = {"size": 14}
TITLE = {"font": TITLE_FONT, "x": 0.01, "xanchor": "left", "xref": "container"}
ZERO_LINE = {
    "type": "line",
    "xref": "paper",
    "x0": 0,
    "x1": 1,
    "yref": "y",
    "y0": 0,
    "y1": 0,
    "line": {"color": "black", "dash": "dash", "width": 1},
}


def panel_layout(title: str, xaxis: dict, yaxis: dict, *, zero_line: bool = False, **extra) -> dict:
    """Layout of a one-panel figure: style, gridded axes, optional dashed line at y = 0."""
    return {
        **STYLE,
        "title": {**TITLE, "text": title},
        "xaxis": {**GRID, **xaxis},
        "yaxis": {**GRID, **yaxis},
        "shapes": [ZERO_LINE] if zero_line else [],
        "margin": MARGIN,
        "height": 380,
        **extra,
    }


def _axis_name(kind: str, k: int) -> str:
    return kind if k == 0 else f"{kind}{k + 1}"


def grid_layout(titles: list[str], cols: int, *, gap: float = 0.08, **extra) -> dict:
    """Layout of a grid of panels (row-major, one per title) without ``make_subplots``' cost: axis domains,
    anchors and panel titles as annotations. Panel k's traces use ``xaxis=f"x{k+1}"``, ``yaxis=f"y{k+1}"``
    (plotly's ``x``/``y`` for k = 0)."""
    rows = max(1, -(-len(titles) // cols))
    width, height = (1 - gap * (cols - 1)) / cols, (1 - gap * (rows - 1)) / rows
    layout = {**STYLE, "annotations": [], "margin": {"l": 60, "r": 20, "t": 70, "b": 40}, **extra}
    if "title" in extra:
        layout["title"] = {**TITLE, **extra["title"]}
    for k, title in enumerate(titles):
        row, col = divmod(k, cols)
        x0, top = col * (width + gap), 1 - row * (height + gap)
        xname, yname = _axis_name("xaxis", k), _axis_name("yaxis", k)
        layout[xname] = {**GRID, "domain": _domain(x0, x0 + width), "anchor": _axis_name("y", k)}
        layout[yname] = {**GRID, "domain": _domain(top - height, top), "anchor": _axis_name("x", k)}
        layout["annotations"].append(
            {
                "text": title,
                "x": x0 + width / 2,
                "y": top,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 13},
            }
        )
    return layout


def _domain(start: float, end: float) -> list[float]:
    """An axis domain inside [0, 1]: the sums above leave the last row at values like -5.5e-17, which
    plotly refuses; rounding to 12 places removes that error, clipping keeps it in range and adding 0.0
    turns the -0.0 that rounding leaves into 0.0."""
    return [min(max(round(v, 12), 0.0), 1.0) + 0.0 for v in (start, end)]


def axis_refs(k: int) -> dict:
    """Trace properties putting a trace on panel k of :func:`grid_layout`."""
    return {"xaxis": _axis_name("x", k), "yaxis": _axis_name("y", k)}
