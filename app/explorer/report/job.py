"""The report built in a worker (the figures and the 5 MB document stay off the event loop)."""

from __future__ import annotations

from dataclasses import dataclass

from .content import ReportRequest, report_content
from .html import render_html


@dataclass(frozen=True)
class ReportOutcome:
    """The HTML document, or why it could not be built."""

    html: str | None = None
    error: str | None = None


def build_report(request: ReportRequest) -> ReportOutcome:
    """Content, then HTML; a failure comes back as a message that says what went wrong."""
    try:
        return ReportOutcome(html=render_html(report_content(request)))
    except Exception as err:  # reported to the user, who gets the reason instead of a broken file
        return ReportOutcome(error=f"The report could not be built: {type(err).__name__}: {err}")


def failure_page(message: str) -> str:
    """What the download holds when the build failed: the reason, as a small HTML page."""
    import html

    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Report not built</title></head>'
        f"<body><h1>The report could not be built</h1><p>{html.escape(message)}</p></body></html>"
    )
