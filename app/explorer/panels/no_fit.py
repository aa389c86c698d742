"""What a panel shows instead of its content when the current inputs have no fit."""

from __future__ import annotations

from shiny import ui

from .live_fit import settled


def no_fit_message(message: str, hidden_id: str):
    """The one message a panel shows when there is no fit, hiding ``hidden_id`` (its empty content) while
    it is on the page: a style element comes and goes with the message."""
    return ui.TagList(
        ui.pre(message, class_="alert alert-danger small lmm-no-fit"),
        ui.tags.style(f"#{hidden_id}{{display:none !important}}"),
    )


def no_fit_notice(outcome, hidden_id: str):
    """A panel's ``no_fit`` output: the failed fit's message (hiding ``hidden_id``) while the current inputs
    have no fit, else nothing (also while their fit is still to come)."""
    current = settled(outcome)
    if current is None or current.ok:
        return None
    return no_fit_message(f"No fit yet: {current.error}", hidden_id)
