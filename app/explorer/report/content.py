"""What a report holds, gathered from the panels' own pure builders (the same tables and figures as the
app), for one fit and the results the session computed for it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ..reproduce import DataProvenance, ReproSpec, python_code, r_code
from .versions import package_versions


@dataclass(frozen=True)
class ReportRequest:
    """Everything a report is built from (picklable: it is built in a worker).

    ``intervals``: method -> ``confint`` frame of the intervals computed in the session (Wald is added);
    ``profile``: lmmcore's profile traces when the profile ran; ``shown``: (output id, figure JSON) of the
    plots the app showed for this fit (the other panels' results, as the user saw them).
    """

    result: Any
    frame: pd.DataFrame
    data_label: str
    provenance: DataProvenance
    spec: ReproSpec
    intervals: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    profile: Any = None
    shown: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Section:
    """A titled part of the report: preformatted text, tables (caption, frame), figures, notes."""

    title: str
    text: str = ""
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()
    figures: tuple[go.Figure, ...] = ()
    notes: tuple[str, ...] = ()
    figure_json: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportContent:
    title: str
    formula: str
    provenance: tuple[tuple[str, str], ...]
    versions: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]
    python: str
    r: str


def _attempt(title: str, build: Callable[[], Section]) -> Section:
    """A section, or one saying why it could not be built (the rest of the report still is)."""
    try:
        return build()
    except Exception as err:  # a builder's bug must not cost the whole report
        return Section(title, notes=(f"This part could not be built ({type(err).__name__}: {err}).",))


def summary_section(result) -> Section:
    from ..tables.inference_tables import summary_inference
    from ..tables.summary_tables import format_anova, format_fixed, format_numbers, model_info, random_effects

    inference = summary_inference(result)
    tables = [
        ("Model", model_info(result, result.reml)),
        ("Random effects", format_numbers(random_effects(result))),
        (
            "Fixed effects (lmerTest's Satterthwaite df and p, Wald 95 % interval)",
            format_fixed(inference.fixed),
        ),
    ]
    if inference.anova is not None:
        tables.append(("Type III ANOVA (Satterthwaite)", format_anova(inference.anova)))
    notes = (inference.error,) if inference.error else ()
    return Section("Summary", text=result.summary(), tables=tuple(tables), notes=notes)


def diagnostics_section(result, frame: pd.DataFrame) -> Section:
    from ..figures import diagnostics as fig
    from ..fit_data import fit_data

    d = fit_data(result, frame)
    figures = [
        fig.residuals_vs_fitted(d.fitted, d.pearson, d.point_labels),
        fig.qq_residuals(d.pearson),
        fig.observed_vs_fitted(d.observed, d.fitted, d.response_name, d.point_labels),
        fig.qq_random_effects(d.ranef),
    ]
    figures += [fig.residuals_by_group(d.pearson, d.groups[g], g, d.point_labels) for g in d.groups]
    return Section("Diagnostics", figures=tuple(figures))


def random_effects_section(result) -> Section:
    from ..downloads import variance_components_table
    from ..figures.caterpillar import caterpillar

    figures = tuple(
        caterpillar(modes, result.ranef_sd[group], group) for group, modes in result.ranef.items()
    )
    return Section(
        "Random effects",
        tables=(("Variance components", variance_components_table(result)),),
        figures=figures,
    )


def intervals_section(result, intervals: Mapping[str, pd.DataFrame], level: float, profile) -> Section:
    from ..figures.intervals import intervals_figure
    from ..figures.profile_zeta import zeta_figure
    from ..tables.intervals import IntervalSet, interval_table, parameter_estimates

    given = {"wald": result.confint("wald", level=level), **intervals}
    interval_set = IntervalSet(parameter_estimates(result), given, tuple(result.fixef.index), level)
    figures = [intervals_figure(interval_set)]
    if profile is not None:
        figures.append(zeta_figure(profile, given.get("profile"), level))
    table = interval_table(interval_set).reset_index()
    computed = ", ".join(sorted(given))
    return Section(
        f"Confidence intervals ({level:g})",
        tables=((f"Intervals by method ({computed}); lme4's confint(oldNames = FALSE) names", table),),
        figures=tuple(figures),
    )


# Panels whose plots the report builds itself; the others' come as the app showed them, under their tab.
BUILT_HERE = ("diag", "ranef", "intervals")
PANEL_TITLES = {
    "predictions": "Predictions",
    "pooling": "Pooling",
    "recovery": "Recovery",
    "check": "Model check",
    "compare": "Compare models",
}


def shown_sections(shown: tuple[tuple[str, str], ...]) -> list[Section]:
    """One section per other panel with the plots it showed, in the tabs' order."""
    by_panel: dict[str, list[str]] = {}
    for output_id, figure in shown:
        panel = output_id.split("-", 1)[0]
        if panel not in BUILT_HERE:
            by_panel.setdefault(panel, []).append(figure)
    order = [p for p in PANEL_TITLES if p in by_panel] + sorted(p for p in by_panel if p not in PANEL_TITLES)
    return [
        Section(f"{PANEL_TITLES.get(p, p)} (as shown in the app)", figure_json=tuple(by_panel[p]))
        for p in order
    ]


def report_content(request: ReportRequest) -> ReportContent:
    """The report of one fit: summary, diagnostics, random effects, intervals, other panels' results,
    provenance, versions and the code that reproduces it."""
    result, spec = request.result, request.spec
    sections = [
        _attempt("Summary", lambda: summary_section(result)),
        _attempt("Diagnostics", lambda: diagnostics_section(result, request.frame)),
        _attempt("Random effects", lambda: random_effects_section(result)),
        _attempt(
            "Confidence intervals",
            lambda: intervals_section(result, request.intervals, spec.level, request.profile),
        ),
        *shown_sections(request.shown),
    ]
    method = "REML" if spec.reml else "ML"
    return ReportContent(
        title=f"{spec.formula} by {method}",
        formula=spec.formula,
        provenance=(("Data", request.data_label), *request.provenance.describe()),
        versions=tuple(package_versions()),
        sections=tuple(sections),
        python=python_code(spec),
        r=r_code(spec),
    )
