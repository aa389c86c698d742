"""The Summary and Random effects panel modules in shiny's in-memory test server, over a fixed fit: what
they render, and forged input values refused with a message naming the input."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from explorer import engine
from explorer.fitting import FitOutcome, FitRequest
from explorer.panels.ranef_panel import ranef_server, ranef_ui
from explorer.panels.summary_panel import _styled, summary_server, summary_ui
from explorer.tables.inference_tables import summary_inference
from shiny import App, reactive, ui
from shiny.testserver import test_server

from tests.app.shiny_sessions import fresh_reactive_lock, in_own_thread, settled  # noqa: F401 (a fixture)


class _OffTheLoop:
    """A fit whose R² and ICC may not be recomputed: the panels read them from the worker's inference (a pass
    over every row, too slow for the event loop at a million rows)."""

    def __init__(self, result):
        self._result = result

    def __getattr__(self, name):
        if name in ("r2", "icc"):
            raise AssertionError(f"{name}() computed on the event loop")
        return getattr(self._result, name)


@pytest.fixture(scope="module")
def outcome() -> FitOutcome:
    data = engine.load_example("biomass")
    result = engine.fit(engine.DEFAULT_FORMULA, data, reml=True)
    request = FitRequest(engine.DEFAULT_FORMULA, True, ("example", "biomass"))
    return FitOutcome(request, result=_OffTheLoop(result), inference=summary_inference(result))


def _app(outcome: FitOutcome) -> App:
    def server(input, output, session):
        current = reactive.calc(lambda: outcome)
        summary_server("summary", outcome=current)
        ranef_server("ranef", outcome=current)

    return App(ui.page_fluid(summary_ui("summary"), ranef_ui("ranef")), server)


def test_summary_renders_lmertests_columns_quality_and_no_anova(outcome, fresh_reactive_lock):  # noqa: F811
    in_own_thread(_summary_scenario, _app(outcome))


def _summary_scenario(app):
    with test_server(app, timeout_secs=60) as ts:
        ts.set_inputs(**{"ranef-group": "Site", "ranef-order": "first"})
        fixed = str(settled(ts, "summary-fixed", lambda v: v is not None))
        assert "13.82244" in fixed and "0.0787 ." in fixed and "-0.007832" in fixed
        quality = settled(ts, "summary-quality", lambda v: bool(v))
        assert quality.startswith("R² marginal 0.770 · R² conditional 0.902 · ICC adjusted 0.572")
        info = settled(ts, "summary-info", lambda v: v is not None)["html"]
        cells = dict(re.findall(r'col0" >([^<]+)</td>\s*<td[^>]*>([^<]+)</td>', info))
        # performance 0.10.2 (tests/reference/quality/q_biomass.json), shown to 4 digits: within 1e-4
        assert float(cells["R² marginal"]) == pytest.approx(0.770236261720576, abs=1e-4)
        assert float(cells["ICC adjusted"]) == pytest.approx(0.571842120990214, abs=1e-4)
        assert settled(ts, "summary-anova_block", lambda v: True) is None
        assert "Signif. codes" in str(settled(ts, "summary-inference_note", lambda v: v is not None))


def test_caterpillar_order_is_validated_and_switches(outcome, fresh_reactive_lock):  # noqa: F811
    in_own_thread(_ranef_scenario, _app(outcome))


def _title(value) -> str:
    return json.loads(value["figure"])["layout"]["title"]["text"]


def _ranef_scenario(app):
    with test_server(app, timeout_secs=60) as ts:
        ts.set_inputs(**{"ranef-group": "Site", "ranef-order": "first"})
        plot = settled(ts, "ranef-caterpillar_plot", lambda v: v is not None)
        assert "rows sorted by (Intercept)" in _title(plot)

        ts.set_inputs(**{"ranef-order": {"forged": [1, 2]}})
        message = settled(ts, "ranef-input_message", lambda v: v is not None)
        assert "Order of the levels" in str(message)

        ts.set_inputs(**{"ranef-order": "each"})
        assert settled(ts, "ranef-input_message", lambda v: v is None) is None
        plot = settled(ts, "ranef-caterpillar_plot", lambda v: v is not None and "each panel" in _title(v))
        assert "each panel sorted by its term" in _title(plot)

        ts.set_inputs(**{"ranef-group": "NoSuchFactor"})
        message = settled(ts, "ranef-input_message", lambda v: v is not None)
        assert "Grouping factor" in str(message)


def test_summary_cells_from_data_are_text_and_numbers_right_aligned():
    html = _styled(pd.DataFrame({"term": ["<b>x</b>&"], "Estimate": ["1.50"]}), ("term",)).to_html()
    assert "&lt;b&gt;x&lt;/b&gt;&amp;" in html and "<b>x</b>" not in html
    assert "text-align: right" in html and 'class="table shiny-table w-auto"' in html
