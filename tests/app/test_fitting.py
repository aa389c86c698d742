"""The fit's worker function in the compute layer: results and errors come back tagged with their request."""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from explorer import compute, datasets, engine
from explorer.fitting import FitRequest, fit_in_worker, fit_lane

from tests.app.compute_tasks import process_running
from tests.refs import load_reference


def test_default_simulation_fits_in_a_worker_process_with_the_engines_numbers():
    data = datasets.simulated(engine.simulation_defaults())
    request = FitRequest(engine.DEFAULT_FORMULA, True, data.key)
    outcome = compute.submit(fit_in_worker, request, data.frame, kind="fit").wait(timeout=120)
    assert outcome.ok and outcome.request == request
    direct = engine.fit(engine.DEFAULT_FORMULA, engine.simulate(), reml=True)
    assert outcome.result.criterion == pytest.approx(direct.criterion, rel=1e-10)
    # The summary's inference comes with the fit: lmerTest's Satterthwaite df of the fixed effects.
    assert outcome.inference is not None and outcome.inference.error is None
    assert pickle.loads(pickle.dumps(outcome)).request.tag == request.tag


def test_the_fit_worker_returns_lmertests_inference_with_the_fit():
    # lme4's biomass_seed reference: lmerTest's Satterthwaite df and p of every coefficient, 1e-3 relative
    # (lmerTest differentiates its Hessian numerically; p differs by 1.0e-4 relative at our optimum).
    reference = load_reference("biomass_seed")["satterthwaite"]
    request = FitRequest(engine.DEFAULT_FORMULA, True, ("example", "biomass"))
    outcome = compute.submit(fit_in_worker, request, engine.load_example("biomass"), kind="fit").wait(120)
    fixed = outcome.inference.fixed.set_index("term")
    assert list(fixed.index) == reference["terms"]
    assert fixed["df"].tolist() == pytest.approx(reference["df"], rel=1e-3)
    assert fixed["Pr(>|t|)"].tolist() == pytest.approx(reference["p"], rel=1e-3)


def test_a_fit_with_many_random_effect_columns_goes_to_the_large_lane():
    rows = 5000
    frame = pd.DataFrame(
        {"y": range(rows), "f": [f"l{i % 50}" for i in range(rows)], "g": [f"g{i % 30}" for i in range(rows)]}
    )
    # 5000 rows x 1 column is small; a 50-level factor slope makes 5000 x 50 cells, past the threshold.
    assert fit_lane("y ~ 1 + (1 | g)", frame) == "small"
    assert fit_lane("y ~ 1 + (f | g)", frame) == "large"
    assert fit_lane(engine.DEFAULT_FORMULA, engine.load_example("biomass")) == "small"
    assert fit_lane("y ~ (1 | ", frame) == "small"  # the worker reports the syntax error at once


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
sys.path[:0] = [{app_dir!r}, {root!r}]
from explorer import compute
if __name__ == "__main__":
    for lane in ("small", "large"):
        compute.submit(int, 1, lane=lane).wait(timeout=120)
    print(" ".join(str(slot.pid) for slot in compute.scheduler().slots), flush=True)
    time.sleep(600)
"""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_pool_workers_exit_when_the_app_is_killed(tmp_path):
    root = Path(__file__).resolve().parents[2]
    script = tmp_path / "owner.py"  # a file, not -c: forkserver workers re-import the main module
    script.write_text(_POOL_OWNER.format(app_dir=str(root / "app"), root=str(root)))
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(pid) for pid in owner.stdout.readline().split()]
        assert workers and all(process_running(pid) for pid in workers)
    finally:
        owner.kill()  # no atexit, no pool shutdown: what a crash or SIGKILL leaves behind
        owner.wait()
    deadline = time.monotonic() + 20
    while any(process_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(process_running(pid) for pid in workers)
