"""The worker function and the process pool: results and errors come back tagged with their request."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest
from explorer import datasets, engine
from explorer.fitting import FitRequest, fit_in_worker, get_executor


def test_default_simulation_fits_in_a_worker_process_with_the_engines_numbers():
    data = datasets.simulated(engine.simulation_defaults())
    request = FitRequest(engine.DEFAULT_FORMULA, True, data.key)
    outcome = get_executor().submit(fit_in_worker, request, data.frame).result(timeout=120)
    assert outcome.ok and outcome.request == request
    direct = engine.fit(engine.DEFAULT_FORMULA, engine.simulate(), reml=True)
    assert outcome.result.criterion == pytest.approx(direct.criterion, rel=1e-10)
    assert pickle.loads(pickle.dumps(outcome)).request.tag == request.tag


@pytest.mark.parametrize(
    ("formula", "words"),
    [
        ("Reaction ~ Dayz + (1 | Subject)", "Dayz"),
        ("Reaction ~ Days + (1 | ", "grouping factor"),
    ],
)
def test_user_errors_come_back_as_messages(formula, words):
    data = engine.load_example("sleepstudy")
    outcome = fit_in_worker(FitRequest(formula, True, ("example", "sleepstudy")), data)
    assert not outcome.ok and outcome.result is None
    assert words in outcome.error


def test_request_tags_differ_when_any_input_differs():
    a = FitRequest("y ~ 1 + (1 | g)", True, ("example", "Dyestuff"))
    assert a.tag == FitRequest("y ~ 1 + (1 | g)", True, ("example", "Dyestuff")).tag
    assert (
        len({a.tag, FitRequest(a.formula, False, a.data_key).tag, FitRequest(a.formula, True, ("x",)).tag})
        == 3
    )


def test_simulation_parameters_are_checked_with_a_message():
    params = engine.simulation_defaults() | {"n_sites": 0}
    with pytest.raises(ValueError, match=r"^Number of sites must be between 2 and 2000 \(got 0\)\.$"):
        datasets.simulated(params)
    with pytest.raises(ValueError, match="Correlation intercept-slope must be between -1.0 and 1.0"):
        datasets.simulated(engine.simulation_defaults() | {"cor": 1.5})


def test_examples_carry_their_suggested_formula():
    pastes = datasets.example("Pastes")
    assert pastes.suggested_formula == engine.describe_example("Pastes").formula
    assert pastes.key == ("example", "Pastes")


_POOL_OWNER = """
import sys, time
sys.path.insert(0, {app_dir!r})
from explorer.fitting import get_executor
executor = get_executor()
executor.submit(int, 1).result(timeout=120)
print(" ".join(str(pid) for pid in executor._processes), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose (exited, waiting to be reaped by init).
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_pool_workers_exit_when_the_app_is_killed():
    app_dir = str(Path(__file__).resolve().parents[2] / "app")
    owner = subprocess.Popen(
        [sys.executable, "-c", _POOL_OWNER.format(app_dir=app_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        workers = [int(pid) for pid in owner.stdout.readline().split()]
        assert workers and all(_alive(pid) for pid in workers)
    finally:
        owner.kill()  # no atexit, no pool shutdown: what a crash or SIGKILL leaves behind
        owner.wait()
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)
