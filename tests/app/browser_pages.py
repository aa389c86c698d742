"""Reading what the page shows, shared by the browser tests of the data and model panels."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def expect_selectize(page: Page, input_id: str, choices=None, selected=None) -> None:
    """Wait until a selectize input offers ``choices`` (in order) and holds ``selected`` (in any order:
    selectize keeps the order of clicks)."""
    page.wait_for_function(
        """([id, choices, selected]) => {
        const s = document.getElementById(id)?.selectize; if (!s) return false;
        const offered = Object.keys(s.options), held = [...s.items].sort();
        return (choices === null || JSON.stringify(offered) === JSON.stringify(choices))
          && (selected === null || JSON.stringify(held) === JSON.stringify([...selected].sort())); }""",
        arg=[input_id, choices, selected],
    )


def table_column(page: Page, selector: str, column: str) -> dict[str, str]:
    """A table's column as shown: first cell of each row -> the text under ``column``."""
    expect(page.locator(f"{selector} table tbody tr").first).to_be_visible()
    return page.evaluate(
        """([sel, col]) => { const t = document.querySelector(sel + ' table');
        const heads = [...t.querySelectorAll('thead th')].map(h => h.innerText.trim());
        const i = heads.indexOf(col); const out = {};
        for (const r of t.querySelectorAll('tbody tr')) {
          const c = [...r.children].map(x => x.innerText.trim()); out[c[0]] = c[i]; }
        return out; }""",
        [selector, column],
    )


def wait_for_plot(page: Page, output_id: str, condition: str = "true") -> None:
    """Wait until the plotly plot of ``output_id`` is drawn with data and ``condition`` (JavaScript of
    ``p``, the plot's div) holds. A div plotly has not drawn into yet has no ``data``: checked first."""
    page.wait_for_function(
        f"""id => {{
            const p = document.querySelector('#' + id + ' .js-plotly-plot');
            return !!p && !!p.data && p.data.length > 0 && p.getBoundingClientRect().width > 100
                && ({condition});
        }}""",
        arg=output_id,
    )
