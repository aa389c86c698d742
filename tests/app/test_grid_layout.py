"""grid_layout's axis domains: inside [0, 1] for every grid, which plotly requires."""

import math

import plotly.graph_objects as go
import pytest
from explorer.figures.style import grid_layout

#: Grids whose gaps leave the panels at least half the height (wider gaps leave no room to draw in).
GRIDS = [
    (panels, cols, gap)
    for panels in range(1, 13)
    for cols in (1, 2, 3, 4)
    for gap in (0.05, 0.07, 0.08, 0.1, 0.12)
    if gap * (-(-panels // cols) - 1) < 0.5
]


@pytest.mark.parametrize(("panels", "cols", "gap"), GRIDS)
def test_domains_lie_in_the_unit_interval(panels, cols, gap):
    layout = grid_layout([f"panel {k}" for k in range(panels)], cols, gap=gap)
    domains = [axis["domain"] for key, axis in layout.items() if key.startswith(("xaxis", "yaxis"))]
    assert len(domains) == 2 * panels
    for start, end in domains:
        assert 0.0 <= start < end <= 1.0


def test_two_rows_with_gap_008_reach_exactly_zero_and_plotly_accepts_them():
    # (1 - 0.08) / 2 subtracted from 1 - (h + 0.08) left the bottom row at -5.55e-17 before the fix
    layout = grid_layout(["a", "b", "c", "d"], 2, gap=0.08)
    assert layout["yaxis3"]["domain"][0] == 0.0
    assert math.copysign(1.0, layout["yaxis3"]["domain"][0]) == 1.0  # 0.0, not -0.0
    assert layout["yaxis3"]["domain"][1] == pytest.approx(0.46, abs=1e-12)
    assert layout["yaxis"]["domain"] == [pytest.approx(0.54, abs=1e-12), 1.0]
    figure = go.Figure(layout=layout)
    assert figure.layout.yaxis4.domain == (0.0, pytest.approx(0.46, abs=1e-12))
