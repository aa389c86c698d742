"""Names from data as plain text in plotly figures.

plotly.js renders a subset of HTML in titles, tick labels, legend names, hover text and annotations
(``<a href>``, ``<span style>``, ``<b>``, ``<br>``...), so a column or level named ``<a href=x>`` would
become a link. Every data-derived string goes through :func:`plain` first: plotly.js decodes the entities
``&amp; &lt; &gt;`` back to the characters, which then show as text.
"""

from __future__ import annotations

from collections.abc import Iterable

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def plain(s: object) -> str:
    """``s`` (any value; its ``str``) with ``&``, ``<`` and ``>`` escaped so plotly shows it verbatim."""
    return str(s).translate(_ESCAPES)


def plain_all(seq: Iterable[object]) -> list[str]:
    """:func:`plain` of every item."""
    return [plain(item) for item in seq]
