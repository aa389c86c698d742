"""The Model check figures (performance's ``check_model`` in spirit): each titled with what a good model
shows, drawn from the numbers of :mod:`.check_data` and an ``lmmcore.Influence``.

Names from data (response, grouping factor, levels, terms) go through :func:`plain`.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .check_data import CheckData, QQPanel
from .large_data import points_or_density, scatter_trace
from .style import MARGIN, axis_refs, grid_layout, panel_layout
from .text import plain, plain_all

HEIGHT = 340
# Room under the two-line title: the top tick label otherwise meets the subtitle.
CHECK_MARGIN = {**MARGIN, "t": 66}
POINTS = "#2c6fbb"
SMOOTH = "#2ca02c"
REFERENCE = "#d62728"
SIMULATED = "rgba(44, 111, 187, 0.18)"
#: Above this many groups the influence plot ranks them instead of naming each on the axis.
MAX_NAMED_GROUPS = 40
#: performance's collinearity bands: low below 5, moderate 5 to 10, high above 10.
VIF_BANDS = ((1.0, 5.0, "rgba(44, 160, 44, 0.12)"), (5.0, 10.0, "rgba(255, 165, 0, 0.15)"))
VIF_HIGH = "rgba(214, 39, 40, 0.12)"
NO_COLLINEARITY = "Fewer than two fixed-effect terms:<br>no collinearity to check."


def _title(what: str, good: str) -> str:
    return f"{what}<br><sub>{good}</sub>"


def _layout(title: str, xtitle: str, ytitle: str, **extra) -> dict:
    return panel_layout(
        title,
        {"title": {"text": xtitle}},
        {"title": {"text": ytitle}},
        showlegend=False,
        height=HEIGHT,
        margin=CHECK_MARGIN,
        **extra,
    )


def _gapped(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Many curves on one grid as one trace: rows joined with NaN breaks (one trace draws faster than 50)."""
    rows = len(ys)
    x = np.concatenate([np.append(xs, np.nan)] * rows)
    y = np.concatenate([np.append(row, np.nan) for row in ys])
    return x, y


def ppc_figure(data: CheckData) -> go.Figure:
    """Density of the observed response (dark) over the densities of 50 responses simulated from the model."""
    grid = data.observed_density.x
    sim_x, sim_y = _gapped(grid, data.simulated_densities)
    simulated = go.Scatter(
        x=sim_x,
        y=sim_y,
        mode="lines",
        name=f"simulated ({len(data.simulated_densities)})",
        line={"color": SIMULATED, "width": 1},
        hoverinfo="skip",
    )
    observed = go.Scatter(
        x=grid,
        y=data.observed_density.y,
        mode="lines",
        name="observed",
        line={"color": "#1f1f1f", "width": 2.5},
        hovertemplate="%{x:.4g}: density %{y:.3g}<extra>observed</extra>",
    )
    title = _title("Posterior predictive check", "simulated lines (blue) should resemble the data (black)")
    return go.Figure([simulated, observed], _layout(title, plain(data.response_name), "density"))


def _points_with_smoother(x, y, curve, hover: str) -> list:
    traces = [points_or_density(x, y, name="observations", hovertemplate=hover, color=POINTS)]
    if len(curve.x):
        traces.append(
            go.Scatter(
                x=curve.x, y=curve.y, mode="lines", name="lowess", line={"color": SMOOTH, "width": 2.5}
            )
        )
    return traces


def linearity_figure(data: CheckData) -> go.Figure:
    """Pearson residuals against fitted values with a lowess smoother and the zero line."""
    hover = "fitted %{x:.4g}<br>residual %{y:.3f}<extra></extra>"
    title = _title("Linearity", "green line should be flat and horizontal")
    layout = _layout(title, "fitted", "Pearson residual", zero_line=True)
    return go.Figure(_points_with_smoother(data.fitted, data.residuals, data.linearity, hover), layout)


def homogeneity_figure(data: CheckData) -> go.Figure:
    """``sqrt(|standardized residual|)`` against fitted values with a lowess smoother (scale-location)."""
    hover = "fitted %{x:.4g}<br>√|residual| %{y:.3f}<extra></extra>"
    title = _title("Homogeneity of variance", "green line should be flat and horizontal")
    layout = _layout(title, "fitted", "√|standardized residual|")
    return go.Figure(_points_with_smoother(data.fitted, data.scale_location, data.homogeneity, hover), layout)


def influence_threshold(ngroups: int) -> float:
    """The usual cut-off for Cook's distance of deleting one of ``ngroups`` groups: ``4 / ngroups``."""
    return 4.0 / max(ngroups, 1)


def influence_figure(cooks: pd.Series, group: str) -> go.Figure:
    """Cook's distance of deleting each level of ``group``, the ``4 / levels`` line, offenders in red."""
    values = cooks.dropna()
    threshold = influence_threshold(len(cooks))
    names = np.asarray(plain_all(values.index), dtype=object)
    above = values.to_numpy() > threshold
    if len(values) <= MAX_NAMED_GROUPS:
        x, xaxis = names, {"title": {"text": plain(group)}, "type": "category", "automargin": True}
    else:
        order = np.argsort(-values.to_numpy(), kind="stable")
        values, names, above = values.iloc[order], names[order], above[order]
        x = np.arange(1, len(values) + 1)
        xaxis = {"title": {"text": f"{plain(group)} levels ranked by Cook's distance ({len(values)})"}}
    points = scatter_trace(
        x,
        values.to_numpy(),
        name="Cook's distance",
        hovertemplate="%{customdata}<br>Cook's distance %{y:.3g}<extra></extra>",
        customdata=names,
    )
    points.marker.color = np.where(above, REFERENCE, POINTS).tolist()
    line = {**_hline(threshold), "line": {"color": REFERENCE, "dash": "dash", "width": 1.5}}
    good = f"points should be below the line (4 / {len(cooks)} groups)"
    title = _title(f"Influential groups ({plain(group)})", good)
    layout = panel_layout(
        title,
        xaxis,
        # headroom above the line: the top tick would meet the subtitle
        {"title": {"text": "Cook's distance"}, "range": [0, 1.2 * max(threshold, _max(values))]},
        showlegend=False,
        height=HEIGHT,
        margin=CHECK_MARGIN,
    )
    layout["shapes"] = [line]
    return go.Figure([points], layout)


def _max(values: pd.Series) -> float:
    return float(values.max()) if len(values) else 0.0


def _hline(y: float) -> dict:
    return {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y}


def message_figure(title: str, text: str) -> go.Figure:
    """A check that has nothing to draw: its title and, in the middle, why (``text`` is shown as given:
    escape names from data with :func:`plain` first)."""
    layout = _layout(title, "", "")
    layout["xaxis"].update(visible=False)
    layout["yaxis"].update(visible=False)
    layout["annotations"] = [
        {
            "text": text,
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.5,
            "showarrow": False,
            "font": {"size": 13},
        }
    ]
    return go.Figure([], layout)


def influence_message(group: str, reason: str) -> go.Figure:
    """The influence plot when its refits could not be made: the reason, wrapped to the plot's width."""
    lines = textwrap.wrap(reason, 48)
    title = _title(f"Influential groups ({plain(group)})", "not computed")
    return message_figure(title, "<br>".join(plain_all(lines)))


def collinearity_figure(vif: pd.DataFrame) -> go.Figure:
    """VIF bars over performance's bands (low < 5 <= moderate < 10 <= high), log scale."""
    title = _title("Collinearity", "high VIF (above 5 or 10) inflates the fixed effects' uncertainty")
    if vif.empty:
        return message_figure(title, NO_COLLINEARITY)
    values = vif["VIF"].to_numpy(float)
    top = max(20.0, float(np.nanmax(values)) * 1.5)
    bands = [(low, high, colour) for low, high, colour in VIF_BANDS] + [(10.0, top, VIF_HIGH)]
    shapes = [
        {
            "type": "rect",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": low,
            "y1": high,
            "fillcolor": colour,
            "line": {"width": 0},
            "layer": "below",
        }
        for low, high, colour in bands
    ]
    colours = np.where(values >= 10, REFERENCE, np.where(values >= 5, "#ff9f1c", "#2ca02c")).tolist()
    bars = go.Bar(  # on the log axis a bar rises from its bottom, 1 (no inflation)
        x=plain_all(vif.index),
        y=values,
        text=[f"{v:.2f}" for v in values],
        textposition="outside",
        cliponaxis=False,
        marker={"color": colours},
        customdata=vif["SE_factor"].to_numpy(float),
        hovertemplate="%{x}<br>VIF %{y:.3g}<br>standard errors ×%{customdata:.3g}<extra></extra>",
    )
    layout = _layout(title, "fixed-effect term", "variance inflation factor")
    layout["xaxis"].update(type="category", automargin=True)
    ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 1000, 10_000) if t <= top]
    layout["yaxis"].update(type="log", range=[0, float(np.log10(top))], tickvals=ticks, ticktext=ticks)
    layout["shapes"] = shapes
    return go.Figure([bars], layout)


def _qq_traces(panel: QQPanel, name: str) -> list[go.Scatter]:
    band = [
        go.Scatter(x=panel.theory, y=panel.band_low, mode="lines", line={"width": 0}, hoverinfo="skip"),
        go.Scatter(
            x=panel.theory,
            y=panel.band_high,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(44, 160, 44, 0.18)",
            hoverinfo="skip",
        ),
    ]
    ends = np.array([panel.theory.min(), panel.theory.max()]) if len(panel.theory) else np.array([-2.0, 2.0])
    line = go.Scatter(
        x=ends,
        y=panel.intercept + panel.slope * ends,
        mode="lines",
        line={"color": SMOOTH, "width": 2},
        hoverinfo="skip",
    )
    hover = "normal %{x:.2f}<br>value %{y:.4g}<extra></extra>"
    return [*band, line, scatter_trace(panel.theory, panel.sample, name=name, hovertemplate=hover)]


def qq_residuals_figure(panel: QQPanel) -> go.Figure:
    """Normal QQ plot of the Pearson residuals with the quartile line and its 95 % pointwise band."""
    title = _title("Normality of residuals", "dots should fall along the line, inside the band")
    layout = _layout(title, "normal quantile", "Pearson residual")
    return go.Figure(_qq_traces(panel, "residuals"), layout)


def qq_ranef_figure(panels: tuple[QQPanel, ...]) -> go.Figure:
    """One normal QQ panel (with band) per random-effect term of each grouping factor."""
    names = plain_all(panel.name for panel in panels)
    cols = min(3, max(1, len(panels)))
    rows = -(-len(panels) // cols) if panels else 1
    traces = []
    for k, (panel, name) in enumerate(zip(panels, names)):
        traces.extend(trace.update(**axis_refs(k)) for trace in _qq_traces(panel, name))
    layout = grid_layout(
        names,
        cols,
        title={"text": _title("Normality of random effects", "dots should fall along the line")},
        showlegend=False,
        height=max(HEIGHT, 290 * rows + 60),
    )
    layout["margin"] = {"l": 60, "r": 20, "t": 90, "b": 40}
    return go.Figure(traces, layout)


def warm_up() -> None:
    """Build every figure once on a few points: plotly builds its validators on first use (the first
    posterior predictive check cost 0.2 s), which the app pays at start rather than the first visitor."""
    from .check_data import Curve, qq_panel

    x = np.linspace(0.0, 1.0, 8)
    panel = qq_panel(x, "x")
    data = CheckData(
        response_name="y",
        observed_density=Curve(x, x),
        simulated_densities=np.vstack([x, x]),
        fitted=x,
        residuals=x,
        linearity=Curve(x, x),
        homogeneity=Curve(x, x),
        residual_qq=panel,
        ranef_qq=(panel,),
        vif=pd.DataFrame({"VIF": [1.5, 1.5], "SE_factor": [1.2, 1.2]}, index=["a", "b"]),
        r2=pd.Series([0.5, 0.5], index=["marginal", "conditional"]),
        icc=pd.Series([0.5, 0.5], index=["adjusted", "unadjusted"]),
        seed=1,
    )
    figures = [
        ppc_figure(data),
        linearity_figure(data),
        homogeneity_figure(data),
        influence_figure(pd.Series([0.1, 0.2], index=["a", "b"]), "g"),
        collinearity_figure(data.vif),
        collinearity_figure(data.vif.iloc[:0]),
        qq_residuals_figure(panel),
        qq_ranef_figure((panel,)),
    ]
    for figure in figures:
        figure.to_json()
