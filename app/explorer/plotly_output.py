"""Plain plotly output: the server sends a figure as JSON, a small output binding draws it with
``Plotly.react`` (plotly.js served from the installed plotly package, so no CDN is needed).

Chosen over shinywidgets' FigureWidget because it has no widget-manager round trips and updates in place,
which keeps a refit-to-redraw under a few hundred milliseconds.
"""

from __future__ import annotations

import html
import re
import weakref
from pathlib import Path

import plotly
import plotly.graph_objects as go
from htmltools import HTMLDependency, Tag, tags
from shiny.render.renderer import Jsonifiable, Renderer

_WWW = Path(__file__).parent / "www"


PLOTLY_DEPENDENCY = "plotly.js"
# No data leaves the server: no cloud "Share chart" / "Edit in Chart Studio", no link to a plotly host;
# download, zoom and pan stay. www/plotly-binding.js sets the same in the app.
NO_CLOUD_CONFIG = {
    "displaylogo": False,
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "plotlyServerURL": "",
    "modeBarButtonsToRemove": ["sendChartToCloud", "sendDataToCloud", "editInChartStudio"],
}
_UNSAFE = re.compile(r"[^A-Za-z0-9~+()._,=^-]+")


def figure_title(figure: go.Figure) -> str:
    """The title's first line as text (subtitle, markup and escapes removed)."""
    text = figure.layout.title.text or "plot"
    first = re.split(r"<br\s*/?>", text, flags=re.IGNORECASE)[0]
    return html.unescape(re.sub(r"<[^>]*>", "", first)).strip() or "plot"


def image_filename(title: str, formula: str) -> str:
    """A plot image's file name: what it shows and the model, filename-safe, as the app's binding names
    it (``residuals-vs-fitted_Biomass~Temp+N+(1+Temp_Site)``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "plot"
    name = slug + ("_" + re.sub(r"\s+", "", formula) if formula else "")
    return re.sub(r"_+", "_", _UNSAFE.sub("_", name)).strip("_")[:150] or "plot"


def plot_config(figure: go.Figure, formula: str) -> dict:
    """plotly.js config of a figure outside the app (the report): no cloud, a named image download."""
    filename = image_filename(figure_title(figure), formula)
    return {
        **NO_CLOUD_CONFIG,
        "responsive": True,
        "toImageButtonOptions": {"format": "png", "filename": filename},
    }


def plotly_src() -> str:
    """Where the page fetches plotly.js: the folder Shiny serves for the dependency below."""
    return f"lib/{PLOTLY_DEPENDENCY}-{plotly.__version__}/plotly.min.js"


def plotly_dependencies() -> list[HTMLDependency]:
    """plotly.js (served from the plotly package, loaded by the binding after the first outputs arrive:
    its 4.8 MB would otherwise hold the first page for a second or two) and the output binding."""
    return [
        HTMLDependency(
            PLOTLY_DEPENDENCY,
            plotly.__version__,
            source={"subdir": str(Path(plotly.__file__).parent / "package_data")},
            all_files=False,
        ),
        HTMLDependency(
            "lmm-plotly-binding",
            "1.0",
            source={"subdir": str(_WWW)},
            script={"src": "plotly-binding.js"},
            all_files=False,
        ),
    ]


def output_plotly(id: str, height: str = "380px") -> Tag:
    """Placeholder of a plotly output; the figure is drawn into its inner ``div``."""
    from shiny.module import resolve_id

    return tags.div(
        tags.div(class_="lmm-plotly-canvas", style=f"min-height: {height};"),
        *plotly_dependencies(),
        id=resolve_id(id),
        class_="lmm-plotly shiny-report-size",
        data_plotly_src=plotly_src(),
    )


# The figures each session was last sent, per output: the report takes the other panels' plots of the fit
# on screen from here (exactly what the user saw), without rebuilding them. Gone with the session.
_shown: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def shown_figures(session, fit_tag: str) -> dict[str, str]:
    """Output id -> figure JSON of the plots last sent to ``session`` that show the fit ``fit_tag``."""
    sent = _shown.get(session.root_scope(), {})
    return {output: figure for output, (tag, figure) in sent.items() if tag == fit_tag}


class render_plotly(Renderer[tuple[go.Figure, str]]):
    """Render ``(figure, tag)``; ``tag`` names the fit the figure shows (kept as ``data-fit`` for tests)."""

    def auto_output_ui(self) -> Tag:
        return output_plotly(self.output_id)

    async def transform(self, value: tuple[go.Figure, str]) -> Jsonifiable:
        from shiny.session import get_current_session

        figure, fit_tag = value
        text = figure.to_json()
        session = get_current_session()
        if session is not None:
            output = str(session.ns(self.output_id))  # "check-ppc": the panel's module names its plots
            _shown.setdefault(session.root_scope(), {})[output] = (fit_tag, text)
        return {"figure": text, "fit": fit_tag}
