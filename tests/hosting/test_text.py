"""plain(): data-derived names show as text in plotly (its pseudo-HTML is escaped)."""

from __future__ import annotations

from explorer.figures.text import plain, plain_all


def test_plain_escapes_plotly_markup():
    assert plain('<a href="https://x.example">site</a>') == '&lt;a href="https://x.example"&gt;site&lt;/a&gt;'
    assert plain("<span style='color:red'>") == "&lt;span style='color:red'&gt;"


def test_plain_escapes_ampersand_first_so_entities_stay_literal():
    assert plain("&lt;b&gt;") == "&amp;lt;b&amp;gt;"
    assert plain("R&D") == "R&amp;D"


def test_plain_leaves_ordinary_names_alone_and_stringifies():
    assert plain("Site 1 (north)") == "Site 1 (north)"
    assert plain(3) == "3"
    assert plain_all(["<b>", 1, "ok"]) == ["&lt;b&gt;", "1", "ok"]
