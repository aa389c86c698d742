"""Replicates on a Dask cluster: ``compute.replicate_executor()`` follows ``LMM_DASK_SCHEDULER`` and lmmcore's
bootstrap run through it draws exactly what it draws in-process (every replicate has its own seed)."""

from __future__ import annotations

import pandas as pd
import pytest
from explorer import compute, engine

import lmmcore

distributed = pytest.importorskip("distributed")


def test_without_a_scheduler_replicates_run_in_the_task_itself(monkeypatch):
    monkeypatch.delenv("LMM_DASK_SCHEDULER", raising=False)
    assert compute.replicate_executor() is None


def test_a_bootstrap_runs_on_the_named_dask_scheduler(monkeypatch):
    data = engine.load_example("sleepstudy")
    formula = "Reaction ~ Days + (Days | Subject)"
    in_process = lmmcore.bootstrap(lmmcore.fit(formula, data), nsim=24, seed=7)
    # Threads, one worker: the cluster's own scheduler and worker without forking on a 2-core machine.
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        monkeypatch.setenv("LMM_DASK_SCHEDULER", cluster.scheduler_address)
        executor = compute.replicate_executor()
        assert executor is not None
        before = cluster.scheduler.transition_counter
        on_dask = lmmcore.bootstrap(lmmcore.fit(formula, data), nsim=24, seed=7, executor=executor)
        transitions = cluster.scheduler.transition_counter - before
        compute.close_replicate_executors()
    assert transitions > 0  # the replicates went through the cluster's scheduler
    pd.testing.assert_frame_equal(on_dask.draws, in_process.draws, rtol=1e-12)
    assert on_dask.completed == 24
