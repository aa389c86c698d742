"""Names from data show as text in the diagnostics figures: plotly's pseudo-HTML in a column, a level or a
random-effect term never reaches a figure unescaped (titles, ticks, legends, hovers, panel titles)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from explorer.figures import diagnostics

LINK = '<a href="https://evil.example">x</a>'
STYLED = "<span style='font-size:80px'>big</span>"


def _figure_text(fig) -> str:
    """Every string the figure hands to plotly.js."""
    return fig.to_json()


def _assert_no_markup(fig):
    text = _figure_text(fig)
    for raw in ("<a ", "<span", "</a>"):
        assert raw not in text and raw.replace("<", "\\u003c") not in text


@pytest.fixture
def data():
    rng = np.random.default_rng(5)
    n = 60
    groups = np.array([LINK, STYLED, "R&D"] * (n // 3), dtype=object)
    labels = [f"row {i} · {LINK} {g}" for i, g in enumerate(groups)]
    return rng.normal(10, 1, n), rng.normal(size=n), groups, labels


def test_residuals_by_group_escapes_levels_title_and_hovers(data):
    fitted, pearson, groups, labels = data
    fig = diagnostics.residuals_by_group(pearson, groups, STYLED, labels)
    _assert_no_markup(fig)
    box = fig.data[0]
    assert set(box.x) == {
        '&lt;a href="https://evil.example"&gt;x&lt;/a&gt;',
        "&lt;span style='font-size:80px'&gt;big&lt;/span&gt;",
        "R&amp;D",
    }
    assert sorted(fig.layout.xaxis.categoryarray) == sorted(set(box.x))
    assert fig.layout.title.text == "Pearson residuals by &lt;span style='font-size:80px'&gt;big&lt;/span&gt;"
    assert box.text[0] == f'row 0 · &lt;a href="https://evil.example"&gt;x&lt;/a&gt; {box.x[0]}'


def test_residuals_by_group_with_many_levels_escapes_the_hover_names():
    rng = np.random.default_rng(6)
    groups = np.array([f"<b>{i}</b>" for i in range(50)] * 4, dtype=object)
    fig = diagnostics.residuals_by_group(rng.normal(size=200), groups, "<i>g</i>")
    assert "<b>" not in "".join(fig.data[0].customdata)
    assert set(fig.data[0].customdata) == {f"&lt;b&gt;{i}&lt;/b&gt;" for i in range(50)}
    assert fig.layout.xaxis.title.text.startswith("&lt;i&gt;g&lt;/i&gt; levels ranked")


def test_scatter_hovers_and_axis_titles_are_escaped(data):
    fitted, pearson, _, labels = data
    for fig in (
        diagnostics.residuals_vs_fitted(fitted, pearson, labels),
        diagnostics.observed_vs_fitted(fitted + pearson, fitted, LINK, labels),
    ):
        _assert_no_markup(fig)
        assert fig.data[0].text[1].startswith("row 1 · &lt;a href=")


def test_random_effect_panels_escape_group_and_term_names():
    modes = pd.DataFrame({"(Intercept)": np.arange(5.0), STYLED: np.arange(5.0) ** 2})
    fig = diagnostics.qq_random_effects({LINK: modes})
    _assert_no_markup(fig)
    titles = [a.text for a in fig.layout.annotations]
    assert (
        titles[1]
        == "&lt;span style='font-size:80px'&gt;big&lt;/span&gt; | "
        + '&lt;a href="https://evil.example"&gt;x&lt;/a&gt;'
    )
    # the values are still the right panel's
    np.testing.assert_allclose(np.sort(fig.data[2].y), np.arange(5.0) ** 2)


def test_binned_scatter_does_not_carry_per_point_labels():
    n = 30_000
    rng = np.random.default_rng(7)
    fig = diagnostics.residuals_vs_fitted(rng.normal(size=n), rng.normal(size=n), [LINK] * n)
    assert fig.data[0].type == "heatmap" and fig.data[0].text is not None
    assert LINK not in _figure_text(fig) and "evil" not in _figure_text(fig)
