"""The current view as the share, download and code features need it: the fit on screen, where its data
came from, the Intervals panel's settings, and the long results this session computed for that fit.

The Intervals panel's results are read from the session's cache under the keys its long tasks use
(``intervals-profile_task`` and ``intervals-simulation_task``); only results of the fit on screen and of
the current settings are taken, so nothing from an earlier model reaches a download.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shiny import reactive, req
from shiny.module import ResolvedId

from ..inference_settings import simulation_settings
from ..inputs import InputError
from ..reproduce import DataProvenance, ReproSpec, provenance_of

PROFILE_TASK = "intervals-profile_task-task"
SIMULATION_TASK = "intervals-simulation_task-task"
SETTING_INPUTS = ("intervals-level", "intervals-nsim", "intervals-seed")
DEFAULT_SETTINGS = (0.95, 500, 1)


@dataclass(frozen=True)
class SessionResults:
    """The Intervals panel's results for the fit on screen: method -> ``confint`` frame, the profile
    traces, the bootstrap draws (each None / absent when not computed)."""

    intervals: dict[str, Any] = field(default_factory=dict)
    profile: Any = None
    boot: Any = None


def interval_settings(root_input) -> tuple[float, int, int]:
    """The Intervals panel's level, nsim and seed, or its defaults while they are invalid."""
    try:
        raw = [root_input[ResolvedId(name)]() for name in SETTING_INPUTS]
        settings = simulation_settings(*raw)
    except (InputError, KeyError, TypeError):
        return DEFAULT_SETTINGS
    return settings.level, settings.nsim, settings.seed


def session_results(cache, fit_request, level: float, nsim: int, seed: int) -> SessionResults:
    """What the session's cache holds for this fit and these settings."""
    intervals, profile, boot = {}, None, None
    profiled = cache.get((PROFILE_TASK, ("profile", fit_request, level)))
    if profiled is not None and profiled.ok and profiled.value is not None:
        if profiled.value.intervals is not None:
            intervals["profile"] = profiled.value.intervals
        profile = profiled.value.profile
    simulated = cache.get((SIMULATION_TASK, ("simulation", fit_request, nsim, seed)))
    if simulated is not None and simulated.ok and simulated.value is not None:
        intervals.update(simulated.value.intervals(level))
        boot = simulated.value.boot
    return SessionResults(intervals, profile, boot)


def upload_sha256(root_input) -> str:
    """The sha256 of the file in the upload input ('' when there is none)."""
    files = root_input[ResolvedId("data-upload")]()
    if not files:
        return ""
    digest = hashlib.sha256()
    with open(Path(files[0]["datapath"]), "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def current_view(session, outcome, dataset):
    """Reactive calcs of the view: ``fitted()`` (the outcome on screen, silent until a fit succeeded),
    ``provenance()`` and ``spec()``."""
    root = session.root_scope()

    @reactive.calc
    def fitted():
        current = outcome()
        req(current.ok)
        return current

    @reactive.calc
    async def provenance() -> DataProvenance:
        data = dataset()
        digest = ""
        if data.key and data.key[0] == "upload":
            digest = await asyncio.to_thread(upload_sha256, root.input)
            if not digest.startswith(str(data.key[2])):
                digest = ""  # the input holds a newer file than the data in use
        return provenance_of(data.key, data.frame, digest)

    @reactive.calc
    async def spec() -> ReproSpec:
        current = fitted()
        level, nsim, seed = interval_settings(root.input)
        return ReproSpec(await provenance(), current.request.formula, current.request.reml, level, nsim, seed)

    return fitted, provenance, spec
