"""A report's content as one self-contained HTML file: plotly.js inlined, every figure interactive, no
request to any host (no CDN, no fonts, no cloud buttons).

Every text from the data or the user (names, formula, file name) is HTML-escaped; figure JSON sits in
``<script type="application/json">`` with ``<``, ``>`` and ``&`` written as JSON escapes, so no string can
close the element.
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from pathlib import Path

import pandas as pd
import plotly
import plotly.graph_objects as go

from ..plotly_output import plot_config
from .content import ReportContent, Section

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem auto;max-width:1100px;
color:#222;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.15rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:.95rem;margin:1rem 0 .3rem}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;font-size:.8rem}
table{border-collapse:collapse;font-size:.85rem;margin:.3rem 0 .8rem}
th,td{border:1px solid #ddd;padding:.2rem .5rem;text-align:right;white-space:nowrap}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.table-wrap{overflow-x:auto;max-width:100%}
.plot{width:100%;min-height:380px;margin:.5rem 0}.note{color:#8a6d3b;font-size:.85rem}
dl{display:grid;grid-template-columns:max-content auto;gap:.1rem 1rem;font-size:.9rem}dt{font-weight:600}
"""

_DRAW = """
document.querySelectorAll("script.lmm-figure").forEach(function (holder) {
  var spec = JSON.parse(holder.textContent);
  var target = document.getElementById(holder.dataset.target);
  Plotly.newPlot(target, spec.figure.data, spec.figure.layout, spec.config).then(function () {
    document.body.dataset.plotsDrawn = String(Number(document.body.dataset.plotsDrawn || 0) + 1);
  });
});
"""


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundled with the installed plotly package (read once per process)."""
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return path.read_text(encoding="utf-8")


def _json_for_script(text: str) -> str:
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _table(caption: str, frame: pd.DataFrame) -> str:
    body = frame.to_html(index=False, escape=True, na_rep="NA", border=0)
    return f'<h3>{html.escape(caption)}</h3>\n<div class="table-wrap">{body}</div>'


def _figure(figure, formula: str, number: int) -> str:
    # The figure is already validated: its own to_json, not plotly.io's (which rebuilds and revalidates it).
    return _figure_html(figure.to_json(), plot_config(figure, formula), figure.layout.height, number)


def _shown_figure(text: str, formula: str, number: int) -> str:
    """A figure the app showed, from the JSON it was sent as."""
    layout = json.loads(text).get("layout", {})
    title = go.Figure(layout={"title": layout.get("title", {})})
    return _figure_html(text, plot_config(title, formula), layout.get("height"), number)


def _figure_html(text: str, config: dict, height, number: int) -> str:
    target = f"plot-{number}"
    spec = '{"figure":' + text + ',"config":' + json.dumps(config) + "}"
    height = height or 420
    return (
        f'<div class="plot" id="{target}" style="min-height:{int(height)}px"></div>\n'
        f'<script type="application/json" class="lmm-figure" data-target="{target}">'
        f"{_json_for_script(spec)}</script>"
    )


def _section(section: Section, formula: str, first_figure: int) -> tuple[str, int]:
    parts = [f"<h2>{html.escape(section.title)}</h2>"]
    parts += [f'<p class="note">{html.escape(note)}</p>' for note in section.notes]
    if section.text:
        parts.append(f"<pre>{html.escape(section.text)}</pre>")
    parts += [_table(caption, frame) for caption, frame in section.tables]
    number = first_figure
    for figure in section.figures:
        parts.append(_figure(figure, formula, number))
        number += 1
    for text in section.figure_json:
        parts.append(_shown_figure(text, formula, number))
        number += 1
    return "\n".join(parts), number


def _pairs(rows) -> str:
    items = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>" for k, v in rows)
    return f"<dl>{items}</dl>"


def render_html(content: ReportContent) -> str:
    """The report as a complete HTML document."""
    body, number = [], 0
    for section in content.sections:
        text, number = _section(section, content.formula, number)
        body.append(text)
    code = (
        "<h2>Reproduce</h2>"
        "<h3>Python (lmmcore)</h3>"
        f"<pre>{html.escape(content.python)}</pre>"
        "<h3>R (lme4 + lmerTest)</h3>"
        f"<pre>{html.escape(content.r)}</pre>"
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>LMM Explorer report: {html.escape(content.title)}</title>",
            f"<style>{_STYLE}</style>",
            f"<script>{plotly_js()}</script>",
            "</head><body>",
            f"<h1>LMM Explorer report: {html.escape(content.title)}</h1>",
            "<h2>Data</h2>",
            _pairs(content.provenance),
            *body,
            code,
            "<h2>Versions</h2>",
            _pairs(content.versions),
            f"<script>{_DRAW}</script>",
            "</body></html>",
        ]
    )
