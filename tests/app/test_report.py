"""The HTML report as a plain function: content, self-containment, escaping, failures that say why."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import plotly.graph_objects as go
import pytest
from explorer import engine
from explorer.plotly_output import image_filename
from explorer.report.content import ReportRequest, report_content
from explorer.report.html import plotly_js, render_html
from explorer.report.job import build_report
from explorer.reproduce import ReproSpec, provenance_of

import lmmcore


class _Scan(HTMLParser):
    """Every URL-bearing attribute, every figure's JSON and the visible text of a document."""

    def __init__(self):
        super().__init__()
        self.urls, self.figures, self.text, self._figure = [], [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [attrs[a] for a in ("src", "href", "action") if attrs.get(a)]
        self._figure = tag == "script" and "lmm-figure" in (attrs.get("class") or "")

    def handle_data(self, data):
        if self._figure:
            self.figures.append(json.loads(data))
        else:
            self.text.append(data)

    def handle_endtag(self, tag):
        self._figure = False


@pytest.fixture(scope="module")
def default_view():
    frame = engine.load_example("biomass")
    m = lmmcore.fit(engine.DEFAULT_FORMULA, frame)
    provenance = provenance_of(("example", "biomass"), frame)
    return m, frame, provenance


def _scan(document: str) -> _Scan:
    scan = _Scan()
    scan.feed(document)
    return scan


def test_default_view_report_holds_summary_inference_figures_provenance_and_versions(default_view, reference):
    m, frame, provenance = default_view
    profile = m.confint("profile")
    request = ReportRequest(
        m,
        frame,
        "biomass (seed tutorial)",
        provenance,
        ReproSpec(provenance, engine.DEFAULT_FORMULA, True),
        intervals={"profile": profile},
        profile=m.profile(),
    )
    outcome = build_report(request)
    assert outcome.error is None
    scan = _scan(outcome.html)
    text = " ".join(scan.text)
    lme4 = reference("biomass_seed")
    assert f"REML criterion at convergence: {lme4['criterion']:.1f}" in text  # lme4's summary text
    assert f"{lme4['criterion']:.4f}" in text  # the model table
    assert "13.82" in text and "0.0787" in text  # lmerTest's df and p of Temp (issue 7)
    for heading in ("Summary", "Diagnostics", "Random effects", "Confidence intervals (0.95)", "Reproduce"):
        assert heading in text
    assert "bundled example data set biomass" in text
    assert "numpy" in text and "plotly" in text and "lmmcore" in text
    # Five diagnostics (one by-group plot per grouping factor), one caterpillar, intervals, zeta.
    assert len(scan.figures) == 8
    assert all(figure["figure"]["data"] for figure in scan.figures)
    # The profile interval of Temp in the table is confint's, to the 6 digits shown.
    lower = profile.loc["Temp"].iloc[0]
    assert f"{lower:.6f}"[:7] in text
    # No URL anywhere: plotly.js is inlined, no stylesheet, font or image is fetched.
    assert scan.urls == []
    # Nor in the figures and text: the only addresses are plotly.js's own defaults (map tiles, topojson)
    # for trace types the report never draws.
    assert "http" not in outcome.html.replace(plotly_js(), "")
    for figure in scan.figures:
        config = figure["config"]
        assert config["showSendToCloud"] is False and config["showLink"] is False
        assert "sendChartToCloud" in config["modeBarButtonsToRemove"]
    names = [figure["config"]["toImageButtonOptions"]["filename"] for figure in scan.figures]
    assert "pearson-residuals-vs-fitted_Biomass~Temp+N+(1+Temp_Site)" in names
    assert "random-effects-of-site-red-intervals-exclude-0_Biomass~Temp+N+(1+Temp_Site)" in names
    assert len(set(names)) == len(names)


def test_names_from_data_are_text_in_tables_and_cannot_close_the_figure_script():
    frame = lmmcore.datasets.load("sleepstudy").rename(columns={"Subject": "<script>alert(1)</script>"})
    formula = "Reaction ~ Days + (1 | `<script>alert(1)</script>`)"
    try:
        m = lmmcore.fit(formula, frame)
    except lmmcore.LmmError:
        frame = frame.rename(columns={"<script>alert(1)</script>": "S"})
        frame["S"] = "</script><b>x</b>" + frame["S"].astype(str)
        formula = "Reaction ~ Days + (1 | S)"
        m = lmmcore.fit(formula, frame)
    provenance = provenance_of(("upload", "<img src=x>.csv", "0" * 16), frame, "f" * 64)
    document = render_html(
        report_content(
            ReportRequest(
                m, frame, "Uploaded <img src=x>.csv", provenance, ReproSpec(provenance, formula, True)
            )
        )
    )
    scan = _scan(document)
    assert scan.urls == []  # no <img src=x> became an element
    assert "&lt;img src=x&gt;.csv" in document
    assert len(scan.figures) >= 5  # every figure script parsed back as JSON: none was closed early
    body_without_plotly = re.sub(r"<script>.*?</script>", "", document, flags=re.S)
    assert "<b>x</b>" not in body_without_plotly


def test_a_section_that_fails_says_why_and_the_rest_is_built(default_view):
    m, frame, provenance = default_view
    broken = ReportRequest(
        m,
        frame,
        "biomass",
        provenance,
        ReproSpec(provenance, engine.DEFAULT_FORMULA, True),
        intervals={"profile": pd.DataFrame({"a": [1.0]})},  # not confint's frame
        profile="not a profile",
    )
    content = report_content(broken)
    titles = [section.title for section in content.sections]
    assert titles[:3] == ["Summary", "Diagnostics", "Random effects"]
    failed = content.sections[3]
    assert failed.notes and failed.notes[0].startswith("This part could not be built")


def test_a_failed_build_returns_the_reason():
    outcome = build_report("not a request")
    assert outcome.html is None
    assert outcome.error.startswith("The report could not be built: AttributeError")


def test_image_names_say_what_the_plot_shows_and_the_model():
    assert image_filename("Residuals vs fitted", "Biomass ~ Temp + N + (1 + Temp | Site)") == (
        "residuals-vs-fitted_Biomass~Temp+N+(1+Temp_Site)"
    )
    assert (
        image_filename("Normal QQ plot: a/b", "log(y) ~ x + (1 | g)") == "normal-qq-plot-a-b_log(y)~x+(1_g)"
    )


def test_other_panels_plots_join_the_report_as_the_app_showed_them(default_view):
    m, frame, provenance = default_view
    shown = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]), layout={"title": {"text": "Shrinkage of Site"}})
    request = ReportRequest(
        m,
        frame,
        "biomass",
        provenance,
        ReproSpec(provenance, engine.DEFAULT_FORMULA, True),
        shown=(("pooling-shrinkage", shown.to_json()), ("diag-resid", shown.to_json()), ("zz-new", "{}")),
    )
    content = report_content(request)
    titles = [section.title for section in content.sections]
    assert titles[4:] == ["Pooling (as shown in the app)", "zz (as shown in the app)"]  # diag is built here
    scan = _scan(render_html(content))
    pooled = [
        f for f in scan.figures if f["config"]["toImageButtonOptions"]["filename"].startswith("shrinkage")
    ]
    assert len(pooled) == 1 and pooled[0]["figure"]["data"][0]["y"] == [3, 4]
    assert pooled[0]["config"]["toImageButtonOptions"]["filename"] == (
        "shrinkage-of-site_Biomass~Temp+N+(1+Temp_Site)"
    )
